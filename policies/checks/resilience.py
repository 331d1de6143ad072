"""Checks of what protects a service: circuit breaker, whitelist (allowFrom), autoscale.

Example:
    >>> autoscale({"min": 5, "max": 2}, "spec.autoscale")
    ['spec.autoscale.max: 2 is below min 5']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import units
from policies.checks import fields

BREAKER_COUNTS = ("consecutive5xxErrors", "maxConnections", "maxPendingRequests")
BREAKER_TIMES = ("interval", "baseEjectionTime")
BREAKER_FIELDS = ("enabled", "consecutive5xxErrors", "interval", "baseEjectionTime",
                  "maxEjectionPercent", "maxConnections", "maxPendingRequests")


def circuit_breaker(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        example = "{enabled: true, consecutive5xxErrors: 5, interval: 30s, baseEjectionTime: 30s}"
        return [f"{field}: must be a mapping, e.g. {example}"]
    problems = fields.unknown(value, BREAKER_FIELDS, f"{field}.")
    problems += fields.enabled(value, field)
    problems += fields.required(value, ("consecutive5xxErrors", *BREAKER_TIMES), field)
    for key in BREAKER_COUNTS:
        if key in value:
            problems += fields.whole(value[key], f"{field}.{key}", 1)
    for key in BREAKER_TIMES:
        if key in value:
            problems += fields.duration(value[key], f"{field}.{key}")
    if "maxEjectionPercent" in value:
        problems += fields.percent(value["maxEjectionPercent"], f"{field}.maxEjectionPercent")
    return problems


def is_caller(text: Any) -> bool:
    """`<svc>` (same namespace) or `<ns>/<svc>`, each a DNS-1123 label."""
    if not isinstance(text, str):
        return False
    return all(units.is_dns_label(part) for part in text.split("/")) and text.count("/") <= 1


def allow_from(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{enabled: true, callers: [svc-index]}}"]
    problems = fields.unknown(value, ("enabled", "callers"), f"{field}.")
    problems += fields.enabled(value, field)
    callers = value.get("callers")
    if not isinstance(callers, list) or not callers:
        return [*problems, f"{field}.callers: must be a non-empty list of <svc> or <ns>/<svc>"]
    seen: set[str] = set()
    for number, caller in enumerate(callers):
        if not is_caller(caller):
            problems.append(
                f"{field}.callers[{number}]: {caller!r} is not <svc> or <ns>/<svc> "
                f"({fields.LABEL_TEXT} each)")
        elif caller in seen:
            problems.append(f"{field}.callers[{number}]: {caller!r} is listed twice")
        seen.add(str(caller))
    return problems


def autoscale(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{enabled: true, min: 2, max: 10}}"]
    problems = fields.unknown(value, ("enabled", "min", "max", "cpuPercent"), f"{field}.")
    problems += fields.enabled(value, field)
    problems += fields.required(value, ("min", "max"), field)
    low, high = value.get("min", 1), value.get("max", 1)
    problems += fields.whole(low, f"{field}.min", 1) + fields.whole(high, f"{field}.max", 1)
    if fields.is_int(low) and fields.is_int(high) and high < low:
        problems.append(f"{field}.max: {high} is below min {low}")
    if "cpuPercent" in value:
        problems += fields.whole(value["cpuPercent"], f"{field}.cpuPercent", 1, 100)
    return problems
