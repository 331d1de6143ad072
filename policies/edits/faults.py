"""/fault on a document: inject aborts or delays, optionally time-boxed.

`abort` and `delay` each set their part and keep the other; `for <d>` stores the absolute
`expires` that `policies.intents.resolve` put in the intent (the request's time + d, RFC
3339 UTC) for the whole section, after which the fault is not rendered; without `for`
an earlier `expires` stays, so adding a delay to a time-boxed abort never makes the abort
permanent. When the other part stays, the summary says what the fault holds after the
change and when the time box moves the other part's end. `off` keeps the settings with
`enabled: false`, `on` restores them unless their window has passed (by the request's
time, `requested_at`); `abort off` and `delay off` remove that part and keep the other.

Example:
    >>> from datetime import datetime, timezone
    >>> from policies import document
    >>> from policies.intents import resolve
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> now = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)
    >>> intent = resolve(Fault("svc-user", "abort", 10, http_status=503, duration="30m"), now)
    >>> fault(spec, intent, Where("services/prod/demo/svc-user.yaml", "demo"))
    'fault svc-user abort 503 10% for 30m (until 2026-11-27 10:30:00 UTC)'
    >>> str(spec["fault"]["expires"])
    '2026-11-27T10:30:00Z'
"""

from __future__ import annotations

from datetime import UTC, datetime

from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.core.errors import UsageError, UserError
from policies import units, values
from policies.edits import keep
from policies.edits.section import Names, Where, number, percent_text, section, toggle
from policies.intents import Fault

_NAMES = Names("fault", "fault injection", "/fault {svc} abort 503 10% for 30m")


def fault(spec: CommentedMap, intent: Fault, where: Where) -> str:
    """Change the fault section for `intent`; ValueError when a time box is unresolved."""
    asked = _moment(intent.requested_at) if intent.requested_at else None
    if intent.mode == "off" and intent.part is not None:
        return _part_off(spec, intent.service, intent.part)
    if intent.mode == "off":
        return toggle(spec, "fault", "off", intent.service, _NAMES)
    if intent.mode == "on":
        _refuse_expired(spec, intent.service, asked)
        return toggle(spec, "fault", "on", intent.service, _NAMES)
    half, text = _half(intent)
    expires = _expiry(intent)
    current = section(spec, "fault")
    if current is None:
        current = CommentedMap(enabled=True)
        keep.set_key(spec, "fault", current)
    elif expires is None:
        _refuse_expired(spec, intent.service, asked, given=text)
        unchanged = (values.same(current.get(intent.mode), half)
                     and current.get("enabled", True) is True)
        if unchanged:
            return f"fault {intent.service} already {text}{_kept(current, asked)}"
    other = "delay" if intent.mode == "abort" else "abort"
    ended = current.get("expires")
    keep.put_section(current, intent.mode, half)
    if current.get("enabled", True) is not True:
        # A part that was turned off stays off: only what is asked for starts again.
        keep.set_key(current, "enabled", True)
        if other in current:
            keep.delete_key(current, other)
    if expires is not None:
        # `for` times the whole section: the other half ends at the same moment.
        keep.set_key(current, "expires", DoubleQuotedScalarString(expires[0]))
        summary = f"fault {intent.service} {text} for {intent.duration} (until {expires[1]})"
    else:
        summary = f"fault {intent.service} {text}{_kept(current, asked)}"
    if other not in current:
        return summary
    return summary + "; " + _now_holds(current, other, ended)


def _now_holds(current: CommentedMap, other: str, ended: object) -> str:
    """What the section holds with both parts, and how the other part's end moved."""
    text = f"the fault now holds {_holds(current)}"
    if "expires" in current:
        text += f", both until {_short(_moment(current['expires']))}"
    if ended is not None and str(ended) != str(current.get("expires")):
        text += f" (the {other} ended at {_short(_moment(ended))} before)"
    elif ended is None and "expires" in current:
        text += f" (the {other} had no end before)"
    return text


def _holds(current: CommentedMap) -> str:
    """`abort 503 10% and delay 2s 5%`: the parts of the section."""
    parts = []
    abort, delay = current.get("abort"), current.get("delay")
    if isinstance(abort, CommentedMap):
        parts.append(f"abort {abort.get('httpStatus', '?')} {_share(abort.get('percent'))}")
    if isinstance(delay, CommentedMap):
        parts.append(f"delay {delay.get('fixed', '?')} {_share(delay.get('percent'))}")
    return " and ".join(parts)


