"""Time boxes (`for <d>`) on a document: the `expires` an edit writes, and reading it back.

`policies.intents.resolve` fixes an intent's `expires` once, when the command is given
(the request's time + d, RFC 3339 UTC); an edit writes that text, never the clock, so a
replay on a newer main writes the same document. `/ratelimit` and `/route` use it here;
`policies.edits.expiry` reads it back to end what expired.

Example:
    >>> from policies.intents import RateLimit
    >>> limit = RateLimit("svc-user", "set", 50, "1s", duration="2h",
    ...                   expires="2026-11-27T12:00:00Z")
    >>> expiry(limit.duration, limit.expires, "/ratelimit svc-user 50/1s for 2h")
    ('2026-11-27T12:00:00Z', '2026-11-27 12:00:00 UTC')
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.errors import UsageError
from policies import units


def expiry(duration: str | None, expires: str | None, example: str) -> tuple[str, str] | None:
    """(the RFC 3339 text to write, the time as people read it) of a resolved time box;
    None without `for`; ValueError when the intent was never resolved."""
    if duration is None:
        return None
    if not units.is_duration(duration) or units.exact_ms(duration) < 1000:
        raise UsageError(f"{duration!r} is not a duration of at least 1s", example=example)
    until = moment(expires)
    if expires is None or until is None:
        raise ValueError(
            f"the time box (for {duration}) has no expiry: resolve the intent with "
            "policies.intents.resolve(intent, now) before applying it")
    return expires, units.utc_text(until)


def moment(value: object) -> datetime | None:
    """The UTC time an `expires` holds; None for anything that is no RFC 3339 time."""
    if value is None:
        return None
    try:
        found = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def ended(value: object, now: datetime) -> bool:
    """Whether a part with this `expires` has ended by `now` (an unreadable one never has)."""
    at = moment(value)
    return at is not None and at <= (now.replace(tzinfo=UTC) if now.tzinfo is None else now)
