"""The runners: one small module per verb of the loop, each `run(ctx, …) → events`.

In the order a reader follows a change:

    opening.py     a policy intent or a rollback → edit → render check → guard → lock →
                   commit → pull request                                    ChangeOpened
    onboarding.py  a service without a document: onboarded from the cluster, or refused
    approving.py   /approve → replay if main moved → guard with the approval → record
                                                                 ApprovalRecorded | …
    merging.py     approvals suffice → replay → merge → apply       ChangeMerged, ApplyFailed
    rejecting.py   /reject → guard says who may → close                  ChangeRejected
    queries.py     /status, /policies, /changes, /help                          Answer
    freezes.py     /freeze: the change freezes of an environment, now and next  Answer
    meshes.py      /mesh: a namespace's data plane, or its switch as a change of
                   govbot.yaml                                 Answer | ChangeOpened
    audit.py       /events: the governance-event audit log                      Answer
    funnel.py      governance events from the sources → stored, grouped, routed
                                                                          EventsReported
    drift.py       /drift: the cluster against what main renders                Answer
    recovery.py    at start: finish what a stop interrupted, apply what main holds
    reminding.py   changes waiting for approval: reminded, then closed as stale
                                                       EventsReported, ChangeRejected
    reconciling.py main applied where the target lacks it; drift told once
    digest.py      the daily summary per channel                        EventsReported
    expiring.py    a time box that ended → govbot's revert, merged      EventsReported
    progressive.py the next step of a progressive canary, or its abort   EventsReported
    pausing.py     /canary <svc> pause|resume                          Answer, EventsReported

`Context` carries the ports they share; the composition root builds it. Runners return
events and never talk to chat.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import logs
from bot.apply import Live, NoLive
from bot.change import Change, ChangeSet
from bot.config import IdentityMatcher, RepoConfig
from bot.core.errors import TransientError
from bot.core.types import Approval, Decision, Person
from bot.forge import Forge
from bot.guard import Guard
from bot.guard.input import guard_input
from bot.repo.git import PolicyRepo
from bot.rollout import Rollout
from bot.rules import MainRules
from bot.runners import switches
from bot.runners.appchanges import facts as app_facts
from bot.runners.links import Links
from bot.runners.reviews import Tally, tally
from bot.sources import NoHistory, RequestHistory
from bot.store.sql import SqlStore

CLAIM_SECONDS = 60.0  # a lease outlives any one approval or merge; a dead holder's expires
CLAIM_WAIT = 30.0


@dataclass(frozen=True)
class Context:
    """The ports every runner may use, and the one clock. `live` reads what the cluster
    runs (nothing, with the directory target); `history` what traffic a service had."""

    repo: PolicyRepo
    store: SqlStore
    guard: Guard
    forge: Forge
    rollout: Rollout
    rules: MainRules
    clock: Callable[[], datetime]
    matchers: Mapping[str, IdentityMatcher] = field(default_factory=dict)
    live: Live = field(default_factory=NoLive)
    # the problems `govbot check` finds in the guardrails at a commit (the composition
    # root provides it; the runners cannot reach bot.check)
    check_commit: Callable[[str], list[str]] = field(default=lambda _commit: [])
    # a service's past request rate, for /whatif (nothing without a Prometheus)
    history: RequestHistory = field(default_factory=NoHistory)
    # how long governance events stay in the audit log (GOVBOT_EVENTS_RETENTION_DAYS)
    events_retention: timedelta = timedelta(days=30)
    # where the dashboard is and what signs its links (GOVBOT_PUBLIC_URL, bot.runners.links)
    links: Links = field(default_factory=Links)

    def main(self) -> str:
        """Where main is now: the forge's answer."""
        return self.forge.main()

    def config(self, commit: str) -> RepoConfig:
        return self.rules.at(commit)[1]

    def person(self, person_id: str) -> Person:
        """Someone by id in main's access.yaml (a bare id when they left it)."""
        found = self.config(self.main()).person_by_id(person_id)
        return found or Person(person_id, person_id, "", ())

    def approvals(self, change: Change) -> list[Approval]:
        """Approvals of the change's current content: chat's and the forge's, once each.

        A review on the forge counts only where `/approve` in chat would: one that would
        add a deny reason (the requester's own, someone who may not approve) is left
        out, never turned into a deny."""
        recorded = self.store.approvals(change.id, change.content_hash)
        seen = {a.by for a in recorded}
        given = [a for a in self.reviews(change).approvals if a.by not in seen]
        if not given:
            return recorded
        change_set = self.change_set(change)
        return recorded + counted(
            lambda approvals: self.decide(change_set, change.requester, approvals),
            recorded, given)

    def reviews(self, change: Change) -> Tally:
        """What the reviews on the forge say of the change's current head."""
        if self.forge.kind == "local" or change.state != "open" or not change.head_sha:
            return Tally()
        pull = self.forge.pull_of(change)
        if pull is None:
            return Tally()
        return tally(self.forge.reviews(pull.number), change.head_sha, change.content_hash,
                     self.config(self.main()), self.forge.kind)

    def decide(self, change_set: ChangeSet, requester: str, approvals: Sequence[Approval],
               reviewer: str = "") -> Decision:
        """The guard's decision with main's rules, now."""
        main = self.main()
        rules, config = self.rules.at(main)
        return self.guard.decide(rules, guard_input(
            change_set, self.person(requester), approvals, self.clock(), reviewer,
            app=app_facts(self.repo, main, config, change_set),
            mesh=switches.facts(self.repo, main, change_set.path, change_set.before_text,
                                change_set.after_text)))

    def change_set(self, change: Change) -> ChangeSet:
        """What the change does, read back from its commits."""
        return ChangeSet(change.env, change.namespace, change.service, change.path,
                         change.action, change.summary,
                         self.repo.read(change.base_sha, change.path),
                         self.repo.read(change.head_sha, change.path), change.intent)

    @contextlib.contextmanager
    def holding(self, change_id: int, wait: float = CLAIM_WAIT) -> Iterator[None]:
        """Work on one change at a time, across threads and replicas: a lease in the
        store, waited for up to `wait` seconds, then TransientError. What is logged
        meanwhile carries the change's id (bot/logs.py)."""
        with logs.about_change(change_id), \
                self.holding_key(f"change:{change_id}", f"#{change_id}", wait):
            yield

    @contextlib.contextmanager
    def holding_key(self, key: str, name: str, wait: float = CLAIM_WAIT) -> Iterator[None]:
        """`holding` for anything named by a key (a pull request written by hand)."""
        holder = _holder()
        deadline = time.monotonic() + wait
        while not self.store.claim(key, holder, CLAIM_SECONDS):
            if time.monotonic() > deadline:
                raise TransientError(f"{name} is busy with another request")
            time.sleep(0.02)
        try:
            yield
        finally:
            self.store.release(key, holder)


def counted(decide: Callable[[Sequence[Approval]], Decision], recorded: Sequence[Approval],
            given: Sequence[Approval]) -> list[Approval]:
    """Those of `given` that add no deny reason to what `recorded` alone decides."""
    before = set(decide(recorded).deny)
    return [a for a in given if set(decide([*recorded, a]).deny) <= before]


def _holder() -> str:
    return (f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:"
            f"{uuid.uuid4().hex[:8]}")
