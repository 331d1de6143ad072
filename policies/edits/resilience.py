"""/ratelimit, /circuitbreak, /timeout and /scale on a document.

Setting a section writes every number the command gave and drops the optional ones it
left out; `off`/`on` keep the numbers (see `policies.edits.section`). A rate limit set
`for <d>` carries `rateLimit.expires`; one set without `for` has none.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> where = Where("services/prod/demo/svc-user.yaml", "demo")
    >>> timeout(spec, Timeout("svc-user", "set", "3s", attempts=2, per_try="1s"), where)
    'timeout svc-user 3s retries 2 per 1s'
    >>> scale(spec, Scale("svc-user", "set", 2, 10, 70), where)
    'scale svc-user min 2 max 10 cpu 70%'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.core.errors import UsageError, UserError
from policies import values
from policies.edits import keep, timebox
from policies.edits.section import Names, Where, section, toggle
from policies.intents import CircuitBreak, RateLimit, Scale, Timeout

_RATELIMIT = Names("ratelimit", "rate limit", "/ratelimit {svc} 500/5s")
_BREAKER = Names("circuitbreak", "circuit breaker",
                 "/circuitbreak {svc} 5xx=5 interval=30s eject=30s")
_BREAKER_OPTIONAL = ("maxEjectionPercent", "maxConnections", "maxPendingRequests")
_SCALE = Names("scale", "autoscaling", "/scale {svc} min 2 max 10 cpu 70%")


def rate_limit(spec: CommentedMap, intent: RateLimit, where: Where) -> str:
    if intent.mode == "enforce":
        return _enforce(spec, intent.service)
    if intent.mode != "set":
        return toggle(spec, "rateLimit", intent.mode, intent.service, _RATELIMIT)
    if intent.requests is None or intent.per is None:
        example = "/ratelimit svc-user 500/5s"
        raise UsageError("a rate limit needs requests and a window", example=example)
    wanted = CommentedMap(enabled=True, requests=intent.requests, per=intent.per)
    rate = f"{intent.requests}/{intent.per}"
    if intent.header is not None:
        header, value = intent.header[0].lower(), intent.header[1]
        exact = CommentedMap(exact=value)
        wanted["match"] = CommentedMap(headers=CommentedMap([(header, exact)]))
        rate += f" header {header}={value}"
    if intent.shadow:
        wanted["mode"] = "shadow"
        rate += " shadow"
    ends = timebox.expiry(intent.duration, intent.expires,
                          f"/ratelimit {intent.service} 500/5s for 2h")
    if ends is not None:
        wanted["expires"] = DoubleQuotedScalarString(ends[0])
        rate += f" for {intent.duration} (until {ends[1]})"
    return _put(spec, "rateLimit", wanted, ("match", "mode", "expires"),
                f"ratelimit {intent.service} {rate}")


def _enforce(spec: CommentedMap, service: str) -> str:
    """A shadow limit starts rejecting: `mode: shadow` goes (enforcing is the default)."""
    found = section(spec, "rateLimit")
    if found is None:
        raise UserError(f"{service} has no rate limit to enforce; set one first, e.g. "
                        f"{_RATELIMIT.example.format(svc=service)} shadow")
    if found.get("mode", "enforce") != "shadow":
        return f"ratelimit {service} already enforce"
    keep.delete_key(found, "mode")
    return f"ratelimit {service} enforce"


def circuit_break(spec: CommentedMap, intent: CircuitBreak, where: Where) -> str:
    if intent.mode != "set":
        return toggle(spec, "circuitBreaker", intent.mode, intent.service, _BREAKER)
    given = (intent.consecutive_5xx, intent.interval, intent.ejection)
    if any(value is None for value in given):
        raise UsageError("a circuit breaker needs 5xx=, interval= and eject=",
                         example="/circuitbreak svc-user 5xx=5 interval=30s eject=30s")
    wanted = CommentedMap(enabled=True, consecutive5xxErrors=intent.consecutive_5xx,
                          interval=intent.interval, baseEjectionTime=intent.ejection)
    text = f"5xx={intent.consecutive_5xx} interval={intent.interval} eject={intent.ejection}"
    for key, value, word in (("maxEjectionPercent", intent.max_ejection_percent, "maxeject"),
                             ("maxConnections", intent.max_connections, "maxconn"),
                             ("maxPendingRequests", intent.max_pending, "pending")):
        if value is not None:
            wanted[key] = value
            text += f" {word}={value}" + ("%" if word == "maxeject" else "")
    summary = f"circuitbreak {intent.service} {text}"
    return _put(spec, "circuitBreaker", wanted, _BREAKER_OPTIONAL, summary)


def timeout(spec: CommentedMap, intent: Timeout, where: Where) -> str:
    name = intent.service
    if intent.mode == "off":
        if "timeout" not in spec and "retries" not in spec:
            raise UserError(f"{name} has no timeout or retries to turn off; "
                            f"set them first, e.g. /timeout {name} 3s retries 2")
        for key in ("timeout", "retries"):
            if key in spec:
                keep.delete_key(spec, key)
        return f"timeout {name} off"
    if intent.timeout is None:
        raise UsageError("a timeout is needed", example="/timeout svc-user 3s retries 2")
    text = intent.timeout
    retries = CommentedMap()
    if intent.attempts is not None:
        retries["attempts"] = intent.attempts
        text += f" retries {intent.attempts}"
        for key, value, word in (("perTryTimeout", intent.per_try, "per"),
                                 ("retryOn", intent.retry_on, "on")):
            if value is not None:
                retries[key] = value
                text += f" {word} {value}"
    same_retries = values.same(spec.get("retries"), retries) if retries else (
        "retries" not in spec)
    if spec.get("timeout") == intent.timeout and same_retries:
        return f"timeout {name} already {text}"
    keep.set_key(spec, "timeout", intent.timeout)
    if retries:
        keep.put_section(spec, "retries", retries, ("perTryTimeout", "retryOn"))
    elif "retries" in spec:
        keep.delete_key(spec, "retries")
    return f"timeout {name} {text}"


def scale(spec: CommentedMap, intent: Scale, where: Where) -> str:
    if intent.mode == "off":
        return toggle(spec, "autoscale", "off", intent.service, _SCALE)
    if intent.mode == "on":
        return toggle(spec, "autoscale", "on", intent.service, _SCALE)
    if intent.min is None or intent.max is None:
        raise UsageError("autoscaling needs min and max",
                         example="/scale svc-user min 2 max 10 cpu 70%")
    wanted = CommentedMap(enabled=True, min=intent.min, max=intent.max)
    text = f"min {intent.min} max {intent.max}"
    if intent.cpu is not None:
        wanted["cpuPercent"] = intent.cpu
        text += f" cpu {intent.cpu}%"
    return _put(spec, "autoscale", wanted, ("cpuPercent",), f"scale {intent.service} {text}")


def _put(spec: CommentedMap, key: str, wanted: CommentedMap, optional: tuple[str, ...],
         summary: str) -> str:
    """Set a section; `<action> <svc> already ...` when it holds exactly that."""
    current = section(spec, key)
    if current is not None and values.same(current, wanted):
        action, service, rest = summary.split(" ", 2)
        return f"{action} {service} already {rest}"
    keep.put_section(spec, key, wanted, optional)
    return summary
