"""Merge a change whose approvals suffice: replay on main if it moved, merge, apply.

Callers hold the change (`Context.holding`), so one change is replayed or merged by one
request at a time, on any replica. Main moving between the decision and the merge is
handled by the forge's compare-and-set: the merge is replayed on the new main and tried
again. Approvals survive a replay only when its diff is identical.
"""

from __future__ import annotations

import logging
import random
import time

from bot import logs
from bot.change import Change
from bot.core.errors import Conflict, Locked, Refused, TransientError
from bot.core.events import ApplyFailed, ApprovalRecorded, ChangeMerged, ChangeRejected, Event
from bot.core.types import Author, Decision, Scope
from bot.rollout import Rolled, incident
from bot.runners import Context, changesets, describing
from bot.runners.views import frozen_only, progress, view
from policies import freeze

log = logging.getLogger("govbot.merging")

GOVBOT = Author("govbot", "govbot@localhost")
MERGE_ATTEMPTS = 8


def refuse_locked(ctx: Context, scope: Scope, service: str) -> None:
    """Locked, naming the holder, when the service has an open change."""
    held = ctx.store.holder(scope.env, scope.namespace, service)
    if held is not None:
        raise Locked(held.id, held.requester, service)


def rebase(ctx: Context, change: Change) -> tuple[Change, str]:
    """Replay the change on main when main moved; a note when that changed something
    people must know (closed, or approvals voided)."""
    main = ctx.main()
    if main == change.base_sha:
        return change, ""
    replay = changesets.replay(ctx.repo, ctx.store, change, main, ctx.clock())
    if replay.empty:
        ctx.forge.close(change)
        closed = ctx.store.close(change.id, "rejected", reason="main already holds this change")
        return closed, f"#{change.id} closed: main already holds {change.summary}"
    requester = ctx.person(change.requester)
    head = ctx.repo.commit(main, {change.path: replay.after_text},
                           Author(requester.name, requester.email),
                           changesets.commit_message(replay, change.id, requester.id))
    had_approvals = bool(ctx.approvals(change))
    rebased = ctx.store.rebased(change.id, change.head_sha, main, head, replay)
    ctx.forge.update(rebased, change.head_sha)
    describing.publish(ctx, rebased, rebased.verdict)
    if replay.content_hash == change.content_hash or not had_approvals:
        return rebased, ""
    return rebased, (f"main moved since #{change.id} was opened and its diff changed; "
                     "earlier approvals no longer count")


def merge(ctx: Context, change: Change, note: str = "") -> list[Event]:
    """Merge `change` if its approvals suffice on the newest main, then apply it."""
    for _attempt in range(MERGE_ATTEMPTS):
        change, replayed = rebase(ctx, change)
        note = "\n".join(n for n in (note, replayed) if n)
        if change.state != "open":
            return [ChangeRejected(view(ctx, change), note)]
        approvals = ctx.approvals(change)
        decision = ctx.decide(ctx.change_set(change), change.requester, approvals)
        if not decision.allow:
            change = ctx.store.judged(change.id, decision)
            describing.publish(ctx, change, decision)
            until = freeze_end(ctx, change.env, decision)
            if until and decision.approvals_valid >= decision.approvals_required:
                return [ApprovalRecorded(view(ctx, change), "\n".join(n for n in (
                    note, f"#{change.id} is approved but {waits(until)}") if n))]
            return [ApprovalRecorded(view(ctx, change), "\n".join(
                n for n in (note, stuck(change.id, decision.deny)) if n), ok=False)]
        if not decision.mergeable:
            change = ctx.store.judged(change.id, decision)
            describing.publish(ctx, change, decision)
            return [ApprovalRecorded(view(ctx, change),
                                     f"{note}\n#{change.id} needs approvals again: "
                                     f"{progress(ctx, change)}".strip(), ok=False)]
        blockers = ctx.reviews(change).blockers
        if blockers:
            change = ctx.store.judged(change.id, decision)
            describing.publish(ctx, change, decision)
            return [ApprovalRecorded(view(ctx, change), "\n".join(n for n in (
                note, f"#{change.id} is approved but waits: {', '.join(blockers)} requested "
                f"changes on {ctx.forge.name}; it merges once they approve or their review "
                "is dismissed") if n), ok=False)]
        trailers = [f"Govbot-Change: {change.id}", f"Requested-by: {change.requester}",
                    *(f"Approved-by: {a.by}" for a in approvals),
                    *(f"Break-glass: {a.by}: {' '.join(a.break_glass.split())}"
                      for a in approvals if a.break_glass)]
        message = "\n".join([f"Merge change #{change.id}: {change.summary}", "", *trailers, ""])
        try:
            merged = ctx.forge.merge(change, message, GOVBOT)
        except Refused as refused:
            change = ctx.store.judged(change.id, decision)
            return [ApprovalRecorded(view(ctx, change), "\n".join(n for n in (
                note, f"#{change.id} is approved but could not be merged: {refused}. It "
                "stays open; govbot tries again at its next sweep, or /approve "
                f"{change.id} again once that is fixed") if n), ok=False)]
        except Conflict:
            log.info("main moved while merging #%s; replaying", change.id)
            time.sleep(random.uniform(0.0, 0.05))
            continue
        change = ctx.store.close(change.id, "merged", merged_sha=merged)
        by = ", ".join(a.by for a in approvals)
        if by:
            headline = f"#{change.id} approved by {by}, merged"
        elif decision.automatic:
            rules = " and ".join(rule.split("]")[0] + "]" for rule in decision.automatic)
            headline = f"#{change.id} merged by govbot without review, as {rules} allows"
        else:
            headline = (f"#{change.id} merged without review ({change.env} requires no "
                        "approval)")
        return applied(ctx, change, merged, headline, note)
    raise TransientError(f"main kept moving while merging #{change.id}; "
                         f"/approve {change.id} again to retry")


