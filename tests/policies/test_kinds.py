"""The registry of policy kinds: one entry per policy intent, and every place that lists
kinds reads it (commands, checks, rendering, status, controller ownership)."""

from __future__ import annotations

import commands
from policies import kinds, status
from policies.document import new_document, plain
from policies.intents import POLICY_INTENTS


def test_every_policy_intent_has_exactly_one_kind() -> None:
    assert {kind.intent for kind in kinds.KINDS} == set(POLICY_INTENTS)
    assert len(kinds.KINDS) == len(POLICY_INTENTS)


def test_each_kind_has_a_command_with_its_usage_line() -> None:
    for kind in kinds.KINDS:
        spec = commands.lookup(kind.action)
        if kind.automatic:  # only govbot opens it
            assert spec is None, kind.action
            continue
        assert spec is not None and spec.mutating, kind.action
        assert spec.usage == kind.usage


def test_every_section_a_kind_owns_is_a_known_spec_field() -> None:
    owned = [key for kind in kinds.KINDS for key in kind.sections]
    assert set(owned) <= set(kinds.SPEC_FIELDS)
    assert not set(owned) & set(kinds.SERVICE_FIELDS)


def test_objects_render_in_apply_order_each_once() -> None:
    # the version Services (ambient) and the DestinationRule before the HTTPRoute and the
    # VirtualService that use them; the whitelist's second policy is ztunnel's (ambient)
    assert [r.section for r in kinds.renderers()] == [
        "versions", "versions", "versions", "release", "release", "rateLimit", "allowFrom",
        "allowFrom", "autoscale"]


def test_status_shows_one_line_per_policy_and_blue_green_shares_the_release_line() -> None:
    data = plain(new_document("prod", "demo", "svc-user"))
    lines = status.status(data).splitlines()
    policy_lines = lines[2:]  # after the title and the versions
    shown = {kind.status for kind in kinds.KINDS if kind.status is not None}
    # the exposure's line shows only for a service that is exposed
    assert len(policy_lines) == len(shown) - 1 == 8
    data["spec"]["exposed"] = {"hosts": ["user.example.com"], "gateway": "istio-system/public"}
    lines = status.status(data).splitlines()
    assert lines[2:] == [*policy_lines, "exposed: user.example.com via istio-system/public"]


def test_controllers_own_what_they_rewrite() -> None:
    flagger = {kind.action for kind in kinds.KINDS if "flagger" in kind.owned_by}
    argo = {kind.action for kind in kinds.KINDS if "argo-rollouts" in kind.owned_by}
    # a template sets circuit breakers, faults and timeouts too
    # Flagger's Canary names the gateways and hosts of the VirtualService it writes
    assert flagger == {"canary", "bluegreen", "route", "fault", "timeout", "circuitbreak",
                       "template", "expose", "unexpose"}
    assert argo == {"canary", "bluegreen"}
