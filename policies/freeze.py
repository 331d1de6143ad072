"""Change freezes (封网): the windows govbot.yaml declares per environment, checked, read
and placed on the calendar.

Pure: plain data and a `now` in, problems, windows and their occurrences out. The
guardrails hold the same rule in Rego (rego/rules/schedule.rego); both compare wall-clock
times in the window's time zone, so they agree on every instant, daylight saving included.

A window is fixed (`from` / `to`, "YYYY-MM-DD HH:MM") or weekly (`every` / `until`,
"<weekday> HH:MM", wrapping the week when `until` comes first); `timeZone` names an IANA
zone (default UTC). A window is half-open: frozen from its start, free again at its end.

Example:
    windows = read([{"name": "weekend", "every": "friday 18:00", "until": "monday 08:00",
                     "timeZone": "Asia/Shanghai"}])
    current(windows, now)    # [Occurrence(weekend, fri 18:00, mon 08:00)] on a Saturday
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KEYS = ("name", "from", "to", "every", "until", "timeZone")
WEEK = timedelta(days=7)
_DATE = re.compile(r"((?:19|2[0-9])[0-9]{2})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2})")
_WEEKLY = re.compile(r"([a-z]+)\s+([01][0-9]|2[0-3]):([0-5][0-9])")
_ZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*")
DATE_EXAMPLE = '"2026-12-24 00:00"'
WEEKLY_EXAMPLE = '"friday 18:00"'


@dataclass(frozen=True)
class Window:
    """One declared window: `start` and `end` as written ("2026-12-24 00:00", or
    "friday 18:00" when `weekly`), in the wall-clock time of `zone`."""

    name: str
    zone: str
    start: str
    end: str
    weekly: bool = False


@dataclass(frozen=True)
class Occurrence:
    """A window on the calendar: from `start` to `end`, both aware, in the window's zone."""

    window: Window
    start: datetime
    end: datetime

    def label(self) -> str:
        """`2026-12-24 00:00 → 2027-01-02 08:00 Asia/Shanghai (2026-12-23 16:00 → 2027-01-02
        00:00 UTC)`."""
        local = f"{wall_text(self.start)} → {wall_text(self.end)} {self.window.zone}"
        if self.window.zone == "UTC":
            return local
        return (f"{local} ({wall_text(self.start.astimezone(UTC))} → "
                f"{wall_text(self.end.astimezone(UTC))} UTC)")


def wall_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


# -- checking and reading -------------------------------------------------------------------


def problems(value: Any, where: str) -> list[str]:
    """What is wrong with an environment's `freezes:` list, each naming its path
    (`environments.prod.freezes[1].every`)."""
    if value is None:
        return []
    if not isinstance(value, list):
        return [f"{where}: not a list of windows, each with a name and from/to or "
                "every/until"]
    found: list[str] = []
    names: set[str] = set()
    for number, entry in enumerate(value):
        found += _window_problems(entry, f"{where}[{number}]", names)
    return found


def _window_problems(entry: Any, where: str, names: set[str]) -> list[str]:
    if not isinstance(entry, Mapping):
        return [f"{where}: not a mapping such as {{name: weekend, every: friday 18:00, "
                "until: monday 08:00, timeZone: Asia/Shanghai}"]
    found = [f"{where}.{key}: unknown; use {', '.join(KEYS)}" for key in entry
             if key not in KEYS]
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        found.append(f"{where}.name: {name!r} does not name the window (for example "
                     "year-end)")
    elif name in names:
        found.append(f"{where}.name: {name!r} names an earlier window too")
    else:
        names.add(name)
    zone = entry.get("timeZone", "UTC")
    if not _zone_known(zone):
        found.append(f"{where}.timeZone: {zone!r} is not a time zone such as Asia/Shanghai "
                     "or UTC")
    fixed, weekly = ("from" in entry or "to" in entry), ("every" in entry or "until" in entry)
    if fixed == weekly:
        return [*found, f"{where}: give either from and to (dates such as {DATE_EXAMPLE}) "
                f"or every and until (weekdays such as {WEEKLY_EXAMPLE})"]
    return found + (_fixed_problems(entry, where) if fixed else _weekly_problems(entry, where))


def _fixed_problems(entry: Mapping[str, Any], where: str) -> list[str]:
    found = []
    for key in ("from", "to"):
        value = entry.get(key)
        if isinstance(value, date):
            found.append(f"{where}.{key}: {_unquoted(value)}")
        elif _date(value) is None:
            found.append(f"{where}.{key}: {value!r} is not a date and time such as "
                         f"{DATE_EXAMPLE} (quoted, in the window's time zone)")
    start, end = _date(entry.get("from")), _date(entry.get("to"))
    if start is not None and end is not None and end <= start:
        found.append(f"{where}.to: {entry['to']} is not after from {entry['from']}")
    return found


def _unquoted(value: date) -> str:
    """What YAML made of an unquoted date or timestamp, and how to write it instead."""
    if isinstance(value, datetime):
        text = f'"{wall_text(value)}"'
        return (f"{value.isoformat(sep=' ')} is a YAML timestamp, not the text of a date and "
                f"time; write {text} in quotes")
    return (f'{value.isoformat()} is a date without a time; write '
            f'"{value.isoformat()} 00:00" in quotes')


