"""How a change reads: its view (the card's content) and the lines that describe it.

Every change event carries a view made here, from the change as the store has it and the
approvals that count for its current content.
"""

from __future__ import annotations

from bot.change import Change
from bot.core.types import ChangeView, Decision
from bot.runners import Context


def view(ctx: Context, change: Change) -> ChangeView:
    approvals = ctx.approvals(change)
    verdict = change.verdict
    return ChangeView(change.id, change.summary, change.env, change.namespace,
                      change.service, change.requester, change.state, change.diff,
                      verdict.deny, verdict.warn, tuple(a.by for a in approvals),
                      verdict.approvals_required, verdict.approvers, change.url,
                      change.reason)


def progress(ctx: Context, change: Change) -> str:
    approvals = ctx.approvals(change)
    names = ", ".join(a.by for a in approvals) or "none yet"
    return f"approvals {len(approvals)}/{change.verdict.approvals_required} ({names})"


def needs(decision: Decision, groups: frozenset[str] = frozenset()) -> str:
    """`Needs 2 approvals from sre` — what is still missing."""
    missing = max(0, decision.approvals_required - decision.approvals_valid)
    text = f"{missing} approval{'s' if missing != 1 else ''}"
    named = [a for a in decision.approvers if not groups or a in groups]
    return f"{text} from {' or '.join(named)}" if named else text


def opened(change: Change, decision: Decision, groups: frozenset[str]) -> str:
    created = ", new document" if change.diff.startswith("--- /dev/null") else ""
    required = decision.approvals_required
    text = f"Needs {required} approval{'s' if required != 1 else ''}"
    named = [a for a in decision.approvers if a in groups]
    if named:
        text += f" from {' or '.join(named)}"
    line = (f"change #{change.id} opened: {change.summary} ({change.env}/{change.namespace}"
            f"{created}). {text}, not by {change.requester}.")
    return "\n".join([line, *(f"warning: {w}" for w in decision.warn)])
