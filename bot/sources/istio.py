"""Istio's request metrics as governance events: the queries, and what a series means.

Pure: `bot.sources.prometheus` sends `QUERIES` and hands each answered series to
`kind_of` and `events`. Envoy joins several response flags with commas (`UF,URX`), so a
flag is looked up among the comma-separated parts, never by substring.

Example:
    >>> kind_of("source", 503, "UF,UO")
    'circuit_break'
    >>> kind_of("destination", 429, "RL")
    'rate_limit'
    >>> kind_of("source", 200, "-") is None
    True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from bot.core.events import GovernanceEvent

# Flags the client proxy sets (reporter="source"), in the order a series with several of
# them is classified: the first that matches names its kind.
SOURCE_FLAGS: tuple[tuple[str, str], ...] = (
    ("UO", "circuit_break"),
    ("UH", "no_healthy_upstream"),
    ("UT", "timeout"),
    ("URX", "retry"),
    ("FI", "fault"),
    ("DI", "fault"),
)
# Native AuthorizationPolicy denials set no flag (istio-mapping §10b): a 403 at the
# destination without a flag, or with UAEX (external authorization), counts as denied.
DENIED_FLAGS = frozenset({"", "-", "UAEX"})

LABELS = ("destination_service_name", "destination_service_namespace", "source_workload",
          "source_workload_namespace", "response_code", "response_flags")
_BY = ", ".join(LABELS)
_SOURCE = "|".join(dict.fromkeys(flag for flag, _kind in SOURCE_FLAGS))


def queries(window: str) -> tuple[str, ...]:
    """The PromQL sent every interval: client-side flags, server-side 429 and 403."""
    return (
        f'sum by ({_BY}) (increase(istio_requests_total{{reporter="source", '
        f'response_flags=~"(.*,)?({_SOURCE})(,.*)?"}}[{window}])) > 0',
        f'sum by ({_BY}) (increase(istio_requests_total{{reporter="destination", '
        f'response_code=~"429|403"}}[{window}])) > 0',
        # a limit that answers with another status than 429 still sets RL
        f'sum by ({_BY}) (increase(istio_requests_total{{reporter="destination", '
        f'response_code!~"429|403", response_flags=~"(.*,)?RL(,.*)?"}}[{window}])) > 0',
    )


REPORTERS = ("source", "destination", "destination")  # who reports each of queries()

# Envoy's local rate limit counts what it would reject even when it enforces nothing
# (`filter_enforced` 0 %): rate_limited − enforced is what a shadow limit let through.
# The stats need proxyStatsMatcher `.*http_local_rate_limit.*`, and the pod scrape must
# label them with `namespace` and `app` (Istio's sample Prometheus does).
_STAT = "envoy_http_local_rate_limiter_http_local_rate_limit"


def shadow_query(window: str) -> str:
    """Per namespace and app: requests a limit counted over its rate but did not reject."""
    limited = f"sum by (namespace, app) (increase({_STAT}_rate_limited[{window}]))"
    enforced = f"sum by (namespace, app) (increase({_STAT}_enforced[{window}]))"
    return f"({limited} - on (namespace, app) ({enforced} or {limited} * 0)) > 0"


def flags(text: str) -> frozenset[str]:
    """The flags of `response_flags`: `UF,URX` → {UF, URX}; `-` → {}."""
    return frozenset(part.strip() for part in text.split(",") if part.strip() not in ("", "-"))


def kind_of(reporter: str, code: int | None, response_flags: str) -> str | None:
    """The governance kind of a series, or None when it is none of them."""
    found = flags(response_flags)
    if reporter == "source":
        return next((kind for flag, kind in SOURCE_FLAGS if flag in found), None)
    if reporter == "destination":
        if "RL" in found or code == 429:
            return "rate_limit"
        if code == 403 and (found <= DENIED_FLAGS):
            return "denied"
    return None


def _code(text: str) -> int | None:
    return int(text) if text.isdigit() else None


Row = tuple[Mapping[str, str], float]  # a series' labels and its increase over the window


def events(rows: Iterable[tuple[str, Row]], env_of: Mapping[str, str], default_env: str,
           at: datetime, window: float) -> list[GovernanceEvent]:
    """Governance events of answered series (`(reporter, (labels, increase))`): one per
    kind, service, caller and code, their increases summed and rounded; nothing for a
    series that rounds to 0. `env_of` maps a namespace to its environment; others go to
    `default_env`."""
    counts: dict[tuple[str, str, str, str, str, int | None], float] = {}
    for reporter, (labels, increase) in rows:
        code = _code(labels.get("response_code", ""))
        kind = kind_of(reporter, code, labels.get("response_flags", ""))
        if kind is None:
            continue
        key = (kind, labels.get("destination_service_namespace", ""),
               labels.get("destination_service_name", ""), labels.get("source_workload", ""),
               labels.get("source_workload_namespace", ""), code)
        counts[key] = counts.get(key, 0.0) + increase
    found = []
    for (kind, namespace, service, caller, caller_ns, code), increase in counts.items():
        count = round(increase)
        if count <= 0:
            continue
        found.append(GovernanceEvent(
            kind=kind, env=env_of.get(namespace, default_env), namespace=namespace,
            service=service, at=at, count=count, window=window, code=code,
            source_service="" if caller == "unknown" else caller,
            source_namespace="" if caller_ns == "unknown" else caller_ns,
            severity="critical" if kind in ("circuit_break", "no_healthy_upstream")
            else "warning"))
    return sorted(found, key=lambda e: (e.env, e.namespace, e.service, e.kind, -e.count))


def shadow_events(rows: Iterable[Row], env_of: Mapping[str, str], default_env: str,
                  at: datetime, window: float) -> list[GovernanceEvent]:
    """`rate_limit` events of shadow limits (`shadow_query`): what they would have
    rejected. Their key keeps them apart from the limits that did reject."""
    found = []
    for labels, increase in rows:
        count, namespace = round(increase), labels.get("namespace", "")
        service = labels.get("app", "")
        if count <= 0 or not service:
            continue
        env = env_of.get(namespace, default_env)
        found.append(GovernanceEvent(
            kind="rate_limit", env=env, namespace=namespace, service=service, at=at,
            count=count, window=window, code=None, severity="info",
            key=f"shadow:{env}/{namespace}/{service}",
            title=(f"shadow rate limit on {service} in {env}/{namespace} would have "
                   f"rejected {count} requests in {window:g}s (not enforced)")))
    return found
