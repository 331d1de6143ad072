"""/fault on a document: inject aborts or delays, optionally time-boxed.

`abort` and `delay` each set their half and keep the other; `for <d>` stores an absolute
`expires` (now + d, RFC 3339 UTC), after which the fault is not rendered; without `for`
the fault has no expiry. `off` keeps the settings with `enabled: false`.

Example:
    >>> from datetime import datetime, timezone
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    >>> fault(spec, Fault("svc-user", "abort", 10, http_status=503, duration="30m"), now)
    'fault svc-user abort 503 10% for 30m (until 10:30 UTC)'
    >>> str(spec["fault"]["expires"])
    '2026-11-27T10:30:00Z'
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.core.errors import UsageError, UserError
from policies import document, units
from policies.edits import keep
from policies.edits.section import Names, number, percent_text, section, toggle
from policies.intents import Fault

_NAMES = Names("fault", "fault injection", "/fault {svc} abort 503 10% for 30m")
_USAGE = "/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | off"


def fault(spec: CommentedMap, intent: Fault, now: datetime | None) -> str:
    if intent.mode == "off":
        return toggle(spec, "fault", "off", intent.service, _NAMES)
    half, text = _half(intent)
    expires = _expiry(intent, now)
    summary = f"fault {intent.service} {text}"
    current = section(spec, "fault")
    if current is None:
        wanted = CommentedMap(enabled=True)
        wanted[intent.mode] = half
        if expires is not None:
            wanted["expires"] = DoubleQuotedScalarString(expires[0])
        keep.set_key(spec, "fault", wanted)
    else:
        unchanged = (document.same(current.get(intent.mode), half)
                     and current.get("enabled", True) is True
                     and expires is None and "expires" not in current)
        if unchanged:
            return f"fault {intent.service} already {text}"
        keep.put_section(current, intent.mode, half)
        if current.get("enabled", True) is not True:
            keep.set_key(current, "enabled", True)
        if expires is not None:
            keep.set_key(current, "expires", DoubleQuotedScalarString(expires[0]))
        elif "expires" in current:
            keep.delete_key(current, "expires")
    if expires is not None:
        summary += f" for {intent.duration} (until {expires[1]})"
    return summary


def _half(intent: Fault) -> tuple[CommentedMap, str]:
    if intent.percent is None:
        raise UsageError("a fault needs a percentage", _USAGE, "/fault svc-user abort 503 10%")
    share = number(intent.percent)
    if intent.mode == "abort":
        if intent.http_status is None:
            raise UsageError("an abort needs an HTTP status", _USAGE,
                             "/fault svc-user abort 503 10%")
        half = CommentedMap(httpStatus=intent.http_status, percent=share)
        return half, f"abort {intent.http_status} {percent_text(share)}"
    if intent.delay is None:
        raise UsageError("a delay needs a duration", _USAGE, "/fault svc-user delay 2s 5%")
    half = CommentedMap(fixed=intent.delay, percent=share)
    return half, f"delay {intent.delay} {percent_text(share)}"


def _expiry(intent: Fault, now: datetime | None) -> tuple[str, str] | None:
    """(RFC 3339 UTC text, short text for the summary) of now + duration, or None."""
    if intent.duration is None:
        return None
    if now is None:
        raise UserError(
            f"a time-boxed fault (for {intent.duration}) needs the current time, and none "
            "was given; try again, or leave out `for` and turn it off with /fault <svc> off")
    if not units.is_duration(intent.duration) or units.duration_ms(intent.duration) < 1000:
        raise UsageError(f"{intent.duration!r} is not a duration of at least 1s", _USAGE,
                         "/fault svc-user abort 503 10% for 30m")
    start = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    until = (start + timedelta(milliseconds=units.duration_ms(intent.duration)))
    until = until.astimezone(UTC).replace(microsecond=0)
    short = until.strftime("%H:%M UTC")
    if until.date() != start.astimezone(UTC).date():
        short = until.strftime("%Y-%m-%d %H:%M UTC")
    return until.strftime("%Y-%m-%dT%H:%M:%SZ"), short
