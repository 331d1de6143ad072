"""The shared grammar of command arguments: services, callers, versions, percents,
counts, durations, rates, `k=v`, change ids, words and the `--env` / `--ns` flags.

Every command module parses its words with these functions, so `20%`, `500/5s` and
`svc-user` mean the same thing in every command and fail with the same explanation. Each
function raises `UsageError(problem)` naming the offending word; `commands.parse` adds
the command's usage line and an example before the person sees it.

Example:
    >>> rate("500/5s")
    (500, '5s')
    >>> split_flags(["svc-user", "--env=prod", "20%"])
    (['svc-user', '20%'], Flags(env='prod', namespace=None))
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from bot.core.errors import UsageError
from policies import units

MAX_TEXT = 2_000
# Envoy's token bucket counts in uint32; a bigger number would only fail at apply time.
MAX_REQUESTS = 4_294_967_295
# Change ids live in a 32-bit INTEGER column on PostgreSQL.
MAX_CHANGE_ID = 2_147_483_647
# Kubernetes and Istio keep replica and connection counts in int32.
MAX_INT32 = 2_147_483_647
# Envoy refills a local rate limit's bucket at most every 50ms; a window longer than a
# day no longer limits a burst.
RATE_WINDOW_MS = (50, 24 * 3_600_000)
# A protobuf Duration holds at most 10,000 years; Istio refuses anything longer.
MAX_DURATION_MS = 315_576_000_000_000
_SHOWN = 80
_NUMBER = re.compile(r"[0-9]+", re.ASCII)
# Above every bound here; longer numbers stand in as this, so int() never sees 5,000 digits.
_TOO_BIG = 10**12
# Istio takes fractional percentages down to 0.0001%.
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]{1,4})?", re.ASCII)
_HEADER_KEY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,98}[A-Za-z0-9])?", re.ASCII)
_HEADER_VALUE = re.compile(r"[\x21-\x7e]{1,256}", re.ASCII)
# Tab and line breaks separate words; every other control character is refused, and so
# are the bidirectional overrides that make text read differently from what it is.
_SEPARATORS = frozenset("\t\n\r")
_BIDI_CONTROLS = frozenset({"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI"})
# Chat clients turn a typed "--" into a dash; a dash followed by a flag name is a flag.
_DASHES = ("\u2014", "\u2013")


@dataclass(frozen=True)
class Flags:
    """The flags every command accepts: where the command lands."""

    env: str | None = None
    namespace: str | None = None


_FLAG_FIELDS = {"--env": "env", "--ns": "namespace"}
_FLAG_EXAMPLES = {"--env": ("an environment", "prod"), "--ns": ("a namespace", "demo")}


def show(word: str) -> str:
    """A word quoted for an error message, cut short so a huge word stays readable."""
    if len(word) > _SHOWN:
        word = word[:_SHOWN] + "…"
    return f'"{word}"'


def normalise(text: str) -> str:
    """Chat text as a command line: NFKC (full-width `％` and `　` become `%` and ` `),
    stripped, without its optional leading `/`; UsageError for control characters and
    texts longer than MAX_TEXT."""
    _check_length(text.strip())
    text = unicodedata.normalize("NFKC", text).strip()
    _check_length(text)
    for char in text:
        if _is_control(char):
            raise UsageError(
                f"the command contains the control character U+{ord(char):04X}; "
                "type the command as plain text"
            )
    if text.startswith("/"):
        text = text[1:].lstrip()
    return text


def _check_length(text: str) -> None:
    if len(text) > MAX_TEXT:
        raise UsageError(f"the command is {len(text)} characters long; the limit is {MAX_TEXT}")


def _is_control(char: str) -> bool:
    if char in _SEPARATORS:
        return False
    category = unicodedata.category(char)
    return category in ("Cc", "Cs") or unicodedata.bidirectional(char) in _BIDI_CONTROLS


def words(text: str) -> list[str]:
    """The words of a command: split on any whitespace, no shell quoting."""
    return text.split()


def split_flags(args: list[str]) -> tuple[list[str], Flags]:
    """Take `--env X`, `--env=X`, `--ns X`, `--ns=X` from anywhere in the words."""
    rest: list[str] = []
    found: dict[str, str] = {}
    items = iter(args)
    for word in items:
        flag, has_value, value = _flag_of(word).partition("=")
        if not flag.startswith("--"):
            rest.append(word)
            continue
        if flag not in _FLAG_FIELDS:
            raise UsageError(
                f"unknown flag {show(flag)}: the flags are --env <env> and --ns <namespace>"
            )
        if not has_value:
            value = next(items, "")
        found[_flag_field(flag, found)] = _flag_value(flag, value)
    return rest, Flags(**found)


def _flag_of(word: str) -> str:
    for dash in _DASHES:
        if word.startswith(dash) and word[1:].partition("=")[0] in ("env", "ns"):
            return "--" + word[1:]
    return word


def _flag_field(flag: str, found: dict[str, str]) -> str:
    field = _FLAG_FIELDS[flag]
    if field in found:
        raise UsageError(f"{flag} is given twice; give it once")
    return field


def _flag_value(flag: str, value: str) -> str:
    what, example = _FLAG_EXAMPLES[flag]
    if not value:
        raise UsageError(f"{flag} needs a value, like {flag} {example}")
    if not _is_label(value):
        raise UsageError(
            f'{show(value)} is not {what} name: use lowercase letters, digits and "-", '
            "starting with a letter (at most 63)"
        )
    return value


def service(word: str) -> str:
    """A service name: a DNS-1123 label that starts with a letter, at most 63 chars."""
    if _is_label(word):
        return word
    hint = " (a number is a change id)" if word.lstrip("#").isdigit() else ""
    raise UsageError(
        f'{show(word)} is not a service name{hint}: use lowercase letters, digits and "-", '
        "starting with a letter (at most 63)"
    )


def app(word: str) -> str:
    """An app of the store's catalog by name, like `redis` (a DNS-1123 label)."""
    if _is_label(word):
        return word
    raise UsageError(
        f'{show(word)} is not an app name: use lowercase letters, digits and "-", '
        "starting with a letter, like redis (/store lists the apps)"
    )


