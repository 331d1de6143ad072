"""The Prometheus source: Istio's request metrics every interval, as governance events.

`govbot serve` runs `PrometheusSource.poll()` every GOVBOT_PROMETHEUS_INTERVAL_SECONDS
and hands what it returns to `Workflow.ingest`; /whatif asks it for a service's past
request rate (`request_rate`), and a progressive canary's gate how its canary version
fares (`canary_health`). Each environment is asked of its own Prometheus
(`environments.<env>.prometheus` in govbot.yaml) or of GOVBOT_PROMETHEUS_URL. A
Prometheus that is down is logged once and asked again at the next interval.

Example:
    source = PrometheusSource(lambda: [Target("prod", "http://prom:9090", ("demo",))],
                              interval_seconds=30)
    source.poll()   # [GovernanceEvent(kind="circuit_break", service="svc-user", ...)]
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests

from bot.core.errors import TransientError
from bot.core.events import GovernanceEvent
from bot.sources import Health, Rate
from bot.sources.istio import REPORTERS, Row, events, queries, shadow_events, shadow_query

log = logging.getLogger("govbot.sources.prometheus")
TIMEOUT = 10.0


@dataclass(frozen=True)
class Target:
    """One environment and the Prometheus that holds its metrics."""

    env: str
    url: str
    namespaces: tuple[str, ...] = ()


def targets(default_url: str, environments: Mapping[str, Any]) -> list[Target]:
    """Every environment of govbot.yaml with a Prometheus: its own, else `default_url`."""
    found = []
    for env, body in environments.items():
        body = body if isinstance(body, Mapping) else {}
        url = str(body.get("prometheus") or default_url).rstrip("/")
        namespaces = body.get("namespaces")
        if url:
            found.append(Target(str(env), url, tuple(
                str(n) for n in (namespaces if isinstance(namespaces, Mapping) else ()))))
    return found


def utcnow() -> datetime:
    return datetime.now(UTC)


class PrometheusApi:
    """`/api/v1/query` and `/api/v1/query_range` of one Prometheus."""

    def __init__(self, url: str, session: requests.Session, timeout: float = TIMEOUT):
        self.url = url.rstrip("/")
        self._session = session
        self._timeout = timeout

    def query(self, expr: str, at: datetime) -> list[Row]:
        """An instant vector: each series' labels and value."""
        data = self._get("/api/v1/query", {"query": expr, "time": at.timestamp()})
        return [(item["metric"], float(item["value"][1])) for item in data["result"]]

    def query_range(self, expr: str, start: datetime, end: datetime,
                    step_seconds: float) -> list[tuple[Mapping[str, str], list[Rate]]]:
        """A range vector: each series' labels and its (moment, value) points."""
        data = self._get("/api/v1/query_range", {
            "query": expr, "start": start.timestamp(), "end": end.timestamp(),
            "step": f"{step_seconds:g}"})
        return [(item["metric"], [(datetime.fromtimestamp(float(t), UTC), float(v))
                                  for t, v in item["values"]]) for item in data["result"]]

    def _get(self, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            answer = self._session.get(self.url + path, params=params, timeout=self._timeout)
            body = answer.json()
        except (requests.RequestException, ValueError) as error:
            raise TransientError(f"asking prometheus at {self.url}: {error}") from error
        if not isinstance(body, dict) or body.get("status") != "success":
            problem = body.get("error") if isinstance(body, dict) else None
            raise TransientError(f"asking prometheus at {self.url}: answered "
                                 f"{answer.status_code} {problem or 'without data'}")
        data = body.get("data")
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise TransientError(f"asking prometheus at {self.url}: no result in the answer")
        return data


class PrometheusSource:
    """Governance events and request rates from the Prometheus of each environment.

    `targets` is asked at every poll, so a govbot.yaml merged meanwhile counts at once.
    """

    def __init__(self, targets: Callable[[], Sequence[Target]], interval_seconds: float = 30.0,
                 clock: Callable[[], datetime] = utcnow,
                 session: requests.Session | None = None) -> None:
        self.interval_seconds = interval_seconds
        self._targets = targets
        self._clock = clock
        self._session = session or requests.Session()
        self._down: set[str] = set()

    @property
    def window(self) -> str:
        """The interval as a PromQL range: every poll counts what happened since the last."""
        return f"{max(1, round(self.interval_seconds * 1000))}ms"

    def poll(self) -> list[GovernanceEvent]:
        """What happened in the last interval, in every environment; never raises."""
        try:
            found = self._targets()
        except Exception:
            log.exception("reading the environments to poll prometheus")
            return []
        by_url: dict[str, list[Target]] = {}
        for target in found:
            by_url.setdefault(target.url, []).append(target)
        at = self._clock()
        result: list[GovernanceEvent] = []
        for url, shared in by_url.items():
            try:
                result += self._poll(PrometheusApi(url, self._session), shared, at)
            except TransientError as error:
                if url not in self._down:
                    log.warning("%s; asked again every %gs", error, self.interval_seconds)
                self._down.add(url)
                continue
            if url in self._down:
                log.info("prometheus at %s answers again", url)
                self._down.discard(url)
        return result

    def _poll(self, api: PrometheusApi, shared: Sequence[Target], at: datetime
              ) -> list[GovernanceEvent]:
        """One Prometheus: a namespace belongs to the first environment that lists it;
        one no environment lists, to the first environment."""
        env_of: dict[str, str] = {}
        for target in shared:
            for namespace in target.namespaces:
                env_of.setdefault(namespace, target.env)
        default, window = shared[0].env, self.interval_seconds
        rows = [(reporter, row) for reporter, expr in zip(REPORTERS, queries(self.window),
                                                          strict=True)
                for row in api.query(expr, at)]
        shadow = api.query(shadow_query(self.window), at)
        return (events(rows, env_of, default, at, window)
                + shadow_events(shadow, env_of, default, at, window))

    # -- request history (/whatif) --------------------------------------------------------

    def _target(self, env: str) -> Target | None:
        return next((t for t in self._targets() if t.env == env), None)

    def configured(self, env: str) -> bool:
        return self._target(env) is not None

    def request_rate(self, env: str, namespace: str, service: str, start: datetime,
                     end: datetime, step_seconds: float) -> list[Rate]:
        """Requests per second the service's sidecars received (reporter="destination"),
        as a 1-minute rate every `step_seconds`; steps without traffic are missing."""
        target = self._target(env)
        if target is None:
            return []
        expr = ('sum(rate(istio_requests_total{reporter="destination", '
                f'destination_service_name="{service}", '
                f'destination_service_namespace="{namespace}"}}[1m]))')
        series = PrometheusApi(target.url, self._session).query_range(
            expr, start, end, step_seconds)
        return series[0][1] if series else []

    # -- a canary version's health (progressive canaries) ---------------------------------

    def canary_health(self, env: str, namespace: str, service: str, version: str,
                      window: str, at: datetime) -> Health | None:
        """What the sidecars of `version` reported (reporter="destination") over `window`
        before `at`: requests, the share that was not 5xx, and the p99 latency; None when
        the version received no request in the window."""
        target = self._target(env)
        if target is None:
            return None
        api = PrometheusApi(target.url, self._session)
        selector = canary_selector(namespace, service, version)
        total = _scalar(api.query(f"sum(increase(istio_requests_total{{{selector}}}[{window}]))",
                                  at))
        if total is None or total <= 0:
            return None
        failed = _scalar(api.query(
            f'sum(increase(istio_requests_total{{{selector}, response_code=~"5.."}}'
            f"[{window}]))", at)) or 0.0
        p99 = _scalar(api.query(
            "histogram_quantile(0.99, sum by (le) (rate("
            f"istio_request_duration_milliseconds_bucket{{{selector}}}[{window}])))", at))
        return Health(requests=total, success=100.0 * (total - failed) / total,
                      p99_ms=p99, window=window)


def canary_selector(namespace: str, service: str, version: str) -> str:
    """The label matchers of a canary version's own requests, as its sidecars report
    them."""
    return (f'reporter="destination", destination_workload_namespace="{namespace}", '
            f'destination_service_name="{service}", destination_version="{version}"')


def _scalar(rows: Sequence[Row]) -> float | None:
    """The one value of an aggregated instant vector; None when empty or NaN."""
    if not rows:
        return None
    value = rows[0][1]
    return None if math.isnan(value) else value