def _share(value: object) -> str:
    return percent_text(value) if isinstance(value, int | float) else f"{value}%"


def _part_off(spec: CommentedMap, service: str, part: str) -> str:
    """Stop one part: remove it and keep the other; the last part turns the section off,
    keeping its settings for `/fault on`."""
    current = section(spec, "fault")
    if current is None or part not in current:
        there = _holds(current) if current is not None else ""
        raise UserError(f"{service} has no {part} fault to turn off"
                        + (f"; its fault holds {there}" if there else ""))
    other = "delay" if part == "abort" else "abort"
    if other not in current or current.get("enabled", True) is not True:
        summary = toggle(spec, "fault", "off", service, _NAMES)
        return summary.replace(f"fault {service}", f"fault {service} {part}", 1)
    keep.delete_key(current, part)
    return f"fault {service} {part} off; the fault still holds {_holds(current)}" + (
        f" until {_short(_moment(current['expires']))}" if "expires" in current else "")


def _kept(current: CommentedMap, asked: datetime | None) -> str:
    """` (until 10:30 UTC)` when the section keeps an earlier `for`; else nothing."""
    if "expires" not in current:
        return ""
    return f" (until {_short(_moment(current['expires']))})"


def _refuse_expired(spec: CommentedMap, service: str, asked: datetime | None,
                    given: str | None = None) -> None:
    """A fault whose window has passed stays off: turning it on, or adding to it, would
    inject nothing (render leaves an expired fault out), so a new window is needed."""
    current = section(spec, "fault")
    if current is None or "expires" not in current or asked is None:
        return
    moment = _moment(current["expires"])
    if moment is None or _utc(asked) < moment:
        return
    again = given or _example(current)
    raise UserError(
        f"the fault expired at {_short(moment)}; set a new window with "
        f"/fault {service} {again} for <d>, e.g. for 30m")


def _example(current: CommentedMap) -> str:
    """The command text of the section's first half, e.g. `abort 503 10%`."""
    abort, delay = current.get("abort"), current.get("delay")
    if isinstance(abort, CommentedMap):
        return f"abort {abort.get('httpStatus', '<code>')} {abort.get('percent', '<p>')}%"
    if isinstance(delay, CommentedMap):
        return f"delay {delay.get('fixed', '<d>')} {delay.get('percent', '<p>')}%"
    return "abort <code> <p>%"


def _half(intent: Fault) -> tuple[CommentedMap, str]:
    if intent.percent is None:
        raise UsageError("a fault needs a percentage", example="/fault svc-user abort 503 10%")
    share = number(intent.percent)
    if share == 0:
        raise UserError(f"a {intent.mode} for 0% of requests does nothing; give a percent "
                        f"above 0, e.g. /fault {intent.service} {intent.mode} "
                        + ("503 10%" if intent.mode == "abort" else "2s 5%"))
    if intent.mode == "abort":
        if intent.http_status is None:
            raise UsageError("an abort needs an HTTP status",
                             example="/fault svc-user abort 503 10%")
        half = CommentedMap(httpStatus=intent.http_status, percent=share)
        return half, f"abort {intent.http_status} {percent_text(share)}"
    if intent.delay is None:
        raise UsageError("a delay needs a duration", example="/fault svc-user delay 2s 5%")
    half = CommentedMap(fixed=intent.delay, percent=share)
    return half, f"delay {intent.delay} {percent_text(share)}"


def _expiry(intent: Fault) -> tuple[str, str] | None:
    """(RFC 3339 UTC text, short text for the summary) of the resolved expiry, or None."""
    if intent.duration is None:
        return None
    if not units.is_duration(intent.duration) or units.duration_ms(intent.duration) < 1000:
        raise UsageError(f"{intent.duration!r} is not a duration of at least 1s",
                         example="/fault svc-user abort 503 10% for 30m")
    until = _moment(intent.expires) if intent.expires is not None else None
    if until is None:
        raise ValueError(
            f"the fault's time box (for {intent.duration}) has no expiry: resolve the intent "
            "with policies.intents.resolve(intent, now) before applying it")
    return intent.expires or "", _short(until)


def _short(moment: datetime | None) -> str:
    """`2026-11-27 10:30:00 UTC`: the date, to the second, in UTC with the zone named."""
    if moment is None:
        return "an unreadable time"
    return units.utc_text(moment)


def _moment(value: object) -> datetime | None:
    try:
        return _utc(datetime.fromisoformat(str(value).replace("Z", "+00:00")))
    except ValueError:
        return None


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
