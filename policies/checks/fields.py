"""Checks of single values inside a ServicePolicy, shared by the section checks.

Each takes the value and its dotted field name and returns problems (empty when fine),
each starting with the field, so `govbot check` and a refused edit name the exact line.

Example:
    >>> duration("0ms", "spec.timeout")
    ['spec.timeout: 0ms is shorter than 1ms']
    >>> whole("5", "spec.autoscale.min", 1, 100)
    ["spec.autoscale.min: '5' is not a whole number 1-100"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeGuard

from policies import units

LABEL_TEXT = "a DNS-1123 label (lowercase letters, digits and '-', starting with a letter)"
INT32_MAX = 2**31 - 1
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def unknown(data: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> list[str]:
    return [
        f"{prefix}{key}: unknown field; known fields: {', '.join(known)}"
        for key in data
        if key not in known
    ]


def required(data: Mapping[str, Any], keys: tuple[str, ...], field: str) -> list[str]:
    return [f"{field}.{key}: required" for key in keys if key not in data]


def enabled(data: Mapping[str, Any], field: str) -> list[str]:
    if isinstance(data.get("enabled", True), bool):
        return []
    return [f"{field}.enabled: {data['enabled']!r} is not true or false"]


def whole(value: Any, field: str, low: int, high: int = INT32_MAX) -> list[str]:
    if is_int(value) and low <= value <= high:
        return []
    return [f"{field}: {value!r} is not a whole number {low}-{high}"]


def percent(value: Any, field: str, fraction: bool = False) -> list[str]:
    """0-100; with `fraction` a decimal too, but not below Istio's smallest step 0.0001."""
    if units.is_fine_percent(value) if fraction else units.is_whole_percent(value):
        return []
    kind = "a percentage 0-100 (at least 0.0001 unless 0)" if fraction else "a whole percentage"
    return [f"{field}: {value!r} is not {kind}" + ("" if fraction else " 0-100")]


def duration(value: Any, field: str) -> list[str]:
    """A duration of at least 1ms in whole milliseconds, as Istio's webhook demands."""
    problem = units.duration_problem(value)
    return [f"{field}: {problem}"] if problem else []


def label(value: Any, field: str) -> list[str]:
    if isinstance(value, str) and units.is_dns_label(value):
        return []
    return [f"{field}: {value!r} is not {LABEL_TEXT}"]


def text(value: Any, field: str, what: str) -> list[str]:
    """A non-empty string without control characters (a header or cookie value)."""
    if isinstance(value, str) and value and not _CONTROL.search(value):
        return []
    return [f"{field}: {value!r} is not a non-empty {what} without control characters"]


def timestamp(value: Any, field: str) -> list[str]:
    """An RFC 3339 time with its offset, e.g. "2026-11-27T12:00:00Z"."""
    example = 'e.g. "2026-11-27T12:00:00Z"'
    if not isinstance(value, str) or "T" not in value.upper():
        return [f"{field}: {value!r} is not an RFC 3339 time, {example}"]
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return [f"{field}: {value!r} is not an RFC 3339 time, {example}"]
    if moment.tzinfo is None:
        return [f"{field}: {value!r} has no offset; write it in UTC, {example}"]
    return []
