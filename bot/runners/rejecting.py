"""/reject: close a change without merging it, when the guardrails say this person may.

Who may reject is decided by the guardrails (`may_reject` of the decision: the requester,
or anyone who may approve the change), never here.
"""

from __future__ import annotations

from bot.core.errors import NotAllowed, UserError
from bot.core.events import ChangeRejected, Event
from bot.core.types import Person
from bot.runners import Context, describing
from bot.runners.views import view


def run(ctx: Context, person: Person, change_id: int, reason: str) -> list[Event]:
    with ctx.holding(change_id):
        change = ctx.store.get(change_id)
        if change.state != "open":
            raise UserError(f"change #{change_id} is already {change.state}")
        decision = ctx.decide(ctx.change_set(change), change.requester, ctx.approvals(change),
                              reviewer=person.id)
        if not decision.may_reject:
            raise NotAllowed(f"{person.id} may not reject #{change_id}: only its requester "
                             f"or someone who may approve it in {change.scope} may")
        why = f": {reason}" if reason else ""
        describing.comment(ctx, change, f"Rejected by {person.id}{why}.")
        ctx.forge.close(change)
        change = ctx.store.close(change.id, "rejected",
                                 reason=reason or f"rejected by {person.id}")
        return [ChangeRejected(view(ctx, change),
                               f"#{change_id} rejected by {person.id}{why}. {change.service} "
                               "is free for a new change.")]
