"""At start (and `govbot sync`): finish what a stop interrupted, then apply main.

A restart neither loses nor repeats a change: a change whose branch was never written is
forgotten (its command got no answer), one that reached main without being recorded is
closed as merged, a change whose branch went missing gets it back, and an open change
whose approvals already suffice is merged. Then whatever main holds and the apply target
lacks is applied.
"""

from __future__ import annotations

import hashlib
import logging

from bot.core.errors import GovbotError, UserError
from bot.core.events import Answer, ApplyFailed, ChangeMerged, ChangeRejected, Event
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
        log.warning("merging #%s when its approvals sufficed: %s", change_id, error)
        return []


def reviewed(ctx: Context, change_id: int) -> list[Event]:
    """Something happened on the change's pull request (a review, a push): merge it when
    its approvals suffice now, else rewrite its description and status so reviewers see
    where it stands."""
    with ctx.holding(change_id):
        change = ctx.store.get(change_id)
        if change.state != "open":
            return []
        decision = ctx.decide(ctx.change_set(change), change.requester, ctx.approvals(change))
        if decision.mergeable:
            return merging.merge(ctx, change)
        change = ctx.store.judged(change.id, decision)
        describing.publish(ctx, change, decision)
        return []


def reconcile(ctx: Context) -> list[Event]:
    """Open changes whose pull request was closed or merged on the forge by a person:
    recorded as such, so their service is free again."""
    if ctx.forge.kind == "local":
        return []
    events: list[Event] = []
    main = ctx.main()
    for change in ctx.store.changes("open"):
        if not change.head_sha or ctx.forge.pull_of(change) is not None:
            continue
        with ctx.holding(change.id):
            if ctx.store.get(change.id).state != "open":
                continue
            if ctx.repo.is_ancestor(change.head_sha, main):
                closed = ctx.store.close(change.id, "merged", merged_sha=main)
                events += merging.applied(ctx, closed, main, f"#{change.id} was merged on "
                                          f"{ctx.forge.name} by a person")
            else:
                closed = ctx.store.close(change.id, "rejected", reason=(
                    f"its pull request was closed on {ctx.forge.name}"))
                events.append(ChangeRejected(view(ctx, closed), (
                    f"#{change.id} closed: its pull request was closed on {ctx.forge.name}. "
                    f"{change.service} is free for a new change.")))
    return events


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
    events: list[Event] = [Answer(f"fault ended, applied: {line}") for line in rolled.lines]
    # a fault the target would not take out keeps injecting: say so, once per problem
    for line in rolled.invalid + rolled.pending:
        digest = hashlib.sha256(line.encode()).hexdigest()[:24]
        if ctx.store.claim_event(f"expire:{digest}"):
            events.append(ApplyFailed(f"a fault that ended is still in the cluster: {line}",
                                      permanent=line in rolled.invalid))
    return events


def catch_up(ctx: Context) -> list[Event]:
    """Apply what main holds and the target still lacks (an apply left pending by a
    target that was down), so it lands without waiting for the next merge."""
    rolled = merging.apply_main(ctx, ctx.main())
    return [Answer(f"applied: {line}") for line in rolled.lines]


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
