"""What `/status <svc>` and `/policies` answer: a service's policies and their state.

`status` gives one line per policy (on, off or not set), like a governance console;
`overview` gives one line per service for `/policies`. Pure, no I/O: the workflow passes
plain data (`policies.document.plain`). A document a human broke still gets an answer:
missing or odd fields read as "not set" or "?".

Example:
    >>> data = {"metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
    ...         "spec": {"versions": {"stable": "v1", "canary": "v2"},
    ...                  "release": {"strategy": "canary", "canaryWeight": 20},
    ...                  "rateLimit": {"enabled": True, "requests": 500, "per": "5s"},
    ...                  "timeout": "3s"}}
    >>> print(status(data))
    svc-user in prod/demo
    versions: stable v1, canary v2
    release: canary, 80% to v1, 20% to v2
    routes: not set
    rate limit: on, 500 requests per 5s
    circuit breaker: not set
    whitelist: not set
    fault: not set
    timeout: 3s, no retries
    autoscale: not set
    >>> overview(data)
    'svc-user  canary 20% · routes — · ratelimit on · circuitbreak — · whitelist — · fault — \
· timeout 3s · autoscale —'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

NOT_SET = "—"


def status(data: Mapping[str, Any], now: datetime | None = None) -> str:
    """One line per policy of the service; `now` marks an expired fault."""
    meta, spec = _mapping(data.get("metadata")), _mapping(data.get("spec"))
    versions = _mapping(spec.get("versions"))
    title = f"{meta.get('name', '?')} in {meta.get('env', '?')}/{meta.get('namespace', '?')}"
    owner = spec.get("managedBy", "govbot")
    lines = [title] + ([f"managed by: {owner}"] if owner != "govbot" else [])
    return "\n".join([
        *lines,
        _versions(versions),
        "release: " + _release(spec, versions, long=True),
        "routes: " + _routes(spec.get("routes"), long=True),
        "rate limit: " + _limit(spec),
        "circuit breaker: " + _breaker(spec),
        "whitelist: " + _whitelist(spec),
        "fault: " + _fault(spec, now, long=True),
        "timeout: " + _timeout(spec),
        "autoscale: " + _autoscale(spec),
    ])


def overview(data: Mapping[str, Any], now: datetime | None = None) -> str:
    """One line for `/policies`: the service and the state of each policy."""
    spec = _mapping(data.get("spec"))
    timeout = spec.get("timeout")
    parts = [
        _release(spec, _mapping(spec.get("versions")), long=False),
        "routes " + _routes(spec.get("routes"), long=False),
        "ratelimit " + _state(spec, "rateLimit"),
        "circuitbreak " + _state(spec, "circuitBreaker"),
        "whitelist " + _state(spec, "allowFrom"),
        "fault " + _fault(spec, now, long=False),
        "timeout " + (str(timeout) if timeout is not None else NOT_SET),
        "autoscale " + _state(spec, "autoscale"),
    ]
    owner = spec.get("managedBy", "govbot")
    if owner != "govbot":
        parts.append(f"managed by {owner}")
    name = _mapping(data.get("metadata")).get("name", "?")
    return f"{name}  " + " · ".join(parts)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _state(spec: Mapping[str, Any], key: str) -> str:
    if key not in spec:
        return NOT_SET
    return "on" if _mapping(spec[key]).get("enabled", True) is True else "off"


def _versions(versions: Mapping[str, Any]) -> str:
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
    if not long:
        return f"canary {weight}%"
    if weight == 0:
        return f"{strategy}, all traffic to {stable}"
    return f"{strategy}, {100 - weight}% to {stable}, {weight}% to {canary}"


def _routes(routes: Any, long: bool) -> str:
    if not isinstance(routes, list) or not routes:
        return "not set" if long else NOT_SET
    if not long:
        return str(len(routes))
    first = _mapping(routes[0])
    match = _mapping(first.get("match"))
    cookie = _mapping(match.get("cookie"))
    text = f"cookie {cookie.get('name', '?')}={cookie.get('value', '?')}" if cookie else "?"
    for header, rule in _mapping(match.get("headers")).items():
        for kind, value in _mapping(rule).items():
            text = f"header {header}={value}" + ("" if kind == "exact" else f" ({kind})")
    return f"{len(routes)}, first {text} → {first.get('to', '?')}"


def _limit(spec: Mapping[str, Any]) -> str:
    if "rateLimit" not in spec:
        return "not set"
    limit = _mapping(spec.get("rateLimit"))
    requests = limit.get("requests", "?")
    noun = "request" if requests == 1 and requests is not True else "requests"
    text = f"{_state(spec, 'rateLimit')}, {requests} {noun} per {limit.get('per', '?')}"
    headers = _mapping(_mapping(limit.get("match")).get("headers"))
    for header, rule in headers.items():
        text += f", only header {header}={_mapping(rule).get('exact', '?')}"
    return text


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
        # Nothing re-renders a service the moment its fault expires: the fault leaves the
        # cluster at the service's next render; /fault off records the end in the policy.
        return (f"expired at {until} UTC (left out from the next render on; "
                "/fault <svc> off records it)") if long else "expired"
    if not long:
        return state + (f" (until {until})" if until and state == "on" else "")
    text = state
    abort, delay = _mapping(fault.get("abort")), _mapping(fault.get("delay"))
    if abort:
        text += f", abort {abort.get('httpStatus', '?')} to {abort.get('percent', '?')}%"
    if delay:
        text += f", delay {delay.get('fixed', '?')} to {delay.get('percent', '?')}%"
    if "expires" in fault:
        text += f", expired at {until} UTC" if expired else f", until {until} UTC"
    return text


def _until(expires: Any, now: datetime | None) -> tuple[str, bool]:
    """(`12:00` in UTC, with the date when not today; or the text as written when it is
    no time; "" without expiry) and whether `now` is past it."""
    if expires is None:
        return "", False
    try:
        moment = datetime.fromisoformat(str(expires).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return str(expires), False
    at = now if now is None or now.tzinfo else now.replace(tzinfo=UTC)
    today = at is None or at.astimezone(UTC).date() == moment.date()
    return moment.strftime("%H:%M" if today else "%Y-%m-%d %H:%M"), at is not None and at >= moment


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
