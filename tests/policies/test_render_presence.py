"""Which routing objects a document renders: a new document routes nothing, a
VirtualService only when the document routes, a DestinationRule with it or with a
circuit breaker, and the plan's order when they appear or go away."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from policies import document, plan, render
from policies.edit import apply
from policies.intents import Canary, CircuitBreak, Fault, RateLimit, Timeout, resolve
from tests.policies.objects import stopped, unknown_subsets
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"
HOST = "svc-user.demo.svc.cluster.local"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
BREAKER = {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
           "baseEjectionTime": "30s"}


def new(**spec: Any) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"].update(spec)
    return data


def kinds(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["kind"] for obj in objects]


def by_kind(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    objects = render.render(data, PATH, render.RenderContext(now=NOW))
    for obj in objects:
        assert validate_object(obj) == [], obj
    return {obj["kind"]: obj for obj in objects}




def test_a_new_document_renders_nothing() -> None:
    assert render.render(new(), PATH) == []
    assert plan.plan(None, new(), PATH) == []


def test_a_rate_limit_on_a_new_service_does_not_route_by_version() -> None:
    text = apply(RateLimit("svc-user", "set", 5, "1s"), None, "prod", "demo").after_text
    assert text is not None
    assert kinds(render.render(document.plain(text), PATH)) == ["EnvoyFilter"]


def test_a_circuit_breaker_alone_renders_only_its_destination_rule() -> None:
    objects = by_kind(new(circuitBreaker=BREAKER))
    assert list(objects) == ["DestinationRule"]
    rule = objects["DestinationRule"]
    assert [s["name"] for s in rule["spec"]["subsets"]] == ["v1", "v2"]
    assert rule["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5
    assert by_kind(new(circuitBreaker={**BREAKER, "enabled": False})) == {}


@pytest.mark.parametrize("spec", [
    {"timeout": "3s"},
    {"retries": {"attempts": 2}},
    {"fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}}},
])
def test_routing_without_a_release_goes_to_every_pod(spec: dict[str, Any]) -> None:
    objects = by_kind(new(**spec))
    assert set(objects) == {"DestinationRule", "VirtualService"}
    vs = objects["VirtualService"]
    assert vs["spec"]["http"][-1]["route"] == [{"destination": {"host": HOST}}]
    assert unknown_subsets(vs, objects["DestinationRule"]) == []
    assert render.describe(list(objects.values())).startswith(
        "VirtualService svc-user (all pods")


def test_routes_without_a_release_send_the_rest_to_the_stable_version() -> None:
    objects = by_kind(new(routes=[{"match": {"headers": {"user": {"exact": "a"}}}, "to": "v2"}]))
    vs = objects["VirtualService"]
    assert vs["spec"]["http"][0]["route"] == [{"destination": {"host": HOST, "subset": "v2"}}]
    # unmatched requests must not reach v2 pods: the default goes to the stable subset
    assert vs["spec"]["http"][-1]["route"] == [{"destination": {"host": HOST, "subset": "v1"}}]
    assert unknown_subsets(vs, objects["DestinationRule"]) == []


def test_a_fault_that_is_off_or_expired_does_not_make_a_virtual_service() -> None:
    fault = {"enabled": True, "abort": {"httpStatus": 503, "percent": 10},
             "expires": "2026-11-27T09:00:00Z"}
    assert by_kind(new(fault=fault)) == {}
    assert by_kind(new(fault={**fault, "expires": "2026-11-27T11:00:00Z", "enabled": False})) == {}
    assert "VirtualService" in by_kind(new(fault={**fault, "expires": "2026-11-27T11:00:00Z"}))


def test_a_release_renders_the_weights() -> None:
    objects = by_kind(new(release={"strategy": "canary", "canaryWeight": 0}))
    route = objects["VirtualService"]["spec"]["http"][-1]["route"]
    assert [(d["destination"]["subset"], d["weight"]) for d in route] == [("v1", 100), ("v2", 0)]


def test_controllers_decide_for_themselves() -> None:
    assert by_kind(new(managedBy="flagger", timeout="3s", circuitBreaker=BREAKER)) == {}
    # an Argo Rollout steers the weights of a VirtualService that must exist
    argo = by_kind(new(managedBy="argo-rollouts"))
    route = argo["VirtualService"]["spec"]["http"][-1]["route"]
    assert {d["destination"]["subset"]: d["weight"] for d in route} == {"v1": 100, "v2": 0}


def test_the_first_canary_brings_its_subsets_before_the_routes() -> None:
    limited = apply(RateLimit("svc-user", "set", 5, "1s"), None, "prod", "demo").after_text
    canary = apply(Canary("svc-user", "set", 10), limited, "prod", "demo").after_text
    assert limited is not None and canary is not None
    objects = plan.plan(document.plain(limited), document.plain(canary), PATH)
    assert kinds(objects) == ["DestinationRule", "VirtualService", "EnvoyFilter"]


def test_routes_added_to_a_circuit_breaker_keep_the_render_order() -> None:
    before = new(circuitBreaker=BREAKER)
    after = new(circuitBreaker=BREAKER, timeout="3s")
    assert kinds(plan.plan(before, after, PATH)) == ["DestinationRule", "VirtualService"]
    assert stopped(before, after, PATH) == set()


def test_a_virtual_service_that_goes_away_leaves_the_rule_of_the_document() -> None:
    before = new(circuitBreaker=BREAKER, release={"strategy": "canary", "canaryWeight": 30})
    after = new(circuitBreaker=BREAKER)
    after["spec"]["versions"] = {"stable": "v1"}
    (rule,) = plan.plan(before, after, PATH)
    # the target prunes the VirtualService with this apply; the rule is the document's
    assert [s["name"] for s in rule["spec"]["subsets"]] == ["v1"]
    assert stopped(before, after, PATH) == {("VirtualService", "svc-user")}
    assert plan.plan(before, after, PATH) == plan.plan(after, after, PATH)


def test_turning_off_the_last_routing_removes_both_objects() -> None:
    timed = apply(Timeout("svc-user", "set", "3s"), None, "prod", "demo").after_text
    off = apply(Timeout("svc-user", "off"), timed, "prod", "demo").after_text
    assert timed is not None and off is not None
    assert plan.plan(document.plain(timed), document.plain(off), PATH) == []
    assert stopped(document.plain(timed), document.plain(off), PATH) == {
        ("VirtualService", "svc-user"), ("DestinationRule", "svc-user")}


def test_a_breaker_turned_off_without_routing_removes_its_destination_rule() -> None:
    on = apply(CircuitBreak("svc-user", "set", 5, "30s", "30s"), None, "prod", "demo").after_text
    off = apply(CircuitBreak("svc-user", "off"), on, "prod", "demo").after_text
    assert on is not None and off is not None
    assert stopped(document.plain(on), document.plain(off), PATH) == {
        ("DestinationRule", "svc-user")}


def test_a_time_boxed_fault_alone_renders_while_it_lasts() -> None:
    timed = resolve(Fault("svc-user", "abort", 10, http_status=503, duration="30m"), NOW)
    text = apply(timed, None, "prod", "demo").after_text
    assert text is not None
    data = document.plain(text)
    during = render.render(data, PATH, render.RenderContext(now=NOW))
    assert kinds(during) == ["DestinationRule", "VirtualService"]
    after = render.render(data, PATH, render.RenderContext(now=datetime(2026, 11, 27, 11, 0,
                                                                        tzinfo=UTC)))
    assert after == []
