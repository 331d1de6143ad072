"""Whatever shape the input takes, the guardrails answer with a decision, never a crash,
and only a person of access.yaml is ever allowed."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.types import RuleSet
from bot.guard import EmbeddedGuard

from .inputs import rego_modules, rule_ids, template_yaml

RULES = RuleSet(
    key="hostile",
    modules=rego_modules(),
    config=template_yaml("govbot.yaml"),
    access=template_yaml("access.yaml"),
)
GUARD = EmbeddedGuard()

WORDS = [
    "alice",
    "bob",
    "mallory",
    "dev",
    "prod",
    "demo",
    "5s",
    "10ms",
    "rego/x.rego",
    "v1",
    "v2",
    "99999999999h",
    "2026-11-27T10:30:00Z",
    "2026-02-30T10:00:00Z",
    "3026-01-01T00:00:00Z",
]
FIELDS = [
    "spec",
    "release",
    "canaryWeight",
    "rateLimit",
    "enabled",
    "requests",
    "per",
    "by",
    "fault",
    "abort",
    "percent",
    "expires",
    "timeout",
    "retries",
    "attempts",
    "perTryTimeout",
    "circuitBreaker",
    "maxEjectionPercent",
    "allowFrom",
    "callers",
    "exposed",
    "autoscale",
    "min",
    "max",
    "versions",
    "active",
    "routes",
    "to",
    "now",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**7), 10**7),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(WORDS),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(FIELDS), inner, max_size=4),
    ),
    max_leaves=12,
)
KEYS = [
    "action",
    "actor",
    "env",
    "namespace",
    "target",
    "path",
    "before",
    "after",
    "approvals",
    "now",
]
ACTORS = st.one_of(VALUES, st.fixed_dictionaries({"id": st.one_of(st.sampled_from(WORDS), VALUES)}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(fields=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=9), actor=ACTORS)
def test_any_input_gets_a_decision_and_strangers_are_never_allowed(
    fields: dict[str, Any], actor: Any
) -> None:
    change = {**fields, "actor": actor}
    decision = GUARD.decide(RULES, change)
    rule_ids(decision.deny)  # every message carries a rule id
    rule_ids(decision.warn)
    person = actor.get("id") if isinstance(actor, dict) else None
    if decision.allow:
        assert person in RULES.access["people"]
    else:
        assert decision.deny