def version(word: str) -> str:
    """A version as `spec.versions` names it (the pods' `version` label), like `v2`."""
    if _is_label(word):
        return word
    raise UsageError(
        f'{show(word)} is not a version: use lowercase letters, digits and "-", '
        "starting with a letter, like v2"
    )


def caller(word: str) -> str:
    """A caller of a service: `<svc>` in the same namespace, or `<ns>/<svc>`."""
    namespace, slash, name = word.partition("/")
    if _is_label(name if slash else namespace) and (not slash or _is_label(namespace)):
        return word
    raise UsageError(
        f"{show(word)} is not a caller: use a service name like svc-index, or "
        "<namespace>/<service> like istio-system/istio-ingressgateway"
    )


def percent(word: str) -> int:
    """`20%` or `20`: a whole number from 0 to 100."""
    value = _number(word.removesuffix("%"))
    if units.is_whole_percent(value):
        assert value is not None
        return value
    raise UsageError(f"{show(word)} is not a percent: use a whole number from 0 to 100, like 20%")


def fine_percent(word: str) -> float:
    """`10%`, `0.5%` or `10`: from 0 to 100 in steps of 0.0001, as Istio's fault
    percentages; a whole percent comes back as an int, so documents say `10`, not `10.0`."""
    text = word.removesuffix("%")
    if _DECIMAL.fullmatch(text) and len(text) <= 9 and units.is_fine_percent(float(text)):
        value = Decimal(text)
        return int(value) if value == value.to_integral_value() else float(value)
    raise UsageError(
        f"{show(word)} is not a percent: use a number from 0 to 100 "
        "(at most four decimals), like 10% or 0.5%"
    )


def count(word: str, what: str, low: int = 1, high: int = MAX_INT32) -> int:
    """A whole number from `low` to `high`; `what` names it in the error ("a replica count")."""
    value = _number(word)
    if value is not None and low <= value <= high:
        return value
    raise UsageError(f"{show(word)} is not {what}: use a whole number from {low} to {high}")


def duration(word: str) -> str:
    """A duration as Istio writes it: `5s`, `1m30s`, `250ms`."""
    if word.isascii() and units.is_duration(word):
        return word
    raise UsageError(
        f"{show(word)} is not a duration: use a number and a unit (h, m, s, ms), like 5s or 1m30s"
    )


def positive_duration(word: str, longest_ms: int = MAX_DURATION_MS) -> str:
    """A duration Istio takes for a timeout, interval or delay: from 1ms to `longest_ms`,
    in whole milliseconds (`1.5s` yes, `0s` and `1.0005s` no)."""
    if units.exact_ms(duration(word)) > longest_ms:
        raise UsageError(
            f"{show(word)} is too long: the longest is {units.format_ms(longest_ms)}"
        )
    if units.duration_problem(word) is None:
        return word
    raise UsageError(
        f"{show(word)} is not a usable duration: use at least 1ms in whole milliseconds, "
        "like 3s or 250ms"
    )


def rate(word: str) -> tuple[int, str]:
    """`<requests>/<duration>`, like `500/5s`: at least one request per a window from 50ms
    to 24h."""
    requests, slash, per = word.partition("/")
    count = _number(requests)
    if not slash or count is None:
        raise UsageError(f"{show(word)} is not a rate: use <requests>/<duration>, like 500/5s")
    if not 0 < count <= MAX_REQUESTS:
        raise UsageError(f"{show(word)} allows {requests} requests: use from 1 to {MAX_REQUESTS}")
    if not (per.isascii() and units.is_duration(per)):
        raise UsageError(
            f"{show(word)} is not a rate: after the / comes a duration with a unit "
            "(h, m, s, ms), like 500/5s"
        )
    if not RATE_WINDOW_MS[0] <= units.exact_ms(per) <= RATE_WINDOW_MS[1]:
        raise UsageError(
            f"{show(word)} has a window out of range: after the / use from 50ms to 24h, "
            "like 500/5s"
        )
    return count, per


