"""A change of the routing kind (VirtualService ↔ HTTPRoute) is applied in two steps: never
both routes on the host, and every backend outlives the routes that use it."""

from __future__ import annotations

from typing import Any

import pytest

from policies import document, plan
from policies.mesh import AMBIENT, Mesh
from policies.rendering import RenderContext
from tests.policies.objects import unknown_subsets
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"
SIDECAR = RenderContext()
AMBIENT_CONTEXT = RenderContext(meshes={("prod", "demo"): Mesh(AMBIENT)})
ALPHA = RenderContext(meshes={("prod", "demo"): Mesh(AMBIENT, alpha_faults=True)})
ROUTES = ("VirtualService", "HTTPRoute")


def policy(**spec: Any) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"].update({"release": {"strategy": "canary", "canaryWeight": 20},
                         "circuitBreaker": {"enabled": True, "consecutive5xxErrors": 5},
                         "allowFrom": {"enabled": True, "callers": ["svc-index"]}, **spec})
    return data


def kinds(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["kind"] for obj in objects]


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def names(objects: list[dict[str, Any]], kind: str) -> set[str]:
    return {obj["metadata"]["name"] for obj in of(objects, kind)}


def route_backends(route: dict[str, Any]) -> set[str]:
    return {ref["name"] for rule in route["spec"]["rules"] for ref in rule["backendRefs"]}


def test_sidecar_to_ambient_hands_over_without_two_routes_or_a_missing_subset() -> None:
    before = policy()
    handover, final = plan.steps(before, before, PATH, AMBIENT_CONTEXT, SIDECAR)
    (old_route,) = of(plan.plan(None, before, PATH, SIDECAR), "VirtualService")
    assert not set(kinds(handover)) & set(ROUTES)
    # the old VirtualService is pruned after step 1: its subsets are all still there
    (rule,) = of(handover, "DestinationRule")
    assert unknown_subsets(old_route, rule) == []
    assert "trafficPolicy" in rule["spec"]
    # the HTTPRoute of step 2 finds its Services, which step 1 created
    (route,) = of(final, "HTTPRoute")
    assert route_backends(route) <= names(handover, "Service")
    assert not of(final, "VirtualService")
    assert "subsets" not in of(final, "DestinationRule")[0]["spec"]
    assert names(handover, "AuthorizationPolicy") == {"svc-user-allow-from",
                                                      "svc-user-allow-from-l4"}
    for obj in handover + final:
        assert validate_object(obj) == [], obj["kind"]


def test_ambient_to_sidecar_keeps_the_version_services_until_the_route_is_gone() -> None:
    before = policy()
    handover, final = plan.steps(before, before, PATH, SIDECAR, AMBIENT_CONTEXT)
    (old_route,) = of(plan.plan(None, before, PATH, AMBIENT_CONTEXT), "HTTPRoute")
    assert not set(kinds(handover)) & set(ROUTES)
    assert route_backends(old_route) <= names(handover, "Service")
    (service,) = of(final, "VirtualService")
    (rule,) = of(handover, "DestinationRule")
    assert unknown_subsets(service, rule) == []  # the subsets exist before step 2 routes
    assert not of(final, "Service") and not of(final, "HTTPRoute")
    assert final == plan.plan(before, before, PATH, SIDECAR, AMBIENT_CONTEXT)
    for obj in handover + final:
        assert validate_object(obj) == [], obj["kind"]


def test_the_alpha_fault_virtual_service_gives_way_to_an_http_route_in_two_steps() -> None:
    fault = {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}}
    before = document.plain(document.new_document("prod", "demo", "svc-user"))
    before["spec"]["fault"] = fault
    after = policy()
    handover, final = plan.steps(before, after, PATH, ALPHA)
    assert not set(kinds(handover)) & set(ROUTES)
    assert kinds(final).count("HTTPRoute") == 1 and "VirtualService" not in kinds(final)


@pytest.mark.parametrize("context", [SIDECAR, AMBIENT_CONTEXT])
def test_a_change_within_one_mode_is_one_step(context: RenderContext) -> None:
    before = policy()
    after = policy(release={"strategy": "canary", "canaryWeight": 40})
    assert plan.steps(before, after, PATH, context) == [plan.plan(before, after, PATH, context)]


