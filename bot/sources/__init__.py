"""Where governance events come from: Prometheus (Istio's request metrics), the
Alertmanager webhook, Kubernetes events. Each source turns what it reads into
`bot.core.events.GovernanceEvent`s and hands them to the one funnel
(`Workflow.ingest`): stored, routed to the channel that owns the namespace, grouped,
posted. Sources know nothing of chat or of the store.

Prometheus also answers what a service's traffic was (`RequestHistory`), for /whatif,
and how a canary version fares (`canary_health`), for a progressive canary's gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.core.events import GovernanceEvent


@dataclass(frozen=True)
class PrometheusSettings:
    """GOVBOT_PROMETHEUS_URL (every environment without its own `prometheus:` in
    govbot.yaml) and GOVBOT_PROMETHEUS_INTERVAL_SECONDS (how often it is asked)."""

    url: str = ""
    interval_seconds: float = 30.0


class EventSource(Protocol):
    """Asked every `interval_seconds`; never raises (a source that is down is logged and
    asked again next time)."""

    interval_seconds: float

    def poll(self) -> list[GovernanceEvent]: ...


Rate = tuple[datetime, float]  # requests per second at a moment


@dataclass(frozen=True)
class Health:
    """How a canary version answered over a window: `requests` received, the percent of
    them that were not 5xx, and their 99th percentile latency in milliseconds (None when
    no latency histogram had data)."""

    requests: float
    success: float
    p99_ms: float | None
    window: str


class RequestHistory(Protocol):
    """A service's past request rate."""

    def configured(self, env: str) -> bool:
        """Whether the environment has a Prometheus to ask."""
        ...

    def request_rate(self, env: str, namespace: str, service: str, start: datetime,
                     end: datetime, step_seconds: float) -> Sequence[Rate]:
        """Requests per second the service received, every `step_seconds` from `start` to
        `end`; TransientError when the answer cannot be had now."""
        ...

    def canary_health(self, env: str, namespace: str, service: str, version: str,
                      window: str, at: datetime) -> Health | None:
        """How `version` of the service answered over the `window` (a duration) before
        `at`; None without traffic (or without a Prometheus); TransientError when the
        answer cannot be had now."""
        ...


class NoHistory:
    """No Prometheus anywhere: nothing is configured."""

    def configured(self, env: str) -> bool:
        return False

    def request_rate(self, env: str, namespace: str, service: str, start: datetime,
                     end: datetime, step_seconds: float) -> Sequence[Rate]:
        return []

    def canary_health(self, env: str, namespace: str, service: str, version: str,
                      window: str, at: datetime) -> Health | None:
        return None
