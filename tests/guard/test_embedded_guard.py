"""EmbeddedGuard on the template's guardrails and data: the decisions of issue #2."""

from __future__ import annotations

import sys
import threading
from dataclasses import replace
from typing import Any

import pytest

from bot.core.errors import ConfigError
from bot.core.types import Decision, RuleSet
from bot.guard import EmbeddedGuard, Measured, build
from bot.guard.embedded import INSTALL_HINT
from bot.guard.regotest import run_samples
from bot.resources import rego_dir

from .inputs import canary_input, denied, rule_ids


def test_prod_canary_jump_from_zero_to_90_is_denied(rules: RuleSet) -> None:
    decision = EmbeddedGuard().decide(rules, canary_input("prod", 0, 90))
    assert not decision.allow
    assert "release.max_step" in denied(decision)


def test_dev_canary_to_20_is_allowed_and_needs_one_approval(rules: RuleSet) -> None:
    decision = EmbeddedGuard().decide(rules, canary_input("dev", None, 20))
    assert decision.allow
    assert decision.deny == ()
    assert decision.approvals_required == 1
    assert decision.approvals_valid == 0
    assert not decision.mergeable
    assert set(decision.approvers) == {"bob", "carol", "dave"}


def test_self_approval_is_refused_and_not_counted(rules: RuleSet) -> None:
    decision = EmbeddedGuard().decide(rules, canary_input("dev", 0, 20, approvals=("alice",)))
    assert "review.self_approval" in denied(decision)
    assert decision.approvals_valid == 0
    assert not decision.mergeable


def test_an_approver_cannot_approve_their_own_change(rules: RuleSet) -> None:
    change = canary_input("dev", 0, 20, requester="bob", approvals=("bob",))
    decision = EmbeddedGuard().decide(rules, change)
    assert denied(decision) == {"review.self_approval"}
    assert decision.approvals_valid == 0
    assert "bob" not in decision.approvers


def test_approval_by_bob_in_dev_makes_it_mergeable(rules: RuleSet) -> None:
    decision = EmbeddedGuard().decide(rules, canary_input("dev", 0, 20, approvals=("bob",)))
    assert decision.allow
    assert decision.approvals_valid == 1
    assert decision.mergeable
    assert "bob" not in decision.approvers


def test_prod_needs_two_approvals_from_sre(rules: RuleSet) -> None:
    guard = EmbeddedGuard()
    one = guard.decide(rules, canary_input("prod", 0, 20, approvals=("bob",)))
    assert one.allow
    assert (one.approvals_required, one.approvals_valid) == (2, 1)
    assert one.approvers == ("sre",)
    assert not one.mergeable
    two = guard.decide(rules, canary_input("prod", 0, 20, approvals=("bob", "carol")))
    assert two.approvals_valid == 2
    assert two.mergeable


def test_same_person_approving_twice_counts_once(rules: RuleSet) -> None:
    decision = EmbeddedGuard().decide(rules, canary_input("prod", 0, 20, approvals=("bob", "bob")))
    assert decision.approvals_valid == 1


def test_alice_approving_someone_elses_change_is_not_an_approver(rules: RuleSet) -> None:
    change = canary_input("dev", 0, 20, requester="bob", approvals=("alice",))
    decision = EmbeddedGuard().decide(rules, change)
    assert denied(decision) == {"review.not_approver"}
    assert decision.approvals_valid == 0


def test_person_not_in_access_yaml_is_refused(rules: RuleSet) -> None:
    decision = EmbeddedGuard().decide(rules, canary_input("dev", 0, 20, requester="mallory"))
    assert not decision.allow
    assert "authorization.unknown_person" in denied(decision)


def test_rate_limit_warns_that_the_bucket_is_per_pod(rules: RuleSet) -> None:
    change: dict[str, Any] = dict(canary_input("dev", 0, 0))
    change["action"] = "ratelimit"
    change["after"] = {"spec": {"rateLimit": {"enabled": True, "requests": 500, "per": "5s"}}}
    decision = EmbeddedGuard().decide(rules, change)
    assert decision.allow
    assert rule_ids(decision.warn) == {"traffic.ratelimit_per_pod"}


def test_rules_and_limits_come_from_the_ruleset(rules: RuleSet) -> None:
    guard = EmbeddedGuard()
    assert not guard.decide(rules, canary_input("prod", 0, 90)).allow
    config = dict(rules.config)
    prod = dict(config["environments"]["prod"])
    prod["limits"] = {**prod["limits"], "canaryMaxStep": 100}
    config["environments"] = {**config["environments"], "prod": prod}
    raised = replace(rules, key="main-2", config=config)
    assert guard.decide(raised, canary_input("prod", 0, 90)).allow


