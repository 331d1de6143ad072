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


def is_whole_ms(text: str) -> bool:
    """A duration without a fraction of a millisecond (Istio refuses finer precision)."""
    if not is_duration(text):
        return False
    total = sum(float(n) * _UNIT_MS[u] for n, u in _PART.findall(text))
    return abs(total - round(total)) < 1e-6


# Syntax RE2 (Envoy's regex engine) does not have; each is (token, what it is).
_NOT_RE2 = (
    ("(?=", "a lookahead"), ("(?!", "a negative lookahead"), ("(?<=", "a lookbehind"),
    ("(?<!", "a negative lookbehind"), ("(?>", "an atomic group"), ("(?(", "a conditional"),
    ("(?P=", "a named backreference"), ("(?#", "a comment group"),
)


def re2_problem(pattern: str) -> str | None:
    """Why `pattern` is not an RE2 regular expression Envoy accepts, or None when it is.

    Scans outside character classes for lookarounds, backreferences, atomic groups and
    possessive quantifiers, then compiles it to catch plain syntax errors.

    Example:
        >>> re2_problem("^w_.*$") is None
        True
        >>> re2_problem(r"(a)\\1")
        'a backreference (\\\\1) is not supported by RE2'
    """
    position, in_class = 0, False
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            following = pattern[position + 1 : position + 2]
            if not in_class and ((following.isdigit() and following != "0") or following == "k"):
                return f"a backreference (\\{following}) is not supported by RE2"
            position += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # a `]` right after `[` or `[^` is a literal member of the class
            position += 2 if pattern[position + 1 : position + 2] == "^" else 1
            position += 1 if pattern[position : position + 1] == "]" else 0
            continue
        elif char == "(":
            for token, what in _NOT_RE2:
                if pattern.startswith(token, position):
                    return f"{what} ({token}) is not supported by RE2"
        elif char in "*+?}" and pattern[position + 1 : position + 2] == "+":
            return f"a possessive quantifier ({char}+) is not supported by RE2"
        position += 1
    try:
        re.compile(pattern)
    except re.error as error:
        return f"not a regular expression: {error}"
    return None
