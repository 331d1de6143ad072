"""`/metrics` over a real local HTTP server after a story told on the console: the
command, guard, change, apply, event, chat and scheduler metrics move as they should."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import yaml

from bot import metrics
from bot.chat.dingtalk.api import DeliveryError, Http
from bot.core.events import GovernanceEvent
from bot.scheduler import Elected, Every, Job
from bot.store.leader import database_leader
from tests.conftest import SEEDER, Govbot
from tests.observability.scrape import Scraper, moved, serving, value


@pytest.fixture
def scraper() -> Iterator[Scraper]:
    with serving() as served:
        yield served


def _with_namespace(govbot: Govbot, namespace: str) -> None:
    """A namespace in dev that access.yaml grants nobody, so the guard denies there."""
    repo = govbot.app.repo
    config = yaml.safe_load(repo.read("main", "govbot.yaml") or "")
    config["environments"]["dev"]["namespaces"][namespace] = {"maxReplicas": 5}
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": yaml.safe_dump(config)}, SEEDER,
                                     f"add {namespace}"), old=old)


def test_a_story_moves_the_command_guard_and_change_metrics(govbot: Govbot,
                                                            scraper: Scraper) -> None:
    govbot.seed("svc-user")
    _with_namespace(govbot, "shop")
    govbot.seed("svc-user", namespace="shop")
    before = scraper.scrape()
    assert govbot.one("/canary svc-user 20%").ok
    assert govbot.one("/approve 1", user="bob").ok
    assert govbot.one("/canary svc-user 40%").ok
    assert not govbot.one("/canary svc-user 20% --ns shop").ok   # the guard denies
    assert not govbot.one("/approve 99", user="bob").ok          # no such change
    assert not govbot.one("/no-such-command").ok
    after = scraper.scrape()

    assert "text/plain" in scraper.content_type
    assert moved(before, after, "govbot_commands_total", command="canary", outcome="ok") == 2
    assert moved(before, after, "govbot_commands_total", command="approve", outcome="ok") == 1
    assert moved(before, after, "govbot_commands_total", command="canary",
                 outcome="denied") == 1
    assert moved(before, after, "govbot_commands_total", command="approve",
                 outcome="refused") == 1
    assert moved(before, after, "govbot_commands_total", command="unknown",
                 outcome="refused") == 1
    allowed = moved(before, after, "govbot_guard_decisions_total", allowed="true")
    denied = moved(before, after, "govbot_guard_decisions_total", allowed="false")
    assert allowed >= 3 and denied >= 1
    assert moved(before, after, "govbot_guard_seconds_count") == allowed + denied
    # read from this govbot's store at the scrape: #1 merged, #2 open, no denied one
    assert value(after, "govbot_changes", state="merged") == 1
    assert value(after, "govbot_changes", state="open") == 1
    assert value(after, "govbot_changes", state="rejected") == 0
    assert moved(before, after, "govbot_apply_seconds_count", target="directory") >= 1
    assert moved(before, after, "govbot_apply_failures_total", target="directory") == 0


def test_an_apply_that_fails_is_counted(govbot: Govbot, scraper: Scraper) -> None:
    govbot.seed("svc-user")
    assert govbot.one("/canary svc-user 20%").ok
    rendered = govbot.home / "rendered"
    if rendered.exists():
        rendered.rename(govbot.home / "rendered-before")
    rendered.write_text("a file where the target wants a folder\n")
    before = scraper.scrape()
    govbot.say("/approve 1", user="bob")
    after = scraper.scrape()
    assert moved(before, after, "govbot_apply_failures_total", target="directory") >= 1
    assert value(after, "govbot_changes", state="merged") == 1


def test_governance_events_are_counted_as_ingested(govbot: Govbot, scraper: Scraper) -> None:
    govbot.seed("svc-user")
    event = GovernanceEvent("circuit_break", "dev", "demo", "svc-user",
                            datetime(2026, 11, 27, 9, 59, tzinfo=UTC), count=3, window=60)
    before = scraper.scrape()
    govbot.app.workflow.ingest([event, event])
    after = scraper.scrape()
    assert moved(before, after, "govbot_events_ingested_total", kind="circuit_break") == 2


class _Answers(http.server.BaseHTTPRequestHandler):
    """DingTalk's API as a test needs it: 200 for /ok, 500 for anything else."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        status = 200 if self.path == "/ok" else 500
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"errcode": 0}' if status == 200 else b"{}")

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def test_chat_calls_and_their_errors_are_counted(scraper: Scraper) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        http_client = Http(attempts=2, sleep=lambda _seconds: None)
        before = scraper.scrape()
        http_client.send("POST", f"{base}/ok", {"msgtype": "text"})
        with pytest.raises(DeliveryError):
            http_client.send("POST", f"{base}/down", {"msgtype": "text"})
        after = scraper.scrape()
    finally:
        server.shutdown()
        server.server_close()
    assert moved(before, after, "govbot_chat_calls_total", platform="dingtalk") == 2
    assert moved(before, after, "govbot_chat_errors_total", platform="dingtalk") == 1


def test_scheduled_jobs_are_counted_by_name(govbot: Govbot, scraper: Scraper) -> None:
    ran = threading.Event()
    failed = threading.Event()

    def work() -> None:
        ran.set()

    def broken() -> None:
        failed.set()
        raise RuntimeError("the job's own failure")

    before = scraper.scrape()
    leader = database_leader(govbot.app.store, govbot.app.settings.database_url, "test", 5.0)
    elected = Elected(leader, [Job("metrics-ok", Every(0.05, at_start=True), work),
                               Job("metrics-broken", Every(0.05, at_start=True), broken)],
                      5.0, govbot.app.settings.database_url)
    elected.start()
    try:
        assert ran.wait(30) and failed.wait(30)
    finally:
        elected.stop()
    after = scraper.scrape()
    assert moved(before, after, "govbot_job_runs_total", job="metrics-ok") >= 1
    assert moved(before, after, "govbot_job_failures_total", job="metrics-ok") == 0
    assert moved(before, after, "govbot_job_failures_total", job="metrics-broken") >= 1
    assert moved(before, after, "govbot_job_seconds_count", job="metrics-ok") >= 1


def test_a_store_that_cannot_be_read_leaves_the_changes_out_and_the_scrape_whole(
        govbot: Govbot, scraper: Scraper) -> None:
    def unreachable() -> dict[str, int]:
        raise ConnectionError("the database is down")

    metrics.watch_changes(unreachable)
    try:
        samples = scraper.scrape()
    finally:
        metrics.watch_changes(govbot.app.store.count_by_state)
    assert not [key for key in samples if key[0] == "govbot_changes"]
    assert ("govbot_guard_errors_total", frozenset()) in samples
    assert ("govbot_changes", frozenset({("state", "open")})) in scraper.scrape()