def test_a_guardrail_removed_on_main_no_longer_denies(rules: RuleSet) -> None:
    modules = {p: s for p, s in rules.modules.items() if not p.startswith("rego/rules/release")}
    without_release = replace(rules, key="main-3", modules=modules)
    decision = EmbeddedGuard().decide(without_release, canary_input("prod", 0, 90))
    assert decision.allow


def test_engines_are_cached_per_key_and_evicted_oldest_first(rules: RuleSet) -> None:
    guard = EmbeddedGuard(cache_size=1)
    strict = canary_input("prod", 0, 90)
    assert not guard.decide(rules, strict).allow
    modules = {p: s for p, s in rules.modules.items() if not p.startswith("rego/rules/release")}
    lax = replace(rules, modules=modules)
    # Same key, same commit of main: the compiled engine is reused.
    assert not guard.decide(lax, strict).allow
    guard.decide(replace(rules, key="other"), strict)
    # The first key was evicted, so it compiles again from what the RuleSet holds now.
    assert guard.decide(lax, strict).allow


def test_decisions_from_many_threads_agree(rules: RuleSet) -> None:
    guard = EmbeddedGuard(cache_size=2)
    keys = [replace(rules, key=f"main-{n % 3}") for n in range(24)]
    results: list[Decision] = []
    lock = threading.Lock()

    def decide(ruleset: RuleSet) -> None:
        decision = guard.decide(ruleset, canary_input("prod", 0, 90))
        with lock:
            results.append(decision)

    threads = [threading.Thread(target=decide, args=(k,)) for k in keys]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == len(keys)
    assert all("release.max_step" in denied(d) for d in results)


def test_broken_module_raises_config_error_naming_it(rules: RuleSet) -> None:
    modules = {**rules.modules, "rego/rules/broken.rego": "package govbot.rules.broken\n\ndeny {"}
    with pytest.raises(ConfigError, match=r"broken\.rego"):
        EmbeddedGuard().decide(replace(rules, modules=modules), canary_input("dev", 0, 20))


def test_type_error_in_a_module_raises_config_error(rules: RuleSet) -> None:
    source = "package govbot.rules.typo\n\nimport rego.v1\n\ndeny contains count(1, 2) if true\n"
    modules = {**rules.modules, "rego/rules/typo.rego": source}
    with pytest.raises(ConfigError, match=r"typo\.rego"):
        EmbeddedGuard().decide(replace(rules, modules=modules), canary_input("dev", 0, 20))


def test_missing_decision_raises_config_error(rules: RuleSet) -> None:
    modules = {p: s for p, s in rules.modules.items() if p != "rego/govbot.rego"}
    with pytest.raises(ConfigError, match="undefined"):
        EmbeddedGuard().decide(replace(rules, modules=modules), canary_input("dev", 0, 20))


def test_ruleset_without_modules_raises_config_error(rules: RuleSet) -> None:
    with pytest.raises(ConfigError, match="no Rego module"):
        EmbeddedGuard().decide(replace(rules, modules={}), canary_input("dev", 0, 20))


def test_broken_test_module_does_not_affect_decisions(rules: RuleSet) -> None:
    modules = {**rules.modules, "rego/rules/release_extra_test.rego": "package x\n\ntest_y {"}
    decision = EmbeddedGuard().decide(replace(rules, modules=modules), canary_input("dev", 0, 20))
    assert decision.allow


def test_missing_engine_raises_config_error_with_install_hint(
    rules: RuleSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opa_bindings", None)
    with pytest.raises(ConfigError) as raised:
        EmbeddedGuard().decide(rules, canary_input("dev", 0, 20))
    assert INSTALL_HINT in str(raised.value)


def test_samples_all_pass_on_the_template_data(rules: RuleSet) -> None:
    data = {"govbot": {"config": rules.config, "access": rules.access}}
    results = run_samples(rules.modules, data, rego_dir() / "samples")
    assert len(results) == len(list((rego_dir() / "samples").glob("*.json")))
    assert results
    failed = [f"{r.name}: {r.error}" for r in results if not r.passed]
    assert not failed


def test_build_embedded_returns_the_embedded_guard_measured() -> None:
    guard = build("embedded")
    assert isinstance(guard, Measured) and isinstance(guard.engine, EmbeddedGuard)


@pytest.mark.parametrize("kind", ["remote", "OPA", ""])
def test_build_other_kinds_fail_instead_of_falling_back(kind: str) -> None:
    with pytest.raises(ConfigError, match="guard kind"):
        build(kind, "http://127.0.0.1:8181")