def test_a_new_document_and_a_deleted_one_are_one_step() -> None:
    assert plan.steps(None, policy(), PATH, AMBIENT_CONTEXT, SIDECAR) == [
        plan.plan(None, policy(), PATH, AMBIENT_CONTEXT)]
    assert plan.steps(policy(), None, PATH, AMBIENT_CONTEXT, SIDECAR) == [[]]


def test_the_version_services_come_before_the_route_in_one_apply() -> None:
    objects = plan.plan(None, policy(), PATH, AMBIENT_CONTEXT)
    assert kinds(objects)[:4] == ["Service", "Service", "DestinationRule", "HTTPRoute"]


def test_a_before_that_cannot_render_is_planned_from_nothing() -> None:
    # the alpha fault path was closed while a fault was on: before is refused now
    before = policy(fault={"enabled": True, "delay": {"fixedDelay": "2s", "percent": 50}})
    after = policy(fault={"enabled": False, "delay": {"fixedDelay": "2s", "percent": 50}})
    assert plan.steps(before, after, PATH, AMBIENT_CONTEXT) == [
        plan.plan(None, after, PATH, AMBIENT_CONTEXT)]
    assert "VirtualService" not in kinds(plan.plan(before, after, PATH, AMBIENT_CONTEXT))


PUBLIC = {"hosts": ["user.example.com"], "gateway": "istio-system/public"}


def test_an_exposed_service_keeps_its_ingress_route_while_switching_to_ambient() -> None:
    before = policy(exposed=PUBLIC)
    handover, final = plan.steps(before, before, PATH, AMBIENT_CONTEXT, SIDECAR)
    (old_route,) = of(plan.plan(None, before, PATH, SIDECAR), "VirtualService")
    # step 1: the VirtualService stays, bound to the gateway alone, routing as before
    (ingress,) = of(handover, "VirtualService")
    assert ingress["spec"]["gateways"] == ["istio-system/public"]
    assert ingress["spec"]["hosts"] == ["user.example.com"]
    assert ingress["spec"]["http"] == old_route["spec"]["http"]
    assert not of(handover, "HTTPRoute")  # nothing routes the mesh host in step 1
    (rule,) = of(handover, "DestinationRule")
    assert unknown_subsets(ingress, rule) == []
    # step 2: the HTTPRoute carries the mesh and the gateway; the VirtualService goes
    (route,) = of(final, "HTTPRoute")
    assert [ref["kind"] for ref in route["spec"]["parentRefs"]] == ["Service", "Gateway"]
    assert not of(final, "VirtualService")
    for obj in handover + final:
        assert validate_object(obj) == [], obj["kind"]


def test_an_exposed_service_keeps_its_ingress_route_while_switching_to_sidecar() -> None:
    before = policy(exposed=PUBLIC)
    handover, final = plan.steps(before, before, PATH, SIDECAR, AMBIENT_CONTEXT)
    (old_route,) = of(plan.plan(None, before, PATH, AMBIENT_CONTEXT), "HTTPRoute")
    (ingress,) = of(handover, "HTTPRoute")
    assert ingress["spec"]["parentRefs"] == [
        {"group": "gateway.networking.k8s.io", "kind": "Gateway",
         "namespace": "istio-system", "name": "public"}]
    assert ingress["spec"]["rules"] == old_route["spec"]["rules"]
    assert ingress["spec"]["hostnames"] == ["user.example.com"]
    assert route_backends(ingress) <= names(handover, "Service")
    assert not of(handover, "VirtualService")
    (service,) = of(final, "VirtualService")
    assert service["spec"]["gateways"] == ["mesh", "istio-system/public"]
    assert not of(final, "HTTPRoute")
    for obj in handover + final:
        assert validate_object(obj) == [], obj["kind"]


def test_a_service_that_is_not_exposed_has_no_route_in_step_one() -> None:
    for before in (policy(), policy(exposed=True)):
        handover, _final = plan.steps(before, before, PATH, AMBIENT_CONTEXT, SIDECAR)
        assert not set(kinds(handover)) & set(ROUTES)
