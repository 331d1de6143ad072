"""At start (and `govbot sync`): finish what a stop interrupted, then apply main.

A restart neither loses nor repeats a change: a change whose branch was never written is
forgotten (its command got no answer), one that reached main without being recorded is
closed as merged, a change whose branch went missing gets it back, and an open change
whose approvals already suffice is merged. Then whatever main holds and the apply target
lacks is applied.
"""

from __future__ import annotations

import logging

from bot.core.errors import GovbotError, UserError
from bot.core.events import Answer, ApplyFailed, ChangeMerged, Event
from bot.runners import Context, describing, merging
from bot.runners.views import view

log = logging.getLogger("govbot.recovery")


def recover(ctx: Context) -> list[Event]:
    events: list[Event] = []
    main = ctx.main()
    branches = set(ctx.repo.branches("change/"))
    for change in ctx.store.changes("open"):
        if not change.head_sha:
            ctx.store.discard(change.id)
            log.warning("forgot #%s: govbot stopped while opening it", change.id)
        elif ctx.repo.is_ancestor(change.head_sha, main):
            ctx.forge.close(change)
            change = ctx.store.close(change.id, "merged", merged_sha=main)
            events.append(ChangeMerged(view(ctx, change), f"#{change.id} was merged when "
                                       "govbot stopped; recorded as merged"))
        elif change.branch not in branches:
            ctx.forge.open(change, describing.body(ctx, change, change.verdict,
                                                   ctx.approvals(change)))
            log.warning("restored the branch of #%s", change.id)
    return events + merge_ready(ctx)


def merge_ready(ctx: Context) -> list[Event]:
    """Merge every open change whose approvals suffice — an approval stored just before a
    stop or a failed merge — exactly once. Level-based: run at start and periodically."""
    events: list[Event] = []
    for change in ctx.store.changes("open"):
        if change.head_sha:
            events += merge_if_ready(ctx, change.id)
    return events


def merge_if_ready(ctx: Context, change_id: int) -> list[Event]:
    """Merge the change when its approvals (in chat and on the forge) suffice now."""
    try:
        with ctx.holding(change_id, wait=0):
            change = ctx.store.get(change_id)
            if change.state != "open":
                return []
            decision = ctx.decide(ctx.change_set(change), change.requester,
                                  ctx.approvals(change))
            if not decision.mergeable:
                return []
            return merging.merge(ctx, change)
    except (UserError, GovbotError) as error:
        log.warning("merging #%s at start: %s", change_id, error)
        return []


def expire(ctx: Context) -> list[Event]:
    """Apply again the documents whose time-boxed faults have ended, so what the target
    holds stops injecting them on time (the document keeps the expired section until a
    change turns it off)."""
    main = ctx.main()
    try:
        rolled = ctx.rollout.expire(main, ctx.config(main))
    except Exception:
        log.exception("applying documents whose faults ended")
        return []
    return [Answer(f"fault ended, applied: {line}") for line in rolled.lines]


def sync(ctx: Context, full: bool = False) -> list[Event]:
    """Recover, then apply what main holds and the target lacks (everything with `full`),
    and what expired."""
    events = recover(ctx)
    rolled = merging.apply_main(ctx, ctx.main(), full)
    events += [Answer(f"applied: {line}") for line in rolled.lines]
    events += expire(ctx)
    events += [ApplyFailed(f"apply pending: {line}") for line in rolled.pending]
    events += [ApplyFailed(f"not applied: {line}", permanent=True) for line in rolled.invalid]
    return events
