"""The events page's filters from a query string, and its CSV export.

A cell a spreadsheet would take for a formula (starting with `=`, `+`, `-`, `@`, a tab
or a carriage return) is prefixed with `'`, so an exported service name or alert title
cannot run anything where the file is opened.

Example:
    wanted, problem = event_filter(lambda name: {"kind": "rate_limit"}.get(name, ""), now)
    csv_text(events)   # "time,env,namespace,service,kind,count,code,caller,…\\r\\n…"
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from bot.core.events import GOVERNANCE_KINDS, GovernanceEvent
from bot.store.audit import caller_of
from bot.web.pages import EventFilter, number_of, since_of

FORMULA = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("time", "env", "namespace", "service", "kind", "count", "code", "caller",
           "severity", "resolved", "title")


def safe(cell: object) -> str:
    text = "" if cell is None else str(cell)
    return f"'{text}" if text.startswith(FORMULA) else text


def csv_text(events: Sequence[GovernanceEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for e in events:
        writer.writerow([safe(v) for v in (
            e.at.isoformat(), e.env, e.namespace, e.service, e.kind, e.count, e.code,
            caller_of(e), e.severity, "yes" if e.resolved else "", e.title)])
    return out.getvalue()


def _moment(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def event_filter(one: Callable[[str], str], now: datetime) -> tuple[EventFilter, str]:
    """The filter the query asks for, and what was wrong with it ("" when nothing)."""
    kind, code, since, until = one("kind"), one("code"), one("since"), one("until")
    problems = []
    if kind and kind not in GOVERNANCE_KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(GOVERNANCE_KINDS)}")
    number = number_of(code)
    if code and not (number is not None and 100 <= number <= 599):
        problems.append(f"code {code!r} is not an HTTP status such as 503")
    start = (since_of(since, now) or _moment(since)) if since else None
    if since and start is None:
        problems.append(f"since {since!r} is not 24h, 7d, 30m or a time like 2026-12-01T08:00")
    end = _moment(until) if until else None
    if until and end is None:
        problems.append(f"until {until!r} is not a time like 2026-12-01T18:00")
    wanted = EventFilter(one("service"), kind if not problems else "",
                         number if not problems else None,
                         one("caller"), start, end)
    return wanted, "; ".join(problems)
