"""The guard port: judges a change with the guardrails (Rego) of main.

The workflow builds the input of DESIGN.md (action, actor, env, namespace, target, path,
before, after, approvals, now) and asks `decide` with the RuleSet of main's newest
commit, so a branch can never weaken its own gate. `build` is the factory the
composition root calls.

Example:
    guard = build("embedded")
    decision = guard.decide(rules, {"action": "canary", "actor": {"id": "alice"}, ...})
    if not decision.allow:
        raise Denied(decision.deny)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from bot.core.errors import ConfigError
from bot.core.types import Decision, RuleSet
from bot.guard.embedded import EmbeddedGuard

__all__ = ["EmbeddedGuard", "Guard", "build"]


class Guard(Protocol):
    """Evaluates `data.govbot.decision` of a RuleSet for one change."""

    def decide(self, rules: RuleSet, input: Mapping[str, Any]) -> Decision: ...


def build(kind: str, opa_url: str = "") -> Guard:
    """The guard named by the GOVBOT_GUARD setting; an unknown kind fails at start-up."""
    match kind:
        case "embedded":
            return EmbeddedGuard()
        case "opa":
            raise ConfigError(
                f"guard kind 'opa' (OPA server at {opa_url or 'GOVBOT_OPA_URL'}) is not "
                "available in this version; use GOVBOT_GUARD=embedded"
            )
    raise ConfigError(f"unknown guard kind {kind!r}; expected 'embedded'")
