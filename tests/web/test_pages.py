"""What the pages show: user text as text, pages of 50, the events filters and their CSV
export, and a namespace page of a 10,000-service namespace reading one page's worth."""

from __future__ import annotations

import csv
import io
import subprocess
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event

from bot.core.events import GovernanceEvent
from bot.web.pages import PAGE_SIZE
from policies.document import new_document, service_path
from tests.conftest import FIXED_NOW, SEEDER
from tests.web.conftest import Dashboard

SCRIPT = "<script>alert(1)</script>"


def _events(dashboard: Dashboard, *found: GovernanceEvent) -> None:
    dashboard.bot.app.workflow.ingest(list(found))


def _event(service: str = "svc-user", **fields: Any) -> GovernanceEvent:
    values: dict[str, Any] = {"kind": "rate_limit", "env": "dev", "namespace": "demo",
                              "service": service, "at": FIXED_NOW - timedelta(minutes=5),
                              "count": 3, "code": 429, "source_service": "svc-order"}
    values.update(fields)
    return GovernanceEvent(**values)


def test_script_in_a_reason_or_an_event_is_shown_as_text(dashboard: Dashboard) -> None:
    bot = dashboard.bot
    bot.seed("svc-user")
    bot.one("/canary svc-user 20%")
    bot.one(f"/reject 1 {SCRIPT}", "bob")
    _events(dashboard, _event(title=SCRIPT), _event(service="svc-<script>x"))
    cookie = dashboard.session()
    for page in ("/ui/dev/demo/svc-user", "/ui/events", "/ui/dev/demo/"):
        body = dashboard.get(page, cookie=cookie).body
        assert "<script>" not in body, page
    service = dashboard.get("/ui/dev/demo/svc-user", cookie=cookie).body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in service
    assert "svc-&lt;script&gt;x" in dashboard.get("/ui/events", cookie=cookie).body


def test_a_namespace_is_shown_fifty_services_a_page_and_filtered(dashboard: Dashboard) -> None:
    names = [f"svc-{n:03d}" for n in range(120)]
    dashboard.bot.seed(*names, namespace="shop")
    cookie = dashboard.session("bob")  # sre: every namespace

    def rows(path: str) -> list[str]:
        body = dashboard.get(path, cookie=cookie).body
        return [n for n in names if f'/ui/dev/shop/{n}"' in body]

    assert rows("/ui/dev/shop/") == names[:PAGE_SIZE]
    assert rows("/ui/dev/shop/?page=3") == names[100:]
    assert rows("/ui/dev/shop/?page=99") == names[100:]  # past the end: the last page
    assert rows("/ui/dev/shop/?q=svc-11") == names[110:120]
    first = dashboard.get("/ui/dev/shop/", cookie=cookie).body
    assert "120 services" in first and 'rel="next"' in first and 'rel="prev"' not in first


def test_the_service_page_shows_state_history_and_events(dashboard: Dashboard) -> None:
    bot = dashboard.bot
    bot.seed("svc-user")
    bot.one("/canary svc-user 20%")
    bot.one("/approve 1", "bob")
    _events(dashboard, _event(), _event(kind="circuit_break", code=503, count=7))
    body = dashboard.get("/ui/dev/demo/svc-user", cookie=dashboard.session()).body
    assert "release: canary, 80% to v1, 20% to v2" in body  # the words of /status
    assert "#1 canary svc-user 0% → 20%" in body and "merged" in body
    assert "kind: VirtualService" in body
    assert "<svg" in body and "circuit_break 7" in body and "rate_limit 3" in body
    # the axes: the tallest bar's count per slice, and the time every six hours
    assert ">peak 10 per hour</text>" in body  # both events fall in one hour
    assert body.count('<text class="tick"') == 5
    # the local forge's pull request is a branch of a folder on this machine: named
    assert ">branch change/1-svc-user of the local repository</span>" in body


def test_open_changes_show_diffs_verdict_and_who_may_approve(dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    dashboard.bot.one("/canary svc-user 20%")
    body = dashboard.get("/ui/changes", cookie=dashboard.session()).body
    assert 'id="1"' in body and "+    canaryWeight: 20" in body
    assert "weight: 20" in body  # the rendered diff
    assert "still needed: 1, from bob, carol, dave" in body and "/approve 1" in body


def test_events_filter_and_export_without_formulas(dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    _events(dashboard, _event(title="=HYPERLINK(\"http://x\")"),
            _event(kind="circuit_break", code=503, source_service="svc-pay"),
            _event(at=FIXED_NOW - timedelta(days=3)))
    cookie = dashboard.session()
    page = dashboard.get("/ui/events?code=503", cookie=cookie).body
    assert "svc-pay" in page and "HYPERLINK" not in page
    assert "svc-pay" not in dashboard.get("/ui/events?caller=svc-order", cookie=cookie).body
    exported = dashboard.get("/ui/events.csv?since=24h", cookie=cookie)
    assert exported.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.body)))
    assert len(rows) == 2
    assert {r["title"] for r in rows} == {"'=HYPERLINK(\"http://x\")", ""}
    refused = dashboard.get("/ui/events?code=abc&kind=nope", cookie=cookie).body
    assert "code &#39;abc&#39; is not an HTTP status" in refused
    assert "kind &#39;nope&#39;" in refused


BIG = 10_000


def test_a_page_of_a_huge_namespace_reads_one_page_of_documents(
        dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = dashboard.bot.app.repo
    old = repo.head("main")
    documents: dict[str, str | None] = {
        service_path("dev", "big", f"svc-{n:05d}"): new_document("dev", "big", f"svc-{n:05d}")
        for n in range(BIG)}
    repo.set_ref("main", repo.commit(old, documents, SEEDER, "a big namespace"), old=old)
    cookie = dashboard.session("bob")  # sre: every namespace
    dashboard.get("/ui/dev/demo/", cookie=cookie)  # main's rules are read and cached
    blobs, listed, statements = _count_reads(dashboard, monkeypatch)
    page = dashboard.get("/ui/dev/big/", cookie=cookie)
    assert page.status == 200 and f"{BIG} services" in page.body
    assert blobs() <= PAGE_SIZE + 2  # the page's documents, and main's config at most
    assert listed == ["services/dev/big"]  # that namespace only, listed once
    assert statements() <= 5


def _count_reads(dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
                 ) -> tuple[Callable[[], int], list[str], Callable[[], int]]:
    """Counters at the wire: objects git is asked for, folders it lists recursively, and
    SQL statements sent to the store."""
    counted = {"blobs": 0, "sql": 0}
    listed: list[str] = []
    real = subprocess.run

    def run(args: list[str], *rest: Any, **options: Any) -> Any:
        if "cat-file" in args:
            given = options.get("input") or b""
            counted["blobs"] += max(1, given.count(b"\n")) if "--batch" in args else 1
        if "ls-tree" in args and "-r" in args:
            listed.append(args[-1])
        return real(args, *rest, **options)

    monkeypatch.setattr(subprocess, "run", run)
    engine = dashboard.bot.app.store._engine

    def statement(*_args: Any) -> None:
        counted["sql"] += 1

    event.listen(engine, "before_cursor_execute", statement)
    return (lambda: counted["blobs"]), listed, (lambda: counted["sql"])
