"""The guard port: judges a change with the guardrails (Rego) of main.

The runners build the input (`bot.guard.input`: action, actor, env, namespace, target,
path, before, after, approvals, reviewer, now) and ask `decide` with the RuleSet of
main's newest commit, so a branch can never weaken its own gate. `build` is the factory the
composition root calls; what it returns counts every decision and its time
(`govbot_guard_decisions_total`, `govbot_guard_seconds`, bot/metrics.py).

Example:
    guard = build("embedded")
    decision = guard.decide(rules, {"action": "canary", "actor": {"id": "alice"}, ...})
    if not decision.allow:
        raise Denied(decision.deny)
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from bot import metrics
from bot.core.errors import ConfigError
from bot.core.types import Decision, RuleSet
from bot.guard.embedded import EmbeddedGuard, opa

__all__ = ["EmbeddedGuard", "Guard", "Measured", "build"]


class Guard(Protocol):
    """Evaluates `data.govbot.decision` of a RuleSet for one change."""

    def decide(self, rules: RuleSet, input: Mapping[str, Any]) -> Decision: ...


class Measured:
    """A guard whose decisions are counted and timed; an evaluation that raises is
    counted apart and raised on."""

    def __init__(self, engine: Guard) -> None:
        self.engine = engine

    def decide(self, rules: RuleSet, input: Mapping[str, Any]) -> Decision:
        started = time.perf_counter()
        try:
            decision = self.engine.decide(rules, input)
        except Exception:
            metrics.GUARD_ERRORS.inc()
            raise
        metrics.decided(decision.allow, time.perf_counter() - started)
        return decision


def build(kind: str, opa_url: str = "", opa_token: str = "") -> Guard:
    """The guard named by the GOVBOT_GUARD setting, measured; an unknown kind fails at
    start-up, and so does a missing OPA engine or client."""
    match kind:
        case "embedded":
            opa()  # fail at start-up, with the install hint, when the engine is missing
            return Measured(EmbeddedGuard())
        case "opa":
            from bot.guard.server import OpaServerGuard

            if not opa_url:
                raise ConfigError("GOVBOT_GUARD=opa needs GOVBOT_OPA_URL, e.g. http://opa:8181")
            return Measured(OpaServerGuard(opa_url, opa_token))
    raise ConfigError(f"unknown guard kind {kind!r}; expected 'embedded' or 'opa'")