def _weekly_problems(entry: Mapping[str, Any], where: str) -> list[str]:
    found = []
    for key in ("every", "until"):
        text = entry.get(key)
        match = _WEEKLY.fullmatch(text.strip().lower()) if isinstance(text, str) else None
        if match is None:
            found.append(f"{where}.{key}: {text!r} is not a weekday and time such as "
                         f"{WEEKLY_EXAMPLE}")
        elif match.group(1) not in WEEKDAYS:
            found.append(f"{where}.{key}: {match.group(1)!r} is not a weekday; use "
                         f"{', '.join(WEEKDAYS)}")
    start, end = _weekly(entry.get("every")), _weekly(entry.get("until"))
    if start is not None and start == end:
        found.append(f"{where}.until: {entry['until']} is when the window starts; a window "
                     "needs an end after its start")
    return found


def read(value: Any) -> tuple[Window, ...]:
    """The windows of an environment's `freezes:` list that `problems` finds nothing
    wrong with (what `govbot check` refuses is left out, as the Rego rule leaves it)."""
    if not isinstance(value, list):
        return ()
    windows = []
    for entry in value:
        if not isinstance(entry, Mapping) or _window_problems(entry, "", set()):
            continue
        zone, name = str(entry.get("timeZone", "UTC")), str(entry["name"])
        if "every" in entry:
            windows.append(Window(name, zone, _spaced(entry["every"]), _spaced(entry["until"]),
                                  weekly=True))
        else:
            windows.append(Window(name, zone, str(entry["from"]), str(entry["to"])))
    return tuple(windows)


def _zone_known(zone: Any) -> bool:
    if not isinstance(zone, str) or not _ZONE.fullmatch(zone):
        return False
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def _date(text: Any) -> datetime | None:
    """A fixed window's "YYYY-MM-DD HH:MM" as a naive wall-clock time, or None."""
    match = _DATE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    year, month, day, hour, minute = (int(part) for part in match.groups())
    try:
        return datetime(year, month, day, hour, minute)
    except ValueError:
        return None


def _weekly(text: Any) -> int | None:
    """A weekly window's "<weekday> HH:MM" as seconds after Monday 00:00, or None."""
    match = _WEEKLY.fullmatch(text.strip().lower()) if isinstance(text, str) else None
    if match is None or match.group(1) not in WEEKDAYS:
        return None
    day, hour, minute = WEEKDAYS.index(match.group(1)), int(match.group(2)), int(match.group(3))
    return day * 86400 + hour * 3600 + minute * 60


def _spaced(text: Any) -> str:
    return " ".join(str(text).lower().split())


# -- the calendar ---------------------------------------------------------------------------


def wall(moment: datetime, zone: str) -> datetime:
    """`moment` as the wall clock of `zone` shows it, naive, to the second (as Rego's
    time.date and time.clock read it)."""
    return moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def _aware(local: datetime, zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(zone))


def _week_seconds(local: datetime) -> int:
    return local.weekday() * 86400 + local.hour * 3600 + local.minute * 60 + local.second


def occurrence_at(window: Window, now: datetime) -> Occurrence | None:
    """The occurrence of `window` that holds `now`, if one does."""
    local = wall(now, window.zone)
    if not window.weekly:
        start, end = _date(window.start), _date(window.end)
        if start is None or end is None or not start <= local < end:
            return None
        return Occurrence(window, _aware(start, window.zone), _aware(end, window.zone))
    start_s, end_s = _weekly(window.start), _weekly(window.end)
    if start_s is None or end_s is None:
        return None
    into = (_week_seconds(local) - start_s) % int(WEEK.total_seconds())
    length = (end_s - start_s) % int(WEEK.total_seconds())
    if into >= length:
        return None
    start = local - timedelta(seconds=into)
    return Occurrence(window, _aware(start, window.zone),
                      _aware(start + timedelta(seconds=length), window.zone))


def next_after(window: Window, now: datetime) -> Occurrence | None:
    """The first occurrence of `window` that starts after `now`, if one is to come."""
    local = wall(now, window.zone)
    if not window.weekly:
        start, end = _date(window.start), _date(window.end)
        if start is None or end is None or start <= local:
            return None
        return Occurrence(window, _aware(start, window.zone), _aware(end, window.zone))
    start_s, end_s = _weekly(window.start), _weekly(window.end)
    if start_s is None or end_s is None:
        return None
    ahead = (start_s - _week_seconds(local)) % int(WEEK.total_seconds()) or int(
        WEEK.total_seconds())
    start = local + timedelta(seconds=ahead)
    length = (end_s - start_s) % int(WEEK.total_seconds())
    return Occurrence(window, _aware(start, window.zone),
                      _aware(start + timedelta(seconds=length), window.zone))


def current(windows: Sequence[Window], now: datetime) -> list[Occurrence]:
    """The occurrences that hold `now`, the one ending first first."""
    found = [o for o in (occurrence_at(w, now) for w in windows) if o is not None]
    return sorted(found, key=lambda o: o.end.astimezone(UTC))


def upcoming(windows: Sequence[Window], now: datetime) -> list[Occurrence]:
    """The next occurrence of each window that is still to come, soonest first."""
    found = [o for o in (next_after(w, now) for w in windows) if o is not None]
    return sorted(found, key=lambda o: o.start.astimezone(UTC))


def frozen(windows: Sequence[Window], now: datetime) -> bool:
    """Whether any window holds `now`: what rego/rules/schedule.rego decides."""
    return any(occurrence_at(w, now) is not None for w in windows)
