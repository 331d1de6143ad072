"""Value types that cross port boundaries: Command, Reply, Person, ChangeSet, Decision,
Approval, Change.

Everything here is a frozen dataclass with no I/O, so every layer may import it.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ChangeState = Literal["open", "merged", "rejected"]
ReplyKind = Literal["info", "error", "opened", "approved", "merged", "rejected"]


@dataclass(frozen=True)
class Command:
    """A line of chat text with who typed it and where.

    `user` is the platform's stable id of the person (console name, Slack user id, DingTalk
    staff id), never a display name. `event_id` is the platform's delivery id, used to
    drop retried deliveries.
    """

    platform: str
    user: str
    channel: str
    text: str
    team: str = ""
    event_id: str | None = None


@dataclass(frozen=True)
class Reply:
    """What govbot answers; `ok` is false for refusals and errors.

    `kind` tells a chat adapter what happened to change `change_id`: `opened` (post the
    change's message and approval card), `approved` / `merged` / `rejected` (update them).
    """

    text: str
    ok: bool = True
    change_id: int | None = None
    kind: ReplyKind = "info"


@dataclass(frozen=True)
class Person:
    """Someone in access.yaml, resolved from a platform identity."""

    id: str
    name: str
    email: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """Where a command lands: an environment and a namespace."""

    env: str
    namespace: str

    def __str__(self) -> str:
        return f"{self.env}/{self.namespace}"


@dataclass(frozen=True)
class ChangeSet:
    """One policy document before and after an intent was applied to it.

    `before_text` is None when the document is created by the change; `after_text` is None
    when the change deletes it. `intent` is the intent as plain data, kept so that the
    change can be replayed on a newer main.
    """

    env: str
    namespace: str
    service: str
    path: str
    action: str
    summary: str
    before_text: str | None
    after_text: str | None
    intent: Mapping[str, Any] = field(default_factory=dict)

    @property
    def diff(self) -> str:
        before = (self.before_text or "").splitlines(keepends=True)
        after = (self.after_text or "").splitlines(keepends=True)
        old = f"a/{self.path}" if self.before_text is not None else "/dev/null"
        new = f"b/{self.path}" if self.after_text is not None else "/dev/null"
        return "".join(difflib.unified_diff(before, after, old, new))

    @property
    def content_hash(self) -> str:
        """What an approval is bound to: the document diff, not the commit."""
        return hashlib.sha256(f"{self.path}\n{self.diff}".encode()).hexdigest()

    @property
    def empty(self) -> bool:
        return self.before_text == self.after_text


@dataclass(frozen=True)
class Decision:
    """The guard's verdict, as `data.govbot.decision` returns it."""

    allow: bool
    deny: tuple[str, ...] = ()
    warn: tuple[str, ...] = ()
    approvals_required: int = 0
    approvals_valid: int = 0
    approvers: tuple[str, ...] = ()

    @property
    def mergeable(self) -> bool:
        return self.allow and self.approvals_valid >= self.approvals_required

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Decision:
        return cls(
            allow=bool(value.get("allow", False)),
            deny=tuple(sorted(str(m) for m in value.get("deny", ()))),
            warn=tuple(sorted(str(m) for m in value.get("warn", ()))),
            approvals_required=int(value.get("approvals_required", 0)),
            approvals_valid=int(value.get("approvals_valid", 0)),
            approvers=tuple(sorted(str(a) for a in value.get("approvers", ()))),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "allow": self.allow,
            "deny": list(self.deny),
            "warn": list(self.warn),
            "approvals_required": self.approvals_required,
            "approvals_valid": self.approvals_valid,
            "approvers": list(self.approvers),
        }


@dataclass(frozen=True)
class Approval:
    """A person's approval of a change, bound to the change's content hash."""

    by: str
    at: datetime
    content_hash: str


@dataclass(frozen=True)
class Change:
    """A change request (pull request) as the store keeps it."""

    id: int
    env: str
    namespace: str
    service: str
    path: str
    action: str
    summary: str
    requester: str
    state: ChangeState
    branch: str
    base_sha: str
    head_sha: str
    content_hash: str
    diff: str
    intent: Mapping[str, Any]
    verdict: Mapping[str, Any]
    created_at: datetime
    updated_at: datetime
    merged_sha: str = ""
    reason: str = ""
    url: str = ""


@dataclass(frozen=True)
class RuleSet:
    """The guardrails of one commit of main: Rego modules and the data they read.

    `key` changes whenever a module or the data changes (built from git object ids), so a
    guard may cache a compiled engine per key. `modules` maps a path such as
    `rego/rules/release.rego` to its source; `*_test.rego` files are included (the guard
    skips them when deciding, the test runner needs them).
    """

    key: str
    modules: Mapping[str, str]
    config: Mapping[str, Any]
    access: Mapping[str, Any]


@dataclass(frozen=True)
class Author:
    """A git identity: commits are authored as the requester."""

    name: str
    email: str


@dataclass(frozen=True)
class ChangeDraft:
    """What the workflow knows of a change before the store gives it an id."""

    env: str
    namespace: str
    service: str
    path: str
    action: str
    summary: str
    requester: str
    base_sha: str
    content_hash: str
    diff: str
    intent: Mapping[str, Any]
    verdict: Mapping[str, Any]


@dataclass(frozen=True)
class ChangeView:
    """A change as chat adapters show it: the approval card's content."""

    id: int
    summary: str
    env: str
    namespace: str
    service: str
    requester: str
    state: ChangeState
    diff: str
    deny: tuple[str, ...]
    warn: tuple[str, ...]
    approved_by: tuple[str, ...]
    approvals_required: int
    approvers: tuple[str, ...]
    url: str
    reason: str = ""

    @property
    def approvals_missing(self) -> int:
        return max(0, self.approvals_required - len(self.approved_by))
