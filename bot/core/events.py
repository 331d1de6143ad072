"""Domain events: what the core tells the world happened, in the past tense.

Every runner returns a list of these instead of talking to chat; one delivery routine
(`bot.chat.deliver`) maps each to calls on a chat platform's surface, and later sources
(governance events, the scheduler) feed the same funnel. Each event about a change
carries the change's view as it stands after the event, so no adapter has to ask the
core again. `text` is what a person reads; `ok` is false for refusals and failures.

Example:
    >>> view = ChangeView(1, "canary svc-user 0% → 20%", "dev", "demo", "svc-user",
    ...                   "alice", "open", "", (), (), (), 1, ("sre",), "")
    >>> ChangeOpened(view, "change #1 opened").change_id
    1
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from bot.core.types import ChangeView


@dataclass(frozen=True)
class Answer:
    """A reply to the person who asked, about nothing that changed (queries, refusals).
    A `private` one (a personal link) is shown to that person only, where the platform
    can (an ephemeral message), never in a thread others read."""

    text: str
    ok: bool = True
    change_id: int | None = None
    private: bool = False


@dataclass(frozen=True)
class AboutChange:
    """What every event about one change carries: its view after the event, and text."""

    change: ChangeView
    text: str

    @property
    def change_id(self) -> int:
        return self.change.id


@dataclass(frozen=True)
class ChangeOpened(AboutChange):
    """A change was opened: its card goes to the channel where it was asked for."""

    ok: bool = True


@dataclass(frozen=True)
class ApprovalRecorded(AboutChange):
    """An approval was judged: recorded (and not yet enough), or not counted because the
    change's content moved under the approver (`ok` false)."""

    ok: bool = True


@dataclass(frozen=True)
class ChangeMerged(AboutChange):
    """A change reached main; `applied` says what the apply target now holds and
    `pending` what it could not apply yet (retried later)."""

    applied: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()
    ok: bool = True


@dataclass(frozen=True)
class ChangeRejected(AboutChange):
    """A change was closed without merging (rejected, or main already held it)."""

    ok: bool = True


@dataclass(frozen=True)
class ApplyFailed:
    """Main holds something the apply target could not take: permanently (an invalid
    document, reported once) or for now (retried). `change` is the merge it belongs to,
    when there is one."""

    text: str
    change: ChangeView | None = None
    permanent: bool = False
    ok: bool = False

    @property
    def change_id(self) -> int | None:
        return self.change.id if self.change is not None else None


@dataclass(frozen=True)
class GovernanceEvent:
    """Something the mesh did because of a policy, or an alert about a service: what the
    sources (Prometheus, Alertmanager, Kubernetes events) hand to the one funnel
    (stored → routed → grouped → posted).

    `kind` is one of KINDS; `count` how many times it happened in `window` seconds
    ending at `at`. `key` identifies what one message is about when it is not the
    service and kind (an alert's fingerprint); `resolved` marks an alert that ended.
    """

    kind: str                 # circuit_break | rate_limit | denied | timeout | retry | fault
    #                           | no_healthy_upstream | alert | kubernetes
    env: str
    namespace: str
    service: str
    at: datetime
    count: int = 1
    window: float = 0.0       # seconds
    code: int | None = None   # the HTTP response code, when there is one
    source_service: str = ""  # the caller
    source_namespace: str = ""
    severity: str = "warning"  # info | warning | critical
    title: str = ""           # a one-line summary from the source (an alert's summary)
    key: str = ""
    resolved: bool = False
    ok: bool = False

    def fitted(self) -> GovernanceEvent:
        """The event as the audit log can always keep it: names cut to what Kubernetes
        allows, one-line text, a response code only when it is an HTTP status, a count
        that fits a 32-bit column."""
        def name(value: object, limit: int) -> str:
            return " ".join(str(value or "").split())[:limit]

        code = self.code if isinstance(self.code, int) and 100 <= self.code <= 599 else None
        return replace(
            self, kind=name(self.kind, 32), env=name(self.env, 63),
            namespace=name(self.namespace, 63), service=name(self.service, 253),
            source_service=name(self.source_service, 253),
            source_namespace=name(self.source_namespace, 63),
            severity=name(self.severity, 16) or "warning", title=name(self.title, 1000),
            key=name(self.key, 255), code=code,
            count=max(0, min(int(self.count), 2**31 - 1)))

    @property
    def text(self) -> str:
        caller = (f" (caller {self.source_service}.{self.source_namespace})"
                  if self.source_service else "")
        code = f" {self.code}" if self.code is not None else ""
        return (self.title or f"{self.kind}{code} on {self.service} in {self.env}/"
                f"{self.namespace}: {self.count}×{caller}")


@dataclass(frozen=True)
class EventsReported:
    """A group of governance events told to one channel (`Workflow.ingest` returns
    these): the first one for a group posts a message, later ones update the message
    `key` names. `count` is the group's running count: a platform that cannot edit a
    message posts again only when it crosses a step, or when the group resolves."""

    platform: str
    channel: str
    key: str
    text: str
    count: int = 1
    severity: str = "warning"
    resolved: bool = False
    ok: bool = True


GOVERNANCE_KINDS = ("circuit_break", "rate_limit", "denied", "timeout", "retry", "fault",
                    "no_healthy_upstream", "alert", "kubernetes")

ChangeEvent = ChangeOpened | ApprovalRecorded | ChangeMerged | ChangeRejected
Event = (Answer | ChangeOpened | ApprovalRecorded | ChangeMerged | ChangeRejected | ApplyFailed
         | EventsReported)
