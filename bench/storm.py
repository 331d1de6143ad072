"""The event storm: a burst of governance events derived from a Prometheus answer through
govbot's own conversion (`bot.sources.istio.events`), ingested in one
`Workflow.ingest` call, then announced through the Slack adapter to a local fake Slack
that notes when each message arrives.

Figures: the ingest rate, whether every event is stored (a count in the store's
`governance_events` table), and the most messages one channel received in any window of
`pace_window` seconds, against Slack's one message per second per channel.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bench.flows import home_with, open_app
from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from bot.sources.istio import events as istio_events
from tests.chat.slack.fake_slack import FakeSlack

SERVICES = 100


class TimedSlack(FakeSlack):
    """The chat tests' fake Slack, noting when each chat.postMessage arrives, by channel."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: dict[str, list[float]] = {}
        self._times = threading.Lock()

    def answer(self, path: str, headers: Any, raw: str) -> tuple[int, str, dict[str, str]]:
        status, text, extra = super().answer(path, headers, raw)
        if path.endswith("chat.postMessage") and status == 200:
            channel = self.calls[-1].body.get("channel") or "?"
            with self._times:
                self.posted.setdefault(str(channel), []).append(time.monotonic())
        return status, text, extra


def rows(count: int) -> list[tuple[str, tuple[dict[str, str], float]]]:
    """`count` distinct series of circuit-broken calls (flag UO) to SERVICES services in
    prod/demo from count/SERVICES callers, as Prometheus answers the source query."""
    found = []
    for n in range(count):
        labels = {"destination_service_name": f"svc-{n % SERVICES:05d}",
                  "destination_service_namespace": "demo",
                  "source_workload": f"caller-{n // SERVICES:04d}",
                  "source_workload_namespace": "demo", "response_code": "503",
                  "response_flags": "UO"}
        found.append(("source", (labels, float(1 + n % 5))))
    return found


@dataclass(frozen=True)
class StormFigures:
    events: int
    ingest_s: float
    stored: int
    notices: int
    posted: int
    peak_per_channel: int       # most messages to one channel within pace_window seconds
    pace_window: float


def _peak(times: list[float], window: float) -> int:
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        best = max(best, sum(1 for t in ordered[i:] if t < start + window))
    return best


def storm(count: int, observe: float, pace_window: float) -> StormFigures:
    with home_with(SERVICES, 1) as (home, _layout):
        app = open_app(home)
        burst = istio_events(rows(count), {"demo": "prod"}, "prod", datetime.now(UTC), 30.0)
        started = time.perf_counter()
        told = app.workflow.ingest(burst)
        ingest_s = time.perf_counter() - started
        with sqlite3.connect(home / "govbot.db") as db:
            stored = int(db.execute("SELECT count(*) FROM governance_events").fetchone()[0])
        fake = TimedSlack()
        chat = SlackChat(SlackSettings(signing_secret="bench", bot_token="xoxb-bench",
                                       api_url=fake.url + "/api/"),
                         app.workflow, app.store)
        try:
            chat.announce(told)
            time.sleep(observe)
        finally:
            chat.stop(timeout=1)
            fake.close()
            app.close()
    posted = sum(len(t) for t in fake.posted.values())
    peak = max((_peak(t, pace_window) for t in fake.posted.values()), default=0)
    return StormFigures(len(burst), ingest_s, stored, len(told), posted, peak, pace_window)
