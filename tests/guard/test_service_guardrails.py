"""EmbeddedGuard on the template's guardrails and govbot.yaml: the decisions of issue #3
(faults, timeouts and retries, circuit breaking, whitelist, autoscaling, versions) and
rollbacks judged by their documents like any other change."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from bot.core.types import RuleSet
from bot.guard import EmbeddedGuard

from .inputs import change_input, denied, rule_ids, service

GUARD = EmbeddedGuard()
GATEWAY = "istio-system/istio-ingressgateway"
ABORT = {"httpStatus": 503, "percent": 10}


def _with_limit(rules: RuleSet, env: str, **limits: Any) -> RuleSet:
    """`rules` with environments.<env>.limits raised or lowered, as a new commit of main."""
    config = dict(rules.config)
    environment = dict(config["environments"][env])
    environment["limits"] = {**environment["limits"], **limits}
    config["environments"] = {**config["environments"], env: environment}
    return replace(rules, key=f"{rules.key}-{env}-{sorted(limits)}", config=config)


def test_prod_fault_without_for_is_denied(rules: RuleSet) -> None:
    after = service("prod", fault={"enabled": True, "abort": ABORT})
    decision = GUARD.decide(rules, change_input("fault", "prod", service("prod"), after))
    assert not decision.allow
    assert denied(decision) == {"faults.prod_timebox"}


def test_prod_fault_for_30m_is_allowed_and_merges_with_two_sre_approvals(rules: RuleSet) -> None:
    after = service(
        "prod", fault={"enabled": True, "abort": ABORT, "expires": "2026-11-27T10:30:00Z"}
    )
    opened = GUARD.decide(rules, change_input("fault", "prod", service("prod"), after))
    assert opened.allow
    assert not opened.mergeable
    approved = change_input("fault", "prod", service("prod"), after, approvals=("bob", "carol"))
    decision = GUARD.decide(rules, approved)
    assert decision.allow
    assert (decision.approvals_required, decision.approvals_valid) == (2, 2)
    assert decision.mergeable


def test_prod_fault_beyond_an_hour_is_denied_but_dev_needs_no_time_box(rules: RuleSet) -> None:
    long = {"enabled": True, "abort": ABORT, "expires": "2026-11-27T11:30:00Z"}
    prod = change_input("fault", "prod", service("prod"), service("prod", fault=long))
    assert denied(GUARD.decide(rules, prod)) == {"faults.prod_timebox"}
    untimed = service("dev", fault={"enabled": True, "abort": ABORT})
    assert GUARD.decide(rules, change_input("fault", "dev", service("dev"), untimed)).allow


def test_prod_abort_above_half_is_denied(rules: RuleSet) -> None:
    fault = {
        "enabled": True,
        "abort": {"httpStatus": 503, "percent": 60},
        "expires": "2026-11-27T10:10:00Z",
    }
    change = change_input("fault", "prod", service("prod"), service("prod", fault=fault))
    assert denied(GUARD.decide(rules, change)) == {"faults.abort_percent"}


def test_turning_an_untimed_fault_off_is_allowed(rules: RuleSet) -> None:
    on = service("prod", fault={"enabled": True, "abort": {"httpStatus": 503, "percent": 90}})
    off = service("prod", fault={"enabled": False, "abort": {"httpStatus": 503, "percent": 90}})
    assert GUARD.decide(rules, change_input("fault", "prod", on, off)).allow


def test_timeout_with_retries_over_budget_is_denied_in_prod(rules: RuleSet) -> None:
    after = service("prod", timeout="3s", retries={"attempts": 5, "perTryTimeout": "1s"})
    decision = GUARD.decide(rules, change_input("timeout", "prod", service("prod"), after))
    assert not decision.allow
    assert denied(decision) == {"resilience.retry_budget"}
    assert any(m.startswith("[resilience.retry_budget] svc-user") for m in decision.deny)


def test_timeout_with_retries_over_budget_only_warns_in_dev(rules: RuleSet) -> None:
    after = service("dev", timeout="3s", retries={"attempts": 5, "perTryTimeout": "1s"})
    decision = GUARD.decide(rules, change_input("timeout", "dev", service("dev"), after))
    assert decision.allow
    assert rule_ids(decision.warn) == {"resilience.retry_budget"}


@pytest.mark.parametrize(
    ("timeout", "retries", "rule"),
    [
        ("90s", None, "resilience.timeout_range"),
        ("soon", None, "resilience.timeout_range"),
        ("30s", {"attempts": 6, "perTryTimeout": "1s"}, "resilience.retries_max"),
    ],
)
def test_timeouts_and_retries_out_of_range_are_denied(
    rules: RuleSet, timeout: str, retries: dict[str, Any] | None, rule: str
) -> None:
    spec: dict[str, Any] = {"timeout": timeout}
    if retries is not None:
        spec["retries"] = retries
    change = change_input("timeout", "dev", service("dev"), service("dev", **spec))
    assert rule in denied(GUARD.decide(rules, change))


def test_prod_circuit_breaker_ejecting_more_than_half_is_denied(rules: RuleSet) -> None:
    breaker = {
        "enabled": True,
        "consecutive5xxErrors": 5,
        "interval": "30s",
        "baseEjectionTime": "30s",
        "maxEjectionPercent": 80,
    }
    prod = change_input(
        "circuitbreak", "prod", service("prod"), service("prod", circuitBreaker=breaker)
    )
    assert denied(GUARD.decide(rules, prod)) == {"resilience.max_ejection"}
    dev = change_input(
        "circuitbreak", "dev", service("dev"), service("dev", circuitBreaker=breaker)
    )
    assert GUARD.decide(rules, dev).allow


def test_whitelist_never_empties_while_on(rules: RuleSet) -> None:
    before = service(allowFrom={"enabled": True, "callers": ["svc-index"]})
    after = service(allowFrom={"enabled": True, "callers": []})
    assert denied(GUARD.decide(rules, change_input("whitelist", "dev", before, after))) == {
        "access.whitelist_empty"
    }
    off = service(allowFrom={"enabled": False, "callers": []})
    assert GUARD.decide(rules, change_input("whitelist", "dev", before, off)).allow


def test_exposed_service_keeps_the_ingress_gateway(rules: RuleSet) -> None:
    before = service(exposed=True, allowFrom={"enabled": True, "callers": ["svc-index", GATEWAY]})
    after = service(exposed=True, allowFrom={"enabled": True, "callers": ["svc-index"]})
    decision = GUARD.decide(rules, change_input("whitelist", "dev", before, after))
    assert denied(decision) == {"access.ingress_removed"}
    assert any(GATEWAY in m for m in decision.deny)
    internal = service(exposed=False, allowFrom={"enabled": True, "callers": ["svc-index"]})
    assert GUARD.decide(rules, change_input("whitelist", "dev", before, internal)).allow


def test_the_ingress_gateway_caller_comes_from_govbot_yaml(rules: RuleSet) -> None:
    config = {**rules.config, "ingressGateway": {"caller": "gateway/edge"}}
    moved = replace(rules, key="main-edge", config=config)
    after = service(exposed=True, allowFrom={"enabled": True, "callers": ["gateway/edge"]})
    change = change_input("whitelist", "dev", service(), after)
    assert GUARD.decide(moved, change).allow
    assert denied(GUARD.decide(rules, change)) == {"access.ingress_removed"}


def test_autoscale_stays_within_the_namespace_limit(rules: RuleSet) -> None:
    def scale(low: int, high: int) -> dict[str, Any]:
        autoscale = {"enabled": True, "min": low, "max": high, "cpuPercent": 70}
        return change_input("scale", "dev", service(), service(autoscale=autoscale))

    assert GUARD.decide(rules, scale(2, 20)).allow
    assert denied(GUARD.decide(rules, scale(2, 21))) == {"scale.bounds"}
    assert denied(GUARD.decide(rules, scale(8, 4))) == {"scale.bounds"}


def test_blue_green_and_routes_go_only_to_declared_versions(rules: RuleSet) -> None:
    blue_green = service(release={"strategy": "blueGreen", "active": "v3"})
    assert denied(GUARD.decide(rules, change_input("bluegreen", "dev", service(), blue_green))) == {
        "release.unknown_version"
    }
    route = service(routes=[{"match": {"headers": {"user": {"exact": "w_shenyu"}}}, "to": "v2"}])
    assert GUARD.decide(rules, change_input("route", "dev", service(), route)).allow


def test_a_tighter_limit_does_not_block_unrelated_commands(rules: RuleSet) -> None:
    old = service(
        "prod",
        timeout="30s",
        autoscale={"enabled": True, "min": 2, "max": 20},
        release={"strategy": "canary", "canaryWeight": 0},
    )
    new = service(
        "prod",
        timeout="30s",
        autoscale={"enabled": True, "min": 2, "max": 20},
        release={"strategy": "canary", "canaryWeight": 10},
    )
    strict = _with_limit(rules, "prod", timeoutMax="10s")
    assert GUARD.decide(strict, change_input("canary", "prod", old, new)).allow
    retimed = service(
        "prod",
        timeout="20s",
        autoscale={"enabled": True, "min": 2, "max": 20},
        release={"strategy": "canary", "canaryWeight": 0},
    )
    decision = GUARD.decide(strict, change_input("timeout", "prod", old, retimed))
    assert denied(decision) == {"resilience.timeout_range"}


ROLLBACKS = [
    (
        service("prod"),
        service("prod", fault={"enabled": True, "abort": ABORT}),
        "faults.prod_timebox",
    ),
    (
        service("prod"),
        service("prod", timeout="3s", retries={"attempts": 5, "perTryTimeout": "1s"}),
        "resilience.retry_budget",
    ),
    (
        service("prod", allowFrom={"enabled": False, "callers": []}),
        service("prod", allowFrom={"enabled": True, "callers": []}),
        "access.whitelist_empty",
    ),
    (
        service("prod"),
        service("prod", autoscale={"enabled": True, "min": 2, "max": 40}),
        "scale.bounds",
    ),
    (
        service("prod", release={"strategy": "blueGreen", "active": "v1"}),
        service("prod", release={"strategy": "blueGreen", "active": "v0"}),
        "release.unknown_version",
    ),
]


@pytest.mark.parametrize(("before", "after", "rule"), ROLLBACKS)
def test_a_rollback_passes_the_same_gates_as_a_forward_change(
    rules: RuleSet, before: dict[str, Any], after: dict[str, Any], rule: str
) -> None:
    rollback = GUARD.decide(rules, change_input("rollback", "prod", before, after))
    forward = GUARD.decide(rules, change_input("edit", "prod", before, after))
    assert rule in denied(rollback)
    assert denied(rollback) == denied(forward)
    # Rolling back the other way (removing the setting) is allowed.
    assert GUARD.decide(rules, change_input("rollback", "prod", after, before)).allow
