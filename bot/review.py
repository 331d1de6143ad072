"""Review: a change from opened to merged, applied or rejected.

Approvals are bound to the change's content hash. Before every approval and merge the
change is checked against main: if main moved since the branch was cut, the intent is
replayed on the new main (no textual merge); the approvals survive only when the replay
yields the same diff. Whether approvals suffice is the guard's decision, taken with main's
rules; an approval that would add a deny reason (self-approval, no grant) is refused and
not stored.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from bot import changesets
from bot.apply import ApplyTarget
from bot.core.errors import Conflict, Denied, NotAllowed, TransientError, UserError
from bot.core.types import (
    Approval,
    Author,
    Change,
    ChangeSet,
    ChangeView,
    Decision,
    Person,
    Reply,
    Scope,
)
from bot.forge import Forge
from bot.guard import Guard
from bot.repo.git import MAIN, PolicyRepo
from bot.rollout import Rollout
from bot.rules import MainRules
from bot.store.sql import SqlStore
from policies.document import plain

log = logging.getLogger("govbot.review")

GOVBOT = Author("govbot", "govbot@localhost")
MERGE_ATTEMPTS = 3


@functools.lru_cache(maxsize=64)
def _plain(text: str | None) -> dict[str, Any] | None:
    """A document as plain data, cached: one change is judged several times (open, each
    approval, merge) and the guard only reads it."""
    return plain(text) if text is not None else None


def guard_input(change_set: ChangeSet, requester: Person, approvals: Sequence[Approval],
                now: datetime) -> dict[str, object]:
    """The input document of `data.govbot.decision` (DESIGN.md, "The guardrails")."""
    return {
        "action": change_set.action,
        "actor": {"id": requester.id, "groups": list(requester.groups)},
        "env": change_set.env,
        "namespace": change_set.namespace,
        "target": change_set.service,
        "path": change_set.path,
        "before": _plain(change_set.before_text),
        "after": _plain(change_set.after_text),
        "approvals": [{"by": a.by, "at": a.at.isoformat().replace("+00:00", "Z")}
                      for a in approvals],
        "now": now.isoformat().replace("+00:00", "Z"),
    }


def commit_message(change_set: ChangeSet, change_id: int, requester: str) -> str:
    return (f"{change_set.summary}\n\n{change_set.diff}\n"
            f"Govbot-Change: {change_id}\nRequested-by: {requester}\n")


class Review:
    def __init__(self, repo: PolicyRepo, store: SqlStore, guard: Guard, forge: Forge,
                 target: ApplyTarget, rules: MainRules, clock: Callable[[], datetime]) -> None:
        self._repo = repo
        self._store = store
        self._guard = guard
        self._forge = forge
        self._rules = rules
        self._rollout = Rollout(repo, store, target, clock)
        self._clock = clock

    # -- deciding -----------------------------------------------------------------------

    def _requester(self, person_id: str) -> Person:
        _rules, config = self._rules.at(MAIN)
        return config.person_by_id(person_id) or Person(person_id, person_id, "", ())

    def decide(self, change_set: ChangeSet, requester_id: str,
               approvals: Sequence[Approval]) -> Decision:
        rules, _config = self._rules.at(MAIN)
        requester = self._requester(requester_id)
        return self._guard.decide(rules, guard_input(change_set, requester, approvals,
                                                     self._clock()))

    def _change_set(self, change: Change) -> ChangeSet:
        return ChangeSet(change.env, change.namespace, change.service, change.path,
                         change.action, change.summary,
                         self._repo.read(change.base_sha, change.path),
                         self._repo.read(change.head_sha, change.path), change.intent)

    def progress(self, change: Change) -> str:
        approvals = self._store.approvals(change.id, change.content_hash)
        verdict = Decision.from_json(change.verdict)
        names = ", ".join(a.by for a in approvals) or "none yet"
        return f"approvals {len(approvals)}/{verdict.approvals_required} ({names})"

    def view(self, change_id: int) -> ChangeView:
        change = self._store.get(change_id)
        approvals = self._store.approvals(change.id, change.content_hash)
        verdict = Decision.from_json(change.verdict)
        return ChangeView(change.id, change.summary, change.env, change.namespace,
                          change.service, change.requester, change.state, change.diff,
                          verdict.deny, verdict.warn, tuple(a.by for a in approvals),
                          verdict.approvals_required, verdict.approvers, change.url,
                          change.reason)

    # -- opening ------------------------------------------------------------------------

    def publish(self, change: Change, change_set: ChangeSet, requester: Person) -> Change:
        """Commit the document on a branch off the change's base and open the PR."""
        try:
            head = self._repo.commit(change.base_sha, {change.path: change_set.after_text},
                                     Author(requester.name, requester.email),
                                     commit_message(change_set, change.id, requester.id))
            change = self._store.update(change.id, head_sha=head)
            url = self._forge.open(change)
            return self._store.update(change.id, url=url)
        except Exception:
            self._store.discard(change.id)
            raise

    # -- approving ----------------------------------------------------------------------

    def _open_change(self, change_id: int) -> Change:
        change = self._store.get(change_id)
        if change.state != "open":
            raise UserError(f"change #{change_id} is already {change.state}")
        return change

    def approve(self, person: Person, change_id: int) -> Reply:
        change = self._open_change(change_id)
        old_hash = change.content_hash
        change, note = self._rebase(change)
        if note and change.state != "open":
            return Reply(note, change_id=change_id, kind="rejected")
        if change.content_hash != old_hash:
            # the approver reviewed other content: never count their approval for this one
            return Reply(f"main moved since #{change_id} was opened, and its change is now: "
                         f"{change.summary}. Your approval was not recorded; earlier ones no "
                         f"longer count. Review the new diff and /approve {change_id} again:\n"
                         f"{change.diff}", ok=False, change_id=change_id, kind="approved")
        prefix = f"{note}\n" if note else ""
        approvals = self._store.approvals(change.id, change.content_hash)
        if any(a.by == person.id for a in approvals):
            return Reply(f"you already approved #{change_id}; {self.progress(change)}",
                         change_id=change_id)
        change_set = self._change_set(change)
        before = self.decide(change_set, change.requester, approvals)
        candidate = Approval(person.id, self._clock(), change.content_hash)
        after = self.decide(change_set, change.requester, [*approvals, candidate])
        added = [reason for reason in after.deny if reason not in before.deny]
        if added or after.approvals_valid <= before.approvals_valid:
            raise Denied(added or [f"[review.not_counted] {person.id}'s approval does not count "
                                   f"for #{change_id}"],
                         header=f"approval of #{change_id} by {person.id} refused")
        self._store.add_approval(change.id, candidate)
        self._store.update(change.id, verdict=after.to_json())
        if not after.allow:
            return Reply(prefix + str(Denied(after.deny, header=f"#{change_id} cannot merge")),
                         ok=False, change_id=change_id, kind="approved")
        if not after.mergeable:
            missing = after.approvals_required - after.approvals_valid
            who = f" from {' or '.join(after.approvers)}" if after.approvers else ""
            return Reply(f"{prefix}#{change_id} approved by {person.id} "
                         f"({after.approvals_valid} of {after.approvals_required}). "
                         f"Still needs {missing} approval{'s' if missing != 1 else ''}{who}.",
                         change_id=change_id, kind="approved")
        merged = self.merge(self._store.get(change.id))
        return Reply(prefix + merged.text, ok=merged.ok, change_id=change_id, kind=merged.kind)

    def reject(self, person: Person, change_id: int, reason: str) -> Reply:
        change = self._open_change(change_id)
        _rules, config = self._rules.at(MAIN)
        scope = Scope(change.env, change.namespace)
        if person.id != change.requester and not config.can(person, "approve", scope):
            raise NotAllowed(f"{person.id} may not reject #{change_id}: only its requester "
                             f"or someone with an approve grant in {scope} may")
        self._forge.close(change)
        self._store.close(change.id, "rejected", reason=reason or f"rejected by {person.id}")
        why = f": {reason}" if reason else ""
        return Reply(f"#{change_id} rejected by {person.id}{why}. {change.service} is free "
                     "for a new change.", change_id=change_id, kind="rejected")

    # -- replaying and merging ----------------------------------------------------------

    def _rebase(self, change: Change) -> tuple[Change, str]:
        """Replay the change on main when main moved; note what that did."""
        main = self._repo.head(MAIN)
        if main == change.base_sha:
            return change, ""
        replay = changesets.replay(self._repo, self._store, change, main)
        if replay.empty:
            self._forge.close(change)
            closed = self._store.close(change.id, "rejected",
                                       reason="main already holds this change")
            return closed, f"#{change.id} closed: main already holds {change.summary}"
        requester = self._requester(change.requester)
        head = self._repo.commit(main, {change.path: replay.after_text},
                                 Author(requester.name, requester.email),
                                 commit_message(replay, change.id, requester.id))
        old_head, old_hash = change.head_sha, change.content_hash
        had_approvals = bool(self._store.approvals(change.id, old_hash))
        change = self._store.update(change.id, base_sha=main, head_sha=head,
                                    content_hash=replay.content_hash, diff=replay.diff,
                                    summary=replay.summary)
        self._forge.update(change, old_head)
        if replay.content_hash == old_hash or not had_approvals:
            return change, ""
        return change, (f"main moved since #{change.id} was opened and its diff changed; "
                        "earlier approvals no longer count")

    def merge(self, change: Change) -> Reply:
        for _attempt in range(MERGE_ATTEMPTS):
            change, note = self._rebase(change)
            if change.state != "open":
                return Reply(note, change_id=change.id, kind="rejected")
            approvals = self._store.approvals(change.id, change.content_hash)
            decision = self.decide(self._change_set(change), change.requester, approvals)
            if not decision.mergeable:
                return Reply(f"{note}\n#{change.id} needs approvals again: {self.progress(change)}"
                             .strip(), change_id=change.id, kind="approved")
            trailers = [f"Govbot-Change: {change.id}", f"Requested-by: {change.requester}",
                        *(f"Approved-by: {a.by}" for a in approvals)]
            message = "\n".join([f"Merge change #{change.id}: {change.summary}", "", *trailers, ""])
            try:
                merged = self._forge.merge(change, message, GOVBOT)
            except Conflict:
                log.info("main moved while merging #%s; replaying", change.id)
                continue
            self._store.close(change.id, "merged", merged_sha=merged)
            by = ", ".join(a.by for a in approvals)
            return Reply(f"#{change.id} approved by {by}, merged, {self._applied(merged)}",
                         change_id=change.id, kind="merged")
        raise TransientError(f"main kept moving while merging #{change.id}; "
                             f"/approve {change.id} again to retry")

    def _applied(self, merged: str) -> str:
        _rules, config = self._rules.at(merged)
        try:
            rolled = self._rollout.sync(merged, config)
        except Exception as error:
            log.exception("applying %s", merged[:12])
            return f"apply pending ({error}); govbot retries on its next start or merge."
        if rolled.failed:
            return "apply pending: " + "; ".join(rolled.failed)
        return "applied: " + "; ".join(rolled.lines) + "." if rolled.lines else "applied."

    def recover(self) -> list[Reply]:
        """Finish what a stop interrupted, so a restart neither loses nor repeats a change:
        a change whose branch was never written is forgotten (its command got no answer),
        one that reached main without being recorded is closed as merged, and a change
        whose branch went missing gets it back."""
        replies: list[Reply] = []
        main = self._repo.head(MAIN)
        branches = set(self._repo.branches("change/"))
        for change in self._store.changes("open"):
            if not change.head_sha:
                self._store.discard(change.id)
                log.warning("forgot #%s: govbot stopped while opening it", change.id)
            elif self._repo.is_ancestor(change.head_sha, main):
                self._forge.close(change)
                self._store.close(change.id, "merged", merged_sha=main)
                replies.append(Reply(f"#{change.id} was merged when govbot stopped; recorded "
                                     "as merged", change_id=change.id, kind="merged"))
            elif change.branch not in branches:
                self._forge.open(change)
                log.warning("restored the branch of #%s", change.id)
        return replies

    def sync(self, full: bool = False) -> list[Reply]:
        replies = self.recover()
        main = self._repo.head(MAIN)
        _rules, config = self._rules.at(main)
        rolled = self._rollout.sync(main, config, full)
        replies += [Reply(f"applied: {line}") for line in rolled.lines]
        replies += [Reply(f"apply pending: {line}", ok=False) for line in rolled.failed]
        return replies
