"""What a governance-event message says: pure text from a group, the change that set the
policy, and the obvious next step. `bot.runners.funnel` calls it.

Example:
    [warning] circuit breaker on svc-user (prod/demo) tripped 42× in 5 min (caller
    svc-order; code 503×42)
    first seen 2026-11-27 10:00:00 UTC, last seen 10:05:00 UTC
    set by change #14, alice, approved by bob
    next: /canary svc-user abort
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.change import Change
from bot.store.audit import EventGroup
from policies.intents import Canary, RateLimit

# kind → the actions of the changes that set the policy section it reports on
SECTIONS: dict[str, tuple[str, ...]] = {
    "circuit_break": ("circuitbreak",), "rate_limit": ("ratelimit",),
    "denied": ("whitelist",), "timeout": ("timeout",), "retry": ("timeout",),
    "fault": ("fault",),
}
# kind → what happened, and the verb after the service
WORDING: dict[str, tuple[str, str]] = {
    "circuit_break": ("circuit breaker", "tripped"),
    "rate_limit": ("rate limit", "rejected requests"),
    "denied": ("whitelist", "denied calls"),
    "timeout": ("timeout", "cut requests"),
    "retry": ("retries", "ran out"),
    "fault": ("fault injection", "fired"),
    "no_healthy_upstream": ("no healthy upstream", "failed requests"),
    "alert": ("alert", "fired"),
    "kubernetes": ("kubernetes event", "seen"),
}
# kinds where a live canary is the likely cause
CANARY_SUSPECTS = ("circuit_break", "no_healthy_upstream", "timeout", "retry")
SHOWN_CALLERS = 3


@dataclass(frozen=True)
class Responsible:
    """The last merged change that set the section an event reports on."""

    change: Change
    approvers: tuple[str, ...]
    limit: RateLimit | None = None  # the last rate limit set with numbers, for /whatif


def text(group: EventGroup, severity: str, responsible: Responsible | None,
         canary_live: bool) -> str:
    """The whole message for `group`, as its channel should read it now."""
    lines = [_headline(group, severity), _seen(group)]
    if responsible is not None:
        change = responsible.change
        approved = (f", approved by {', '.join(responsible.approvers)}"
                    if responsible.approvers else "")
        lines.append(f"set by change #{change.id}, {change.requester}{approved}")
    step = next_step(group, responsible, canary_live)
    if step:
        lines.append(f"next: {step}")
    return "\n".join(lines)


def _headline(group: EventGroup, severity: str) -> str:
    what, verb = WORDING.get(group.kind, (group.kind, "happened"))
    where = f"{group.service} ({group.env}/{group.namespace})"
    state = "resolved" if group.resolved else severity
    if group.kind in ("alert", "kubernetes"):
        title = f": {group.title}" if group.title else ""
        status = "resolved" if group.resolved else f"{verb} {group.count}×"
        return f"[{state}] {what} on {where}{title} — {status}"
    span = group.last_at - group.first_at
    during = f" in {duration(span.total_seconds())}" if span.total_seconds() >= 1 else ""
    details = "; ".join(part for part in (_callers(group.callers), _codes(group.codes)) if part)
    return (f"[{state}] {what} on {where} {verb} {group.count}×{during}"
            + (f" ({details})" if details else ""))


def _callers(callers: Sequence[tuple[str, int]]) -> str:
    if not callers:
        return ""
    if len(callers) == 1:
        return f"caller {callers[0][0]}"
    shown = ", ".join(f"{name} {n}×" for name, n in callers[:SHOWN_CALLERS])
    more = f", {len(callers) - SHOWN_CALLERS} more" if len(callers) > SHOWN_CALLERS else ""
    return f"callers {shown}{more}"


def _codes(codes: Sequence[tuple[int, int]]) -> str:
    if not codes:
        return ""
    word = "code" if len(codes) == 1 else "codes"
    return f"{word} " + ", ".join(f"{code}×{n}" for code, n in codes[:SHOWN_CALLERS])


def _seen(group: EventGroup) -> str:
    last_format = ("%H:%M:%S UTC" if group.first_at.date() == group.last_at.date()
                   else "%Y-%m-%d %H:%M:%S UTC")
    return (f"first seen {stamp(group.first_at)}, last seen "
            f"{group.last_at.strftime(last_format)}")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def duration(seconds: float) -> str:
    """`42 s`, `5 min`, `2 h`, `3 d`: how long, for a person."""
    if seconds < 60:
        return f"{round(seconds)} s"
    if seconds < 3600:
        return f"{round(seconds / 60)} min"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h"
    return f"{round(seconds / 86400)} d"


def next_step(group: EventGroup, responsible: Responsible | None, canary_live: bool) -> str:
    """The command a person would most likely type next, or "" when the group ended."""
    if group.resolved:
        return ""
    service = group.service
    server_errors = any(code >= 500 for code, _n in group.codes)
    if canary_live and (group.kind in CANARY_SUSPECTS or server_errors):
        return f"/canary {service} abort"
    if group.kind == "rate_limit":
        return f"/whatif ratelimit {service} {_looser(responsible)}"
    return f"/status {service}"


def _looser(responsible: Responsible | None) -> str:
    """Twice the limit the responsible change set, or placeholders."""
    intent = responsible.limit if responsible is not None else None
    if intent is not None and intent.requests and intent.per:
        return f"{intent.requests * 2}/{intent.per}"
    return "<n>/<d>"


def is_live_canary(intent: object) -> bool:
    """Whether a change's intent left a canary taking part of the traffic."""
    return isinstance(intent, Canary) and intent.step == "set" and 0 < (intent.weight or 0) < 100
