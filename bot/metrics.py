"""govbot's own Prometheus metrics, and `metrics_app`, the WSGI app that serves them.

The metrics live in `REGISTRY`, govbot's registry rather than prometheus-client's global
one, so a test reads exactly what govbot counted and nothing a library registered. The
ports and funnels record into them, each in one place: `Workflow` (commands, governance
events), the guard port (`bot.guard.build`), the apply target port (`bot.apply.build`),
each chat platform's HTTP client, and the scheduler. `govbot serve` mounts `metrics_app`
at `/metrics` (docs/observability.md lists every metric).

The number of changes by state is not counted here: with several replicas, a gauge kept
on transitions would hold only what this process saw. The composition root hands
`watch_changes` a reader of the shared store instead, asked at each scrape, so every
replica reports the same, whole number.

Example:
    metrics.command("canary", "ok")
    with metrics.timed(metrics.JOB_SECONDS, "tick"):
        run_the_tick()
    routes["/metrics"] = metrics.metrics_app        # govbot serve's routes
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, make_wsgi_app
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("govbot.metrics")

REGISTRY = CollectorRegistry(auto_describe=True)

# prometheus-client adds `_total` to a counter's name when it is exposed
COMMANDS = Counter("govbot_commands", "Chat and forge commands handled, by command name and "
                   "outcome.", ["command", "outcome"], registry=REGISTRY)
GUARD_DECISIONS = Counter("govbot_guard_decisions", "Guard decisions, by whether the change "
                          "was allowed.", ["allowed"], registry=REGISTRY)
GUARD_SECONDS = Histogram("govbot_guard_seconds", "Time the guard took to decide.",
                          registry=REGISTRY,
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
GUARD_ERRORS = Counter("govbot_guard_errors", "Guard evaluations that raised instead of "
                       "deciding.", registry=REGISTRY)
APPLY_SECONDS = Histogram("govbot_apply_seconds", "Time one policy document's objects took to "
                          "apply, by apply target.", ["target"], registry=REGISTRY,
                          buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60))
APPLY_FAILURES = Counter("govbot_apply_failures", "Documents the apply target did not take "
                         "(refused for good or failed for now), by apply target.", ["target"],
                         registry=REGISTRY)
CHAT_CALLS = Counter("govbot_chat_calls", "HTTP calls to a chat platform's API, by platform.",
                     ["platform"], registry=REGISTRY)
CHAT_ERRORS = Counter("govbot_chat_errors", "Chat API calls that failed after their retries, "
                      "by platform.", ["platform"], registry=REGISTRY)
EVENTS_INGESTED = Counter("govbot_events_ingested", "Governance events handed to the funnel, "
                          "by kind.", ["kind"], registry=REGISTRY)
EVENT_NOTICES = Counter("govbot_event_notices", "Governance-event messages the funnel gave a "
                        "chat platform to post or update, by platform.", ["platform"],
                        registry=REGISTRY)
JOB_RUNS = Counter("govbot_job_runs", "Scheduled job runs, by job.", ["job"], registry=REGISTRY)
JOB_FAILURES = Counter("govbot_job_failures", "Scheduled job steps that raised, by job.",
                       ["job"], registry=REGISTRY)
JOB_SECONDS = Histogram("govbot_job_seconds", "Time a scheduled job took, by job.", ["job"],
                        registry=REGISTRY,
                        buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300))
LOG_MESSAGES = Counter("govbot_log_messages", "Log lines written at WARNING or above, by "
                       "level.", ["level"], registry=REGISTRY)


def command(name: str, outcome: str) -> None:
    COMMANDS.labels(command=name, outcome=outcome).inc()


def decided(allowed: bool, seconds: float) -> None:
    GUARD_DECISIONS.labels(allowed="true" if allowed else "false").inc()
    GUARD_SECONDS.observe(seconds)


def chat_call(platform: str, ok: bool) -> None:
    CHAT_CALLS.labels(platform=platform).inc()
    if not ok:
        CHAT_ERRORS.labels(platform=platform).inc()


@contextlib.contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    """Observe how long the block took, also when it raised."""
    started = time.perf_counter()
    try:
        yield
    finally:
        metric = histogram.labels(*labels) if labels else histogram
        metric.observe(time.perf_counter() - started)


class _Changes(Collector):
    """`govbot_changes{state}`, read from the store at scrape time."""

    def __init__(self) -> None:
        self.count: Callable[[], Mapping[str, int]] | None = None

    def describe(self) -> Iterable[GaugeMetricFamily]:
        # registering must not ask the store; the name is all the registry needs
        return [self._family()]

    def collect(self) -> Iterable[GaugeMetricFamily]:
        if self.count is None:
            return []
        try:
            counted = self.count()
        except Exception as error:  # a scrape must answer while the database is down
            log.warning("counting changes by state for /metrics: %s", type(error).__name__)
            return []
        family = self._family()
        for state, number in sorted(counted.items()):
            family.add_metric([state], number)
        return [family]

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("govbot_changes", "Changes in the store, by state (the same "
                                 "on every replica: it is read from the shared database).",
                                 labels=["state"])


_CHANGES = _Changes()
REGISTRY.register(_CHANGES)


def watch_changes(count: Callable[[], Mapping[str, int]]) -> None:
    """Serve `govbot_changes{state}` from `count`, asked at each scrape (the composition
    root passes the store's count; the last one given wins)."""
    _CHANGES.count = count


metrics_app = make_wsgi_app(REGISTRY)
