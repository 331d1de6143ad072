"""/approve: judge an approval with main's rules, record it, merge when they suffice.

An approval counts only for the content the approver saw: when main moved and the replay
changed the diff, it is not recorded. An approval that would add a deny reason
(`[review.self_approval]`, `[review.not_approver]`) is refused and not stored. Merging is
level-based: whenever the approvals of a change suffice — after this approval, or when
someone approves again a change that is already approved enough — it is merged, once.

During a change freeze (rego/rules/schedule.rego) an approval is recorded as any other;
a change that has its approvals and that only the freeze holds back waits, open, and
the periodic sweep (`recovery.merge_ready`) merges it once the window has ended.
"""

from __future__ import annotations

from bot.change import Change
from bot.core.errors import Denied, UserError
from bot.core.events import Answer, ApprovalRecorded, ChangeRejected, Event
from bot.core.types import Approval, Decision, Person
from bot.runners import Context, describing, merging
from bot.runners.views import needs, progress, view


def run(ctx: Context, person: Person, change_id: int,
        break_glass: str | None = None) -> list[Event]:
    with ctx.holding(change_id):
        change = ctx.store.get(change_id)
        if change.state != "open":
            raise UserError(f"change #{change_id} is already {change.state}")
        old_hash = change.content_hash
        change, note = merging.rebase(ctx, change)
        if change.state != "open":
            return [ChangeRejected(view(ctx, change), note)]
        if change.content_hash != old_hash:
            return [ApprovalRecorded(view(ctx, change), (
                f"main moved since #{change_id} was opened, and its change is now: "
                f"{change.summary}. Your approval was not recorded; earlier ones no longer "
                f"count. Review the new diff and /approve {change_id} again:\n{change.diff}"),
                ok=False)]
        if break_glass and person.id != change.requester:
            raise UserError(f"break-glass is for approving your own de-escalation; "
                            f"{change.requester} asked for #{change_id}, so approve it "
                            f"without it: /approve {change_id}")
        if any(a.by == person.id for a in ctx.approvals(change)):
            return _again(ctx, change, note)
        after = _record(ctx, change, person, break_glass)
        change = ctx.store.judged(change.id, after)
        if not after.mergeable:
            describing.publish(ctx, change, after)
        if break_glass:
            note = "\n".join(n for n in (note, f"BREAK-GLASS: {person.id} approved their own "
                                          f"#{change_id}: {break_glass}") if n)
        prefix = f"{note}\n" if note else ""
        until = merging.freeze_end(ctx, change.env, after)
        if until and after.approvals_valid >= after.approvals_required:
            return [ApprovalRecorded(view(ctx, change), (
                f"{prefix}approved; #{change_id} {merging.waits(until)}"))]
        if until:
            return [ApprovalRecorded(view(ctx, change), (
                f"{prefix}#{change_id} approved by {person.id} ({after.approvals_valid} of "
                f"{after.approvals_required}). Still needs {needs(after)}; then it "
                f"{merging.waits(until)}"))]
        if not after.allow:
            return [ApprovalRecorded(view(ctx, change), prefix + merging.stuck(
                change_id, after.deny), ok=False)]
        if not after.mergeable:
            return [ApprovalRecorded(view(ctx, change), (
                f"{prefix}#{change_id} approved by {person.id} ({after.approvals_valid} of "
                f"{after.approvals_required}). Still needs {needs(after)}."))]
        return merging.merge(ctx, change, note)


def _again(ctx: Context, change: Change, note: str) -> list[Event]:
    """A second /approve by the same person: merge when the approvals already suffice
    (a merge a failure interrupted), else say where the change stands."""
    approvals = ctx.approvals(change)
    decision = ctx.decide(ctx.change_set(change), change.requester, approvals)
    if decision.mergeable:
        return merging.merge(ctx, change, note)
    until = merging.freeze_end(ctx, change.env, decision)
    waiting = f"; it {merging.waits(until)}" if until else ""
    return [Answer(f"you already approved #{change.id}; {progress(ctx, change)}{waiting}",
                   change_id=change.id)]


def _record(ctx: Context, change: Change, person: Person, break_glass: str | None) -> Decision:
    """Judge the approval with main's rules and store it; Denied, storing nothing, when it
    would add a deny reason or not count. The decision with it."""
    approvals, change_set = ctx.approvals(change), ctx.change_set(change)
    before = ctx.decide(change_set, change.requester, approvals)
    candidate = Approval(person.id, ctx.clock(), change.content_hash, break_glass or "")
    after = ctx.decide(change_set, change.requester, [*approvals, candidate])
    added = [reason for reason in after.deny if reason not in before.deny]
    if added or after.approvals_valid <= before.approvals_valid:
        reasons = added or [f"[review.not_counted] {person.id}'s approval does not count "
                            f"for #{change.id}"]
        if break_glass:
            reasons = [*reasons, "break-glass counts only for a de-escalation (turning a risk "
                       "off), approved by its requester from the groups govbot.yaml names "
                       "for de-escalations"]
        raise Denied(reasons, header=f"approval of #{change.id} by {person.id} refused")
    ctx.store.add_approval(change.id, candidate)
    return after
