"""The value rules policy documents, rendered objects and commands share: durations,
percentages, header names, RE2 regexes and DNS-1123 names, one function per rule.

Durations are Go/Istio style: one or more `<number><unit>` with units h, m, s, ms
(`5s`, `1m30s`, `250ms`, `1.5s`). Names are DNS-1123 labels.

Example:
    >>> duration_ms("1m30s")
    90000
"""

from __future__ import annotations

import re
import warnings
from datetime import UTC, datetime
from fractions import Fraction
from typing import Any

_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:h|ms|m|s))+")
_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(h|ms|m|s)")
_UNIT_MS = {"h": 3_600_000, "m": 60_000, "s": 1_000, "ms": 1}
_LABEL = re.compile(r"[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?")


def is_duration(text: str) -> bool:
    return bool(_DURATION.fullmatch(text))


def duration_ms(text: str) -> int:
    """Milliseconds in a duration, rounded; ValueError when the text is not one."""
    return round(exact_ms(text))


def exact_ms(text: str) -> Fraction:
    """The exact milliseconds of a duration (no float rounding: 49.9995ms stays below 50);
    ValueError when the text is not one."""
    if not is_duration(text):
        raise ValueError(f"{text!r} is not a duration like 5s, 1m or 250ms")
    return sum((Fraction(n) * _UNIT_MS[u] for n, u in _PART.findall(text)), Fraction(0))


def duration_problem(value: Any) -> str | None:
    """Why `value` is not a duration Istio takes (at least 1ms, in whole milliseconds), or
    None. The one duration rule of documents, rendered objects and commands.

    Example:
        >>> duration_problem("1.5ms")
        '1.5ms has a fraction of a millisecond; Istio takes whole ms'
    """
    if not (isinstance(value, str) and is_duration(value)):
        return f"{value!r} is not a duration like 5s, 1m or 250ms"
    total = exact_ms(value)
    if total.denominator != 1:
        return f"{value} has a fraction of a millisecond; Istio takes whole ms"
    if total < 1:
        return f"{value} is shorter than 1ms"
    return None


def utc_text(moment: datetime) -> str:
    """A time as people read it: the date, to the second, in UTC with the zone named; a
    naive time is taken as UTC.

    Example:
        >>> utc_text(datetime(2026, 11, 27, 10, 30, 0, 123456, tzinfo=UTC))
        '2026-11-27 10:30:00 UTC'
    """
    at = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


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
_PORT_NAME = re.compile(r"[a-z0-9](?:[-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def is_port_name(name: str) -> bool:
    """An IANA_SVC_NAME, as Kubernetes names a container's port: at most 15 lowercase
    letters, digits and '-', at least one letter, no '--' and no '-' at either end."""
    return (0 < len(name) <= 15 and bool(_PORT_NAME.fullmatch(name)) and "--" not in name
            and any(c.isalpha() for c in name))


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
    return is_duration(text) and exact_ms(text).denominator == 1


def is_whole_percent(value: Any) -> bool:
    """A whole number from 0 to 100 (a canary weight, an ejection share)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100


def is_fine_percent(value: Any) -> bool:
    """0, or a number from Istio's smallest step 0.0001 to 100 (a fault's share)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return value == 0 or 0.0001 <= value <= 100


_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9a-z]+")


def is_header_name(name: Any) -> bool:
    """A lowercase HTTP header name (an RFC 7230 token), as istiod takes it in a match."""
    return isinstance(name, str) and bool(_HEADER_NAME.fullmatch(name))


# Syntax RE2 (Envoy's regex engine) does not have; each is (token, what it is).
_NOT_RE2 = (
    ("(?=", "lookahead"), ("(?!", "negative lookahead"), ("(?<=", "lookbehind"),
    ("(?<!", "negative lookbehind"), ("(?>", "atomic group"), ("(?(", "conditional"),
    ("(?P=", "named backreference"), ("(?#", "comment group"),
)


def re2_problem(pattern: str) -> str | None:
    """Why `pattern` is not an RE2 regular expression Envoy and istiod accept, or None.

    The one check of a regex: commands, document checks and the webhook checks call it.
    Scans outside character classes for lookarounds, backreferences, atomic groups and
    possessive quantifiers, then compiles it (RE2 spellings translated) to catch plain
    syntax errors.

    Example:
        >>> re2_problem("^w_.*$") is None
        True
        >>> re2_problem("[(?=x]") is None  # inside a class, ( ? = are literals
        True
        >>> re2_problem("(?=x)")
        'RE2 has no lookahead ((?=)'
    """
    unsupported = _re2_unsupported(pattern) or _re2_limits(pattern)
    if unsupported is not None:
        return unsupported
    # RE2 spellings Python writes differently; the translation is only for compiling.
    python = re.sub(r"\\[pP](\{[^}]*\}|[A-Za-z])|\\C", ".", pattern)
    python = python.replace("(?<", "(?P<").replace(r"\z", r"\Z")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(python)
    except re.error as error:
        return _syntax_problem(error)
    return None


_POSIX_CLASSES = frozenset({"alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph",
                            "lower", "print", "punct", "space", "upper", "word", "xdigit"})
_REPEAT_MAX = 1000
_SYNTAX = (("missing ), unterminated subpattern", "a ( is not closed"),
           ("unbalanced parenthesis", "a ) has no ( before it"),
           ("unterminated character set", "a [ is not closed"),
           ("multiple repeat", "two repetition operators follow each other"),
           ("nothing to repeat", "a *, + or ? has nothing before it to repeat"),
           ("bad escape", "an escape RE2 does not know"),
           ("bad character range", "a character range runs backwards"),
           ("min repeat greater than max repeat", "a {n,m} has n greater than m"))


def _re2_limits(pattern: str) -> str | None:
    """What RE2 bounds that Python does not: counted repetitions and POSIX class names."""
    for found in re.finditer(r"(?<!\\)\{(\d+)(?:,(\d*))?\}", pattern):
        if any(int(n) > _REPEAT_MAX for n in found.groups() if n):
            return f"RE2 repeats at most {_REPEAT_MAX} times ({found.group(0)})"
    for found in re.finditer(r"\[:\^?([A-Za-z]*):\]", pattern):
        if found.group(1) not in _POSIX_CLASSES:
            return (f"[:{found.group(1)}:] is no character class RE2 knows; use one of "
                    f"{', '.join(sorted(_POSIX_CLASSES))}")
    return None


def _syntax_problem(error: re.error) -> str:
    """A regex syntax error in people's words (not the regex engine's), with where."""
    where = f" (at character {error.pos + 1})" if error.pos is not None else ""
    for engine, ours in _SYNTAX:
        if str(error.msg).startswith(engine):
            return f"not a regular expression: {ours}{where}"
    return f"not a regular expression{where}"


def _re2_unsupported(pattern: str) -> str | None:
    """The first construct outside a character class that RE2 lacks, as a problem."""
    position, in_class = 0, False
    while position < len(pattern):
        char = pattern[position]
        if char == "\\":
            following = pattern[position + 1 : position + 2]
            if not in_class and ((following.isdigit() and following != "0") or following == "k"):
                return f"RE2 has no backreference (\\{following})"
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
                    return f"RE2 has no {what} ({token})"
        elif char in "*+?}" and pattern[position + 1 : position + 2] == "+":
            return f"RE2 has no possessive quantifier ({char}+)"
        position += 1
    return None
