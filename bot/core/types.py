"""Value types that cross port boundaries: Command, Person, Scope, Decision, Approval,
RuleSet, Author, ChangeView.

Everything here is a frozen dataclass with no I/O, so every layer may import it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

ChangeState = Literal["open", "merged", "rejected"]


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
class Decision:
    """The guard's verdict, as `data.govbot.decision` returns it."""

    allow: bool
    deny: tuple[str, ...] = ()
    warn: tuple[str, ...] = ()
    approvals_required: int = 0
    approvals_valid: int = 0
    approvers: tuple[str, ...] = ()
    may_reject: bool = False
    # the rules that let govbot's own change through without approval ([expiry.revert] …)
    automatic: tuple[str, ...] = ()

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
            may_reject=bool(value.get("may_reject", False)),
            automatic=tuple(sorted(str(a) for a in value.get("automatic", ()))),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "allow": self.allow,
            "deny": list(self.deny),
            "warn": list(self.warn),
            "approvals_required": self.approvals_required,
            "approvals_valid": self.approvals_valid,
            "approvers": list(self.approvers),
            "may_reject": self.may_reject,
            "automatic": list(self.automatic),
        }


@dataclass(frozen=True)
class Approval:
    """A person's approval of a change, bound to the change's content hash.

    `break_glass` is the reason of a break-glass approval (the requester's own, for a
    de-escalation the guardrails let through), empty otherwise."""

    by: str
    at: datetime
    content_hash: str
    break_glass: str = ""


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