def freeze_end(ctx: Context, env: str, decision: Decision) -> str:
    """When only a change freeze holds a change back: the end of the last window holding
    now, on its zone's clock and named ("2027-01-02 08:00 Asia/Shanghai (year-end)");
    "" when something else denies it too."""
    if not frozen_only(decision):
        return ""
    holding = freeze.current(ctx.config(ctx.main()).freezes(env), ctx.clock())
    if not holding:
        return ""
    last = max(holding, key=lambda o: o.end.timestamp())
    return f"{freeze.wall_text(last.end)} {last.window.zone} ({last.window.name})"


def waits(until: str) -> str:
    return (f"waits for the freeze to end at {until}; it keeps its approvals and merges by "
            "itself then")


def stuck(change_id: int, reasons: tuple[str, ...]) -> str:
    """Why an approved change cannot merge now, and what to do about it."""
    return "\n".join([f"#{change_id} cannot merge: main's rules deny it now:",
                      *(f"• {reason}" for reason in reasons),
                      f"/reject {change_id} to close it, then ask for a change those rules "
                      "allow; or change the rule itself through its own change"])


def applied(ctx: Context, change: Change, merged: str, headline: str,
            note: str = "") -> list[Event]:
    """Apply main at `merged`; the merge's event, and one per document that failed."""
    rolled = apply_main(ctx, merged)
    card = view(ctx, change)
    if rolled.pending:
        status = ("apply pending: govbot retries at its next start or merge ("
                  + "; ".join(rolled.pending) + ")")
    elif rolled.lines:
        status = "applied: " + "; ".join(rolled.lines) + "."
    elif rolled.invalid:
        status = "not applied (below)."
    else:
        status = "applied."
    text = "\n".join(n for n in (note, f"{headline}, {status}") if n)
    if rolled.pending or rolled.invalid:
        logs.transition(change.id, "not applied #%d: %s", change.id, status)
    else:
        logs.transition(change.id, "applied #%d: %s", change.id,
                        "; ".join(rolled.lines) or "nothing to change")
    events: list[Event] = [ChangeMerged(card, text, rolled.lines, rolled.pending)]
    events += [ApplyFailed(f"not applied: {problem}", card, permanent=True)
               for problem in rolled.invalid]
    return events


def apply_main(ctx: Context, commit: str, full: bool = False) -> Rolled:
    """Hand main at `commit` to the apply target; never raises (a bug is an incident)."""
    try:
        return ctx.rollout.sync(commit, ctx.config(commit), full)
    except Exception:
        number = incident()
        log.exception("incident %s applying %s", number, commit[:12])
        return Rolled(pending=(f"incident {number}",))
