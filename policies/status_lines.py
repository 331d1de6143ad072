"""One line per policy section, in words: what `/status` and `/policies` show of it.

Each `StatusLine` has the long form for `/status <svc>` (`rate limit: on, 500 requests
per 5s`) and the brief one for `/policies` (`ratelimit on`); a time-boxed part (`for
<d>`) says "until …", or "expired" once its end has passed; the policy kinds
(`policies.kinds`) name theirs and `policies.status` puts them together. A document a
human broke still gets an answer: missing or odd fields read as "not set" or "?".

Example:
    >>> RATE_LIMIT.line({"rateLimit": {"requests": 500, "per": "5s"}}, None)
    'rate limit: on, 500 requests per 5s'
    >>> RATE_LIMIT.brief({}, None)
    'ratelimit —'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from policies import units

NOT_SET = "—"
Describe = Callable[[Mapping[str, Any], "datetime | None"], str]


@dataclass(frozen=True)
class StatusLine:
    """How one policy section reads: `line` for /status, `brief` for /policies."""

    line: Describe
    brief: Describe


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _state(spec: Mapping[str, Any], key: str) -> str:
    if key not in spec:
        return NOT_SET
    return "on" if _mapping(spec[key]).get("enabled", True) is True else "off"


def versions_line(versions: Mapping[str, Any]) -> str:
    """The line under the title: `versions: stable v1, canary v2`."""
    stable, canary = versions.get("stable", "not set"), versions.get("canary")
    return f"versions: stable {stable}" + (f", canary {canary}" if canary else ", no canary")


def _release(spec: Mapping[str, Any], versions: Mapping[str, Any], long: bool) -> str:
    if spec.get("managedBy") == "flagger":  # its Canary resource steers the traffic
        return "managed by Flagger" if long else "release by Flagger"
    if "release" not in spec:
        if not long:
            return "release " + NOT_SET
        routed = any(key in spec for key in ("routes", "timeout", "retries", "fault"))
        return ("not set (no version split: every pod gets the traffic)" if routed
                else "not set (no traffic routing)")
    release = _mapping(spec.get("release"))
    stable, canary = versions.get("stable", "?"), versions.get("canary")
    strategy = release.get("strategy", "canary")
    if strategy == "blueGreen":
        active = release.get("active", "?")
        return f"blue-green, all traffic to {active}" if long else f"bluegreen {active}"
    weight = release.get("canaryWeight", 0) if canary else 0
    if not isinstance(weight, int) or isinstance(weight, bool):
        return f"canary weight {weight!r} is not a percentage" if long else "canary ?"
    plan = release.get("progressive")
    if not long:
        until = plan.get("until") if isinstance(plan, Mapping) else None
        return f"canary {weight}%" + (f" → {until}%" if until is not None else "")
    split = (f"{strategy}, all traffic to {stable}" if weight == 0 else
             f"{strategy}, {100 - weight}% to {stable}, {weight}% to {canary}")
    if isinstance(plan, Mapping):
        split += "; " + _progressive(weight, plan)
    if "expires" in release:
        split += f"; until {release['expires']}, then govbot reverts the weight"
    return split


def _progressive(weight: int, plan: Mapping[str, Any]) -> str:
    """`progressive: 10% → 50% by 10 every 15m, gate …`, or that it reached its end."""
    until = plan.get("until", "?")
    if isinstance(until, int) and weight >= until:
        return f"progressive: reached {until}%, promote or abort it"
    text = (f"progressive: {weight}% → {until}% by {plan.get('step', '?')} every "
            f"{plan.get('every', '?')}")
    gate = plan.get("gate")
    return text + (f", gate {gate_text(gate)}" if isinstance(gate, Mapping) and gate else "")


def plan_text(plan: Any) -> str:
    """`+10 every 15m until 50%, gate success ≥ 99.5%, p99 < 500ms` for a plan block."""
    plan = plan if isinstance(plan, Mapping) else {}
    text = (f"+{plan.get('step', '?')} every {plan.get('every', '?')} "
            f"until {plan.get('until', '?')}%")
    gate = plan.get("gate")
    return text + (f", gate {gate_text(gate)}" if isinstance(gate, Mapping) and gate else "")


def gate_text(gate: Mapping[str, Any]) -> str:
    """`success ≥ 99.5%, p99 < 500ms`: the conditions a gate names."""
    parts = []
    if "successRate" in gate:
        parts.append(f"success ≥ {gate['successRate']}%")
    if "p99" in gate:
        parts.append(f"p99 < {gate['p99']}")
    return ", ".join(parts)


def _routes(routes: Any, now: datetime | None, long: bool) -> str:
    if not isinstance(routes, list) or not routes:
        return "not set" if long else NOT_SET
    if not long:
        ended = sum(1 for route in routes if _until(_mapping(route).get("expires"), now)[1])
        return str(len(routes)) + (f" ({ended} expired)" if ended else "")
    shown = [f"{number}. {_route(_mapping(route), now)}"
             for number, route in enumerate(routes, 1)]
    return f"{len(routes)}, first match wins: " + "; ".join(shown)


def _route(route: Mapping[str, Any], now: datetime | None) -> str:
    match = _mapping(route.get("match"))
    cookie = _mapping(match.get("cookie"))
    text = f"cookie {cookie.get('name', '?')}={cookie.get('value', '?')}" if cookie else "?"
    for header, rule in _mapping(match.get("headers")).items():
        for kind, value in _mapping(rule).items():
            text = f"header {header}={value}" + ("" if kind == "exact" else f" ({kind})")
    return f"{text} → {route.get('to', '?')}" + _ends(route.get("expires"), now)


def _ends(expires: Any, now: datetime | None) -> str:
    """`, until …` for a time-boxed part, `, expired at … (govbot reverts it)` past its
    end; nothing without a time box."""
    until, expired = _until(expires, now)
    if not until:
        return ""
    return f", expired at {until} (govbot reverts it)" if expired else f", until {until}"


def _limit(spec: Mapping[str, Any], now: datetime | None) -> str:
    if "rateLimit" not in spec:
        return "not set"
    limit = _mapping(spec.get("rateLimit"))
    requests = limit.get("requests", "?")
    noun = "request" if requests == 1 and requests is not True else "requests"
    text = f"{_state(spec, 'rateLimit')}, {requests} {noun} per {limit.get('per', '?')}"
    headers = _mapping(_mapping(limit.get("match")).get("headers"))
    for header, rule in headers.items():
        text += f", only header {header}={_mapping(rule).get('exact', '?')}"
    if limit.get("mode") == "shadow":
        text += ", shadow (counted, not enforced)"
    return text + _ends(limit.get("expires"), now)


def _limit_brief(spec: Mapping[str, Any], now: datetime | None) -> str:
    state = _state(spec, "rateLimit")
    until, expired = _until(_mapping(spec.get("rateLimit")).get("expires"), now)
    if state != "on" or not until:
        return state
    return "expired" if expired else f"on (until {until})"


def _breaker(spec: Mapping[str, Any]) -> str:
    if "circuitBreaker" not in spec:
        return "not set"
    cb = _mapping(spec.get("circuitBreaker"))
    text = (f"{_state(spec, 'circuitBreaker')}, eject after {cb.get('consecutive5xxErrors', '?')} "
            f"5xx in {cb.get('interval', '?')} for {cb.get('baseEjectionTime', '?')}")
    for key, words in (("maxEjectionPercent", "at most {}% ejected"),
                       ("maxConnections", "{} connections"),
                       ("maxPendingRequests", "{} pending requests")):
        if key in cb:
            text += ", " + words.format(cb[key])
    return text


def _whitelist(spec: Mapping[str, Any]) -> str:
    if "allowFrom" not in spec:
        return "not set"
    callers = _mapping(spec.get("allowFrom")).get("callers")
    names = ", ".join(str(c) for c in callers) if isinstance(callers, list) else "?"
    return f"{_state(spec, 'allowFrom')}, callers {names}"


def _fault(spec: Mapping[str, Any], now: datetime | None, long: bool) -> str:
    if "fault" not in spec:
        return "not set" if long else NOT_SET
    fault = _mapping(spec.get("fault"))
    state = _state(spec, "fault")
    until, expired = _until(fault.get("expires"), now)
    if state == "on" and expired:
        # govbot applies the service again once its fault has expired (at start and in
        # serve's periodic sweep), and merges a change of its own that removes it.
        return (f"expired at {until} (taken out of the applied manifests; "
                "govbot reverts it)") if long else "expired"
    if not long:
        return state + (f" (until {until})" if until and state == "on" else "")
    text = state
    abort, delay = _mapping(fault.get("abort")), _mapping(fault.get("delay"))
    if abort:
        text += f", abort {abort.get('httpStatus', '?')} to {abort.get('percent', '?')}%"
    if delay:
        text += f", delay {delay.get('fixed', '?')} to {delay.get('percent', '?')}%"
    if "expires" in fault:
        text += f", expired at {until}" if expired else f", until {until}"
    return text


def _until(expires: Any, now: datetime | None) -> tuple[str, bool]:
    """(`2026-11-27 12:00:00 UTC`; or the text as written when it is no time; "" without
    expiry) and whether `now` is past it."""
    if expires is None:
        return "", False
    try:
        moment = datetime.fromisoformat(str(expires).replace("Z", "+00:00"))
    except ValueError:
        return str(expires), False
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    at = now if now is None or now.tzinfo else now.replace(tzinfo=UTC)
    return units.utc_text(moment), at is not None and at >= moment


def _timeout(spec: Mapping[str, Any]) -> str:
    retries = _mapping(spec.get("retries"))
    if "timeout" not in spec and not retries:
        return "not set"
    text = str(spec.get("timeout", "none"))
    if not retries:
        return text + ", no retries"
    text += f", retries {retries.get('attempts', '?')}"
    if "perTryTimeout" in retries:
        text += f" per {retries['perTryTimeout']}"
    if "retryOn" in retries:
        text += f" on {retries['retryOn']}"
    return text


def _autoscale(spec: Mapping[str, Any]) -> str:
    if "autoscale" not in spec:
        return "not set"
    scale = _mapping(spec.get("autoscale"))
    text = f"{_state(spec, 'autoscale')}, {scale.get('min', '?')}-{scale.get('max', '?')} replicas"
    return text + (f" at {scale['cpuPercent']}% cpu" if "cpuPercent" in scale else "")


def _exposed(spec: Mapping[str, Any], long: bool) -> str:
    """`user.example.com via istio-system/public`; "" for a service that is not exposed,
    the usual case, so /status and /policies leave the line out."""
    value = spec.get("exposed")
    if value is True:
        return ("through the ingress gateway (the whitelist keeps it; no routes of "
                "govbot's at the gateway)") if long else "gateway"
    if not isinstance(value, Mapping):
        return ""
    listed = value.get("hosts")
    names = ", ".join(str(h) for h in listed) if isinstance(listed, list) and listed else "?"
    return f"{names} via {value.get('gateway', '?')}" if long else names


def _versions_of(spec: Mapping[str, Any]) -> Mapping[str, Any]:
    return _mapping(spec.get("versions"))


RELEASE = StatusLine(
    lambda spec, now: "release: " + _release(spec, _versions_of(spec), long=True),
    lambda spec, now: _release(spec, _versions_of(spec), long=False))
ROUTES = StatusLine(
    lambda spec, now: "routes: " + _routes(spec.get("routes"), now, long=True),
    lambda spec, now: "routes " + _routes(spec.get("routes"), now, long=False))
RATE_LIMIT = StatusLine(
    lambda spec, now: "rate limit: " + _limit(spec, now),
    lambda spec, now: "ratelimit " + _limit_brief(spec, now))
CIRCUIT_BREAKER = StatusLine(
    lambda spec, now: "circuit breaker: " + _breaker(spec),
    lambda spec, now: "circuitbreak " + _state(spec, "circuitBreaker"))
WHITELIST = StatusLine(
    lambda spec, now: "whitelist: " + _whitelist(spec),
    lambda spec, now: "whitelist " + _state(spec, "allowFrom"))
FAULT = StatusLine(
    lambda spec, now: "fault: " + _fault(spec, now, long=True),
    lambda spec, now: "fault " + _fault(spec, now, long=False))
TIMEOUT = StatusLine(
    lambda spec, now: "timeout: " + _timeout(spec),
    lambda spec, now: "timeout " + (str(spec["timeout"]) if "timeout" in spec else NOT_SET))
AUTOSCALE = StatusLine(
    lambda spec, now: "autoscale: " + _autoscale(spec),
    lambda spec, now: "autoscale " + _state(spec, "autoscale"))
EXPOSED = StatusLine(
    lambda spec, now: ("exposed: " + text) if (text := _exposed(spec, long=True)) else "",
    lambda spec, now: ("exposed " + text) if (text := _exposed(spec, long=False)) else "")
