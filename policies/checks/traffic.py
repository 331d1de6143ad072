"""Checks of how requests are treated: routes, rate limit, fault, timeout, retries.

Formats follow what Istio's webhook and Envoy accept (header names lowercase, RE2
regexes, percentages with Istio's smallest step, `retryOn` conditions).

Example:
    >>> retries({"attempts": 2, "retryOn": "5xx,teapot"}, "spec.retries")
    ["spec.retries.retryOn: 'teapot' is not a retry condition; use HTTP status codes or 5xx, \
gateway-error, reset, reset-before-request, connect-failure, retriable-4xx, refused-stream, \
retriable-status-codes, retriable-headers, envoy-ratelimited, http3-post-connect-failure, \
cancelled, deadline-exceeded, internal, resource-exhausted, unavailable"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies import units
from policies.checks import fields

# The conditions Istio's webhook accepts in `retryOn` (supportedRetryOnPolicies), besides
# numeric HTTP status codes; the last five are gRPC statuses.
RETRY_ON = (
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
    "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
    "envoy-ratelimited", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
)
HEADER_MATCHES = ("exact", "prefix", "regex")
# RFC 6265: a cookie name is a token; its value has no space, quote, comma, semicolon or \.
_COOKIE_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_COOKIE_VALUE = re.compile(r"^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$")
_MAX_TOKENS = 2**32 - 1  # Envoy's token bucket counts in uint32
_MIN_FILL_MS = 50  # Envoy refuses a shorter fill interval
# A longer window buys nothing a rate limit needs and, far enough out, overflows the
# protobuf Duration of Envoy's `fill_interval`.
_MAX_FILL_MS = 24 * 3_600_000


def header_match(value: Any, field: str, kinds: tuple[str, ...] = ("exact",)) -> list[str]:
    """`{headers: {<name>: {<kind>: <value>}}}` with one header and one of `kinds`."""
    headers = value.get("headers") if isinstance(value, Mapping) else None
    if not isinstance(headers, Mapping) or len(headers) != 1:
        example = "{user: {exact: w_shenyu}}"
        return [f"{field}.headers: must name exactly one header, e.g. {example}"]
    problems = fields.unknown(value, ("headers",), f"{field}.")
    ((name, rule),) = headers.items()
    where = f"{field}.headers.{name}"
    if not units.is_header_name(name):
        problems.append(f"{where}: not a lowercase HTTP header name")
    if not isinstance(rule, Mapping) or len(rule) != 1 or next(iter(rule)) not in kinds:
        shapes = " or ".join(f"{{{kind}: <value>}}" for kind in kinds)
        return [*problems, f"{where}: must be {shapes}"]
    ((kind, text),) = rule.items()
    problems += fields.text(text, f"{where}.{kind}", "header value")
    if kind == "regex" and isinstance(text, str) and text:
        why = units.re2_problem(text)
        problems += [f"{where}.regex: {text!r}: {why}"] if why else []
    return problems


def routes(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not value:
        return [f"{field}: must be a non-empty list of {{match, to}}; remove it for none"]
    problems = []
    for number, route in enumerate(value):
        problems += _route(route, f"{field}[{number}]")
    return problems


def _route(route: Any, field: str) -> list[str]:
    if not isinstance(route, Mapping):
        return [f"{field}: must be a mapping, e.g. {{match: {{headers: ...}}, to: v2}}"]
    problems = fields.unknown(route, ("match", "to", "expires"), f"{field}.")
    problems += fields.required(route, ("match", "to"), field)
    if "to" in route:
        problems += fields.label(route["to"], f"{field}.to")
    if "expires" in route:
        problems += fields.timestamp(route["expires"], f"{field}.expires")
    match = route.get("match")
    if "match" not in route:
        return problems
    if not isinstance(match, Mapping) or len(match) != 1 or next(iter(match)) not in (
            "headers", "cookie"):
        return [*problems, f"{field}.match: must have exactly one of headers, cookie"]
    if "headers" in match:
        return problems + header_match(match, f"{field}.match", HEADER_MATCHES)
    return problems + _cookie(match["cookie"], f"{field}.match.cookie")


def _cookie(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be {{name: <cookie>, value: <value>}}"]
    problems = fields.unknown(value, ("name", "value"), f"{field}.")
    problems += fields.required(value, ("name", "value"), field)
    name, text = value.get("name", "x"), value.get("value", "x")
    if not (isinstance(name, str) and _COOKIE_NAME.match(name)):
        problems.append(f"{field}.name: {name!r} is not a cookie name")
    if not (isinstance(text, str) and _COOKIE_VALUE.match(text)):
        problems.append(
            f"{field}.value: {text!r} is not a cookie value (no spaces, quotes, commas, "
            "semicolons or backslashes)")
    return problems


# shadow: Envoy counts what the limit would reject and rejects nothing
RATE_LIMIT_MODES = ("shadow", "enforce")


def rate_limit(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{enabled: true, requests: 500, per: 5s}}"]
    problems = fields.unknown(value, ("enabled", "requests", "per", "match", "mode",
                                      "expires"), f"{field}.")
    if value.get("mode", "enforce") not in RATE_LIMIT_MODES:
        problems.append(f"{field}.mode: {value['mode']!r} is not one of "
                        f"{', '.join(RATE_LIMIT_MODES)}")
    problems += fields.enabled(value, field)
    problems += fields.required(value, ("requests", "per"), field)
    if "requests" in value:
        problems += fields.whole(value["requests"], f"{field}.requests", 1, _MAX_TOKENS)
    per = value.get("per", "1s")
    if not (isinstance(per, str) and units.is_duration(per)):
        problems.append(f"{field}.per: {per!r} is not a duration like 5s, 1m or 250ms")
    elif units.duration_ms(per) < _MIN_FILL_MS:
        problems.append(f"{field}.per: {per} is shorter than Envoy's smallest window, 50ms")
    elif units.duration_ms(per) > _MAX_FILL_MS:
        problems.append(f"{field}.per: {per} is longer than a window of 24h")
    if "match" in value:
        problems += header_match(value["match"], f"{field}.match")
    if "expires" in value:
        problems += fields.timestamp(value["expires"], f"{field}.expires")
    return problems


def fault(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{enabled: true, abort: {{...}}}}"]
    problems = fields.unknown(value, ("enabled", "abort", "delay", "expires"), f"{field}.")
    problems += fields.enabled(value, field)
    if "abort" not in value and "delay" not in value:
        problems.append(f"{field}: needs abort, delay or both")
    if "abort" in value:
        problems += _fault_half(value["abort"], f"{field}.abort", "httpStatus")
    if "delay" in value:
        problems += _fault_half(value["delay"], f"{field}.delay", "fixed")
    if "expires" in value:
        problems += fields.timestamp(value["expires"], f"{field}.expires")
    return problems


def _fault_half(value: Any, field: str, what: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping with {what} and percent"]
    problems = fields.unknown(value, (what, "percent"), f"{field}.")
    problems += fields.required(value, (what, "percent"), field)
    if "percent" in value:
        problems += fields.percent(value["percent"], f"{field}.percent", fraction=True)
    if what == "httpStatus" and what in value:
        problems += fields.whole(value[what], f"{field}.{what}", 200, 599)
    if what == "fixed" and what in value:
        problems += fields.duration(value[what], f"{field}.{what}")
    return problems


def timeout(value: Any, field: str) -> list[str]:
    return fields.duration(value, field)


def retries(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{attempts: 2, perTryTimeout: 1s}}"]
    problems = fields.unknown(value, ("attempts", "perTryTimeout", "retryOn"), f"{field}.")
    problems += fields.required(value, ("attempts",), field)
    attempts = value.get("attempts", 1)
    problems += fields.whole(attempts, f"{field}.attempts", 0)
    if attempts == 0 and ("perTryTimeout" in value or "retryOn" in value):
        problems.append(
            f"{field}.attempts: 0 turns retries off; remove perTryTimeout and retryOn too")
    if "perTryTimeout" in value:
        problems += fields.duration(value["perTryTimeout"], f"{field}.perTryTimeout")
    if "retryOn" in value:
        problems += _retry_on(value["retryOn"], f"{field}.retryOn")
    return problems


def _retry_on(value: Any, field: str) -> list[str]:
    if not isinstance(value, str) or not value:
        return [f"{field}: {value!r} is not a comma list of conditions, e.g. 5xx,reset"]
    problems = []
    for condition in value.split(","):
        code = condition.strip()
        if (code.isdigit() and 100 <= int(code) <= 599) or code in RETRY_ON:
            continue
        problems.append(
            f"{field}: {code!r} is not a retry condition; use HTTP status codes or "
            + ", ".join(RETRY_ON))
    return problems