# A time box longer than a year is no time box; it also keeps the expiry a real date.
LONGEST_TIME_BOX_MS = 366 * 24 * 3_600_000
_DAYS = re.compile(r"([0-9]+)d(?:([0-9]+)h)?")


def time_box(words: list[str]) -> tuple[list[str], str | None]:
    """The words before a trailing `for <d>` and that duration (None without one), like
    `(["500/5s"], "30m")` for `500/5s for 30m`: see `time_box_length`."""
    at = next((i for i, word in enumerate(words) if word.lower() == "for"), None)
    if at is None:
        return words, None
    if at == len(words) - 1:
        raise missing("the duration after for, like for 30m")
    if at < len(words) - 2:
        raise UsageError(f"unexpected {show(' '.join(words[at + 2:]))} after "
                         f"{show(' '.join(words[at:at + 2]))}: the time box comes last")
    return words[:at], time_box_length(words[at + 1])


def time_box_length(word: str) -> str:
    """The duration of `for <d>`, from 1s to a year, as documents write it: days become
    hours (`7d` → `168h`, `1d12h` → `36h`), since Istio and Go know no days."""
    length = _without_days(word) if word.isascii() else ""
    usable = units.is_duration(length) and units.duration_problem(length) is None
    if usable and 1000 <= units.exact_ms(length) <= LONGEST_TIME_BOX_MS:
        return length
    wrong = ("is too long for a time box" if usable and units.exact_ms(length) > 1000
             else "is not a time box")
    raise UsageError(f"{show(word)} {wrong}: use a duration from 1s to a year (366d) in "
                     "whole milliseconds, like for 30m, for 7d or for 1d12h")


def _without_days(word: str) -> str:
    """`1d12h30m` as `36h30m`; a word without days as it is."""
    days = _DAYS.match(word)
    if days is None:
        return word
    hours = int(days.group(1)) * 24 + int(days.group(2) or 0)
    rest = word[days.end():]
    return f"{hours}h{rest}" if rest or hours else "0s"


def key_value(word: str) -> tuple[str, str]:
    """`k=v`, like `user=w_shenyu`: a header-safe key and a non-empty printable value."""
    key, equals, value = word.partition("=")
    if not equals:
        raise UsageError(f'{show(word)} is not k=v: write the key, "=" and the value')
    if not key:
        raise UsageError(f'{show(word)} has no key before "="')
    if not _HEADER_KEY.fullmatch(key):
        raise UsageError(f'{show(key)} is not a header name: use letters, digits, "-", "_" and "."')
    if not value:
        raise UsageError(f'{show(word)} has no value after "="')
    if not _HEADER_VALUE.fullmatch(value):
        raise UsageError(
            f"{show(value)} is not a header value: use printable ASCII without spaces (at most 256)"
        )
    return key, value


def change_id(word: str) -> int:
    """A change id as shown, `#12`, or bare, `12`."""
    value = _number(word.removeprefix("#"))
    if value is not None and 0 < value <= MAX_CHANGE_ID:
        return value
    raise UsageError(f"{show(word)} is not a change id: use the number shown as #N, like 12 or #12")


def _is_label(word: str) -> bool:
    # units' pattern ends in `$`, which also matches before a trailing newline.
    return units.is_dns_label(word) and "\n" not in word


def _number(text: str) -> int | None:
    """A whole number of ASCII digits; None for anything else (signs, "2.5", "١٢")."""
    if not _NUMBER.fullmatch(text):
        return None
    return int(text) if len(text) <= 12 else _TOO_BIG


def missing(what: str) -> UsageError:
    """The error for a word that is not there: `missing("the service name")`."""
    return UsageError(f"missing {what}")


def unexpected(extra: list[str]) -> UsageError:
    """The error for words left over after a complete command."""
    return UsageError(f"unexpected {show(' '.join(extra))} at the end")


def keyword(word: str, choices: tuple[str, ...], what: str) -> str:
    """One of a command's fixed words, ASCII case ignored; a did-you-mean when close."""
    lowered = word.lower() if word.isascii() else word
    if lowered in choices:
        return lowered
    close = suggestion(word, choices)
    hint = f'; did you mean "{close}"?' if close else ""
    raise UsageError(f"{show(word)} is not {what}{hint}")


def suggestion(word: str, choices: tuple[str, ...]) -> str | None:
    """The choice closest to a mistyped word, or None when nothing is close."""
    lowered = word.lower() if word.isascii() else word
    close = difflib.get_close_matches(lowered, choices, n=1)
    return close[0] if close else None
