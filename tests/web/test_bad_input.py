"""Crafted query strings and missing services: a clear 400 or 404 that says what was
wrong, never a 500; the events page and its CSV never hide rows without saying so."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.web.pages import EVENTS_SHOWN
from tests.conftest import FIXED_NOW
from tests.web.conftest import Dashboard
from tests.web.test_pages import _event, _events


@pytest.mark.parametrize(("query", "said"), [
    ("code=²", "code &#39;²&#39; is not an HTTP status"),
    ("code=" + "5" * 45, "is not an HTTP status"),
    ("since=²d", "since &#39;²d&#39; is not 24h"),
    ("since=999999999d", "since &#39;999999999d&#39; is not 24h"),
    ("since=99999999999999999999h", "is not 24h, 7d, 30m"),
])
def test_a_crafted_events_filter_is_refused_with_what_was_wrong(
        dashboard: Dashboard, query: str, said: str) -> None:
    page = dashboard.get(f"/ui/events?{query}", cookie=dashboard.session())
    assert page.status == 400, page.body
    assert said in page.body


@pytest.mark.parametrize("number", ["²", "5" * 5000, "-1", "1.5"])
def test_a_crafted_page_number_is_refused_with_what_was_wrong(
        dashboard: Dashboard, number: str) -> None:
    dashboard.bot.seed("svc-user")
    page = dashboard.get(f"/ui/dev/demo/?page={number}", cookie=dashboard.session())
    assert page.status == 400, page.body
    assert "is not a valid page number such as 2" in page.body


def test_a_csv_export_with_a_bad_filter_is_refused_not_empty(dashboard: Dashboard) -> None:
    _events(dashboard, _event())
    exported = dashboard.get("/ui/events.csv?code=abc", cookie=dashboard.session())
    assert exported.status == 400
    assert exported.headers["Content-Type"].startswith("text/plain")
    assert "code 'abc' is not an HTTP status such as 503" in exported.body


def test_until_reaches_older_events_past_the_newest_five_hundred(dashboard: Dashboard) -> None:
    recent = [_event(at=FIXED_NOW - timedelta(minutes=n), title=f"recent {n}")
              for n in range(1, EVENTS_SHOWN + 1)]
    _events(dashboard, *recent, _event(at=FIXED_NOW - timedelta(days=2), title="the old one"))
    cookie = dashboard.session()
    until = (FIXED_NOW - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    page = dashboard.get(f"/ui/events?until={until}", cookie=cookie)
    assert page.status == 200 and "the old one" in page.body
    assert "recent 1<" not in page.body and "showing the newest" not in page.body
    rows = list(csv.DictReader(io.StringIO(
        dashboard.get(f"/ui/events.csv?until={until}", cookie=cookie).body)))
    assert [r["title"] for r in rows] == ["the old one"]
    everything = dashboard.get("/ui/events", cookie=cookie).body
    assert "showing the newest 500; narrow the filters" in everything
    assert "the old one" not in everything


def test_the_service_table_shows_the_last_day_and_links_to_older(dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    _events(dashboard, _event(title="this morning"),
            _event(at=FIXED_NOW - timedelta(days=3), title="three days ago"))
    body = dashboard.get("/ui/dev/demo/svc-user", cookie=dashboard.session()).body
    assert "this morning" in body and "three days ago" not in body
    assert 'href="/ui/events?service=svc-user"' in body


def test_a_service_with_no_document_is_a_404_saying_so(dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    page = dashboard.get("/ui/dev/demo/svc-nobody", cookie=dashboard.session())
    assert page.status == 404
    assert "dev/demo has no service &#39;svc-nobody&#39;" in page.body
