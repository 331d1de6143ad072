"""Durations and DNS-1123 names as policy documents and commands write them.

Durations are Go/Istio style: one or more `<number><unit>` with units h, m, s, ms
(`5s`, `1m30s`, `250ms`, `1.5s`). Names are DNS-1123 labels.

Example:
    >>> duration_ms("1m30s")
    90000
"""

from __future__ import annotations

import re

_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:h|ms|m|s))+")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s)")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_LABEL = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")


def is_duration(text: str) -> bool:
    return bool(_DURATION.fullmatch(text))


def duration_ms(text: str) -> int:
    """Milliseconds in a duration; ValueError when the text is not one."""
    if not is_duration(text):
        raise ValueError(f"{text!r} is not a duration like 5s, 1m or 250ms")
    total = sum(float(n) * _UNIT_MS[u] for n, u in _PART.findall(text))
    return round(total)


def format_ms(ms: int) -> str:
    """The shortest duration text for whole milliseconds (90000 → "90s", 1500 → "1500ms")."""
    for unit in ("h", "m", "s"):
        size = _UNIT_MS[unit]
        if ms and ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


def is_dns_label(name: str) -> bool:
    """A DNS-1123 label that starts with a letter (so `12` is never a service name)."""
    return bool(_LABEL.fullmatch(name))


_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def is_label_value(text: str) -> bool:
    """A Kubernetes label value: at most 63 characters, alphanumeric at both ends."""
    return len(text) <= 63 and bool(_LABEL_VALUE.match(text))


def is_label_key(text: str) -> bool:
    """A Kubernetes label key: `[<dns-subdomain>/]<name>`, the name a non-empty label value."""
    prefix, _, name = text.rpartition("/")
    if prefix and (len(prefix) > 253 or not _DNS_SUBDOMAIN.match(prefix)):
        return False
    return bool(name) and is_label_value(name)
