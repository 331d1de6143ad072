"""Ambient namespaces render Gateway API routing, one Service per version and no object the
data plane ignores; exposed services are routed at their gateway in both modes.

Golden files: tests/policies/golden/ (`GOVBOT_UPDATE_GOLDEN=1` rewrites them). Every object
is also validated against Istio's CRDs, Gateway API's HTTPRoute CRD (the experimental
channel where the route retries) and, for Services, Kubernetes' own schema.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.errors import InvalidDocument
from policies import document, edit, render, webhook
from policies.intents import Canary
from policies.mesh import AMBIENT, EXPERIMENTAL, STANDARD, Mesh
from policies.rendering import MANAGED_BY, SOURCE, RenderContext
from tests.support.golden import check
from tests.support.schemas import validate_object

GOLDEN = Path(__file__).parent / "golden"
PATH = "services/prod/demo/svc-user.yaml"
PUBLIC = {"hosts": ["user.example.com"], "gateway": "istio-system/public"}


def context(mode: str = AMBIENT, channel: str = STANDARD, alpha: bool = False) -> RenderContext:
    return RenderContext(meshes={("prod", "demo"): Mesh(mode, channel, alpha)})


def policy(**spec: Any) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"].update(spec)
    return data


def rendered(data: dict[str, Any], ctx: RenderContext | None = None) -> list[dict[str, Any]]:
    objects = render.render(data, PATH, ctx or context())
    channel = (ctx or context()).mesh("prod", "demo").channel
    for obj in objects:
        assert validate_object(obj, channel) == [], obj["kind"]
    return objects


def of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def backends(route: dict[str, Any]) -> list[tuple[str, int | None]]:
    return [(ref["name"], ref.get("weight")) for ref in route["spec"]["rules"][-1]["backendRefs"]]


CANARY = {"release": {"strategy": "canary", "canaryWeight": 20}}
CASES: dict[str, dict[str, Any]] = {
    "canary": CANARY,
    "blue-green": {"release": {"strategy": "blueGreen", "active": "v2"}},
    "header-route": {"routes": [
        {"match": {"headers": {"user": {"exact": "w_shenyu"}}}, "to": "v2"},
        {"match": {"headers": {"x-team": {"prefix": "qa."}}}, "to": "v2"},
        {"match": {"cookie": {"name": "user", "value": "w.shenyu"}}, "to": "v2"}]},
    "timeout": {"timeout": "1.5s"},
    "whitelist": {"allowFrom": {"enabled": True, "callers": ["svc-index", "ops/svc-admin"]}},
    "circuit-breaker": {"circuitBreaker": {
        "enabled": True, "consecutive5xxErrors": 5, "interval": "30s", "baseEjectionTime": "30s",
        "maxEjectionPercent": 50, "maxConnections": 100, "maxPendingRequests": 10}},
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ambient_rendering_matches_its_golden_file(name: str) -> None:
    objects = rendered(policy(**copy.deepcopy(CASES[name])))
    assert objects
    check(GOLDEN, f"ambient-{name}.yaml", yaml.safe_dump_all(objects, sort_keys=False))


@pytest.mark.parametrize("mode", ["sidecar", AMBIENT])
def test_an_exposed_canary_matches_its_golden_file(mode: str) -> None:
    objects = rendered(policy(exposed=dict(PUBLIC), **CANARY), context(mode))
    check(GOLDEN, f"{mode}-exposed-canary.yaml", yaml.safe_dump_all(objects, sort_keys=False))


def test_a_canary_command_in_an_ambient_namespace_routes_to_one_service_per_version() -> None:
    text = edit.apply(Canary("svc-user", "set", 20), None, "prod", "demo").after_text
    assert text is not None
    objects = rendered(document.plain(text, PATH))
    (route,) = of(objects, "HTTPRoute")
    assert backends(route) == [("svc-user-v1", 80), ("svc-user-v2", 20)]
    assert route["spec"]["parentRefs"] == [
        {"group": "", "kind": "Service", "name": "svc-user", "port": 8080}]
    services = {obj["metadata"]["name"]: obj for obj in of(objects, "Service")}
    assert sorted(services) == ["svc-user-v1", "svc-user-v2"]
    assert services["svc-user-v2"]["spec"]["selector"] == {"app": "svc-user", "version": "v2"}
    assert services["svc-user-v2"]["metadata"]["labels"] == {
        MANAGED_BY: "govbot", SOURCE: "prod.demo.svc-user"}
    assert not of(objects, "VirtualService") and not of(objects, "DestinationRule")
    assert objects.index(services["svc-user-v2"]) < objects.index(route)
    assert render.describe(objects) == (
        "HTTPRoute svc-user (svc-user-v1 80 / svc-user-v2 20), Services svc-user-v1, "
        "svc-user-v2")


@pytest.mark.parametrize(("spec", "target"), [({}, 8080), ({"targetPort": 9090}, 9090),
                                               ({"port": 80, "targetPort": "http"}, "http")])
def test_the_version_services_forward_to_the_pods_port(spec: dict[str, Any],
                                                       target: int | str) -> None:
    objects = rendered(policy(**CANARY, **spec))
    for service in of(objects, "Service"):
        (port,) = service["spec"]["ports"]
        assert (port["port"], port["targetPort"]) == (spec.get("port", 8080), target)
    (route,) = of(objects, "HTTPRoute")  # the route speaks to the Services' port
    assert {ref["port"] for ref in route["spec"]["rules"][-1]["backendRefs"]} == {
        spec.get("port", 8080)}


def test_the_whitelist_holds_behind_a_waypoint_and_without_one() -> None:
    ctx = RenderContext(meshes={("prod", "demo"): Mesh(AMBIENT, waypoint="edge")},
                        service_accounts={"demo/svc-index": "index-sa"})
    objects = rendered(policy(allowFrom={"callers": ["svc-index"]}), ctx)
    policies = {obj["metadata"]["name"]: obj["spec"] for obj in of(objects, "AuthorizationPolicy")}
    callers = [{"from": [{"source": {"principals": ["cluster.local/ns/demo/sa/index-sa"]}}]}]
    # the waypoint enforces the policy on the Service, seeing the callers themselves
    assert policies["svc-user-allow-from"] == {
        "targetRefs": [{"group": "", "kind": "Service", "name": "svc-user"}],
        "action": "ALLOW", "rules": callers}
    # ztunnel enforces the one on the pods: the callers, and the waypoint they come through
    assert policies["svc-user-allow-from-l4"] == {
        "selector": {"matchLabels": {"app": "svc-user"}}, "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": [
            "cluster.local/ns/demo/sa/index-sa", "cluster.local/ns/demo/sa/edge"]}}]}]}
    sidecar = rendered(policy(allowFrom={"callers": ["svc-index"]}), context(mode="sidecar"))
    assert [obj["metadata"]["name"] for obj in of(sidecar, "AuthorizationPolicy")] == [
        "svc-user-allow-from"]


def test_an_ambient_whitelist_without_callers_lets_nobody_through() -> None:
    objects = rendered(policy(allowFrom={"enabled": True, "callers": []}))
    by_name = {obj["metadata"]["name"]: obj["spec"] for obj in of(objects, "AuthorizationPolicy")}
    assert "rules" not in by_name["svc-user-allow-from"]  # the waypoint allows nothing


def test_routing_without_versions_renders_no_version_services() -> None:
    objects = rendered(policy(timeout="3s"))
    assert [obj["kind"] for obj in objects] == ["HTTPRoute"]
    assert backends(objects[0]) == [("svc-user", None)]
    assert objects[0]["spec"]["rules"][0]["timeouts"] == {"request": "3s"}


def test_the_circuit_breaker_keeps_its_traffic_policy_without_subsets() -> None:
    (rule,) = rendered(policy(**CASES["circuit-breaker"]))
    assert rule["kind"] == "DestinationRule" and "subsets" not in rule["spec"]
    assert rule["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5


@pytest.mark.parametrize(("section", "value"), [
    ("fault", {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}}),
    ("rateLimit", {"enabled": True, "requests": 5, "per": "1s"}),
    ("retries", {"attempts": 2, "retryOn": "5xx"}),
])
def test_what_the_mode_cannot_carry_is_refused(section: str, value: Any) -> None:
    with pytest.raises(InvalidDocument) as refused:
        render.render(policy(**CANARY, **{section: value}), PATH, context())
    assert [p.split(" ")[:2] for p in refused.value.problems] == [
        ["[mesh.unsupported]", f"spec.{section}:"]]


def test_retries_render_on_the_experimental_channel_only_there() -> None:
    data = policy(**CANARY, timeout="3s",
                  retries={"attempts": 3, "perTryTimeout": "1s", "retryOn": "gateway-error,503"})
    (route,) = of(rendered(data, context(channel=EXPERIMENTAL)), "HTTPRoute")
    rule = route["spec"]["rules"][-1]
    assert rule["retry"] == {"attempts": 3, "codes": [502, 503, 504]}
    assert rule["timeouts"] == {"request": "3s", "backendRequest": "1s"}
    assert validate_object(route, STANDARD) != []  # `retry` is not in the standard channel


def test_a_retry_condition_an_http_route_cannot_state_is_refused() -> None:
    data = policy(**CANARY, retries={"attempts": 2, "retryOn": "5xx,retriable-headers"})
    with pytest.raises(InvalidDocument, match=r"\[mesh.unsupported\] spec.retries.retryOn"):
        render.render(data, PATH, context(channel=EXPERIMENTAL))


FAULT = {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}}


def test_the_alpha_fault_path_renders_a_virtual_service_with_only_the_fault() -> None:
    (service,) = rendered(policy(fault=FAULT), context(alpha=True))
    assert service["kind"] == "VirtualService"
    (http,) = service["spec"]["http"]
    assert http["route"] == [{"destination": {"host": "svc-user.demo.svc.cluster.local"}}]
    assert http["fault"]["abort"]["httpStatus"] == 503


def test_the_alpha_fault_path_and_an_http_route_on_one_host_are_refused() -> None:
    with pytest.raises(InvalidDocument) as refused:
        render.render(policy(fault=FAULT, **CANARY), PATH, context(alpha=True))
    assert refused.value.problems[0].startswith("[mesh.mixed_routes]")


def test_an_ambient_namespace_never_gets_an_envoy_filter() -> None:
    data = policy(**CANARY, rateLimit={"enabled": False, "requests": 5, "per": "1s"})
    assert not of(rendered(data), "EnvoyFilter")


def test_an_exposed_service_is_routed_at_its_gateway_even_without_other_routing() -> None:
    (service,) = rendered(policy(exposed=dict(PUBLIC)), context("sidecar"))
    assert service["spec"]["gateways"] == ["mesh", "istio-system/public"]
    assert service["spec"]["hosts"] == ["svc-user.demo.svc.cluster.local", "user.example.com"]
    (route,) = rendered(policy(exposed=dict(PUBLIC)))
    assert route["spec"]["parentRefs"][1] == {
        "group": "gateway.networking.k8s.io", "kind": "Gateway", "namespace": "istio-system",
        "name": "public"}
    assert route["spec"]["hostnames"] == ["user.example.com"]
    assert backends(route) == [("svc-user", None)]


@pytest.mark.parametrize("mode", ["sidecar", AMBIENT])
def test_the_legacy_exposed_flag_routes_nothing_at_a_gateway(mode: str) -> None:
    assert rendered(policy(exposed=True), context(mode)) == []
    objects = rendered(policy(exposed=True, **CANARY), context(mode))
    assert all("gateways" not in obj["spec"] and len(obj["spec"].get("parentRefs", [])) < 2
               for obj in objects)


def test_an_exposure_without_a_gateway_is_refused_with_an_example() -> None:
    with pytest.raises(InvalidDocument, match=r"spec.exposed.gateway: .*istio-system/public"):
        render.render(policy(exposed={"hosts": ["user.example.com"]}), PATH, context())


def test_the_checks_refuse_what_the_route_crd_and_istio_would() -> None:
    (route,) = of(rendered(policy(**CANARY, timeout="3s")), "HTTPRoute")
    slow = copy.deepcopy(route)
    slow["spec"]["rules"][0]["timeouts"]["backendRequest"] = "5s"
    assert any("backendRequest" in p for p in webhook.check(slow))
    portless = copy.deepcopy(route)
    del portless["spec"]["rules"][0]["backendRefs"][0]["port"]
    assert webhook.check(portless) != []
    bad_regex = copy.deepcopy(route)
    bad_regex["spec"]["rules"].insert(0, {"matches": [{"headers": [
        {"type": "RegularExpression", "name": "x", "value": "(?=a)"}]}], "backendRefs": []})
    assert webhook.check(bad_regex) != []
    assert validate_object({**route, "spec": {**route["spec"], "hostnamez": []}}) != []


def test_a_broken_version_service_fails_the_kubernetes_schema() -> None:
    service = of(rendered(policy(**CANARY)), "Service")[0]
    assert validate_object({**service, "spec": {**service["spec"], "portz": []}}) != []


def test_a_virtual_service_gateway_must_be_mesh_or_namespaced() -> None:
    (service,) = rendered(policy(exposed=dict(PUBLIC)), context("sidecar"))
    service["spec"]["gateways"][1] = "public"
    assert webhook.check(service) != []


def test_a_version_that_cannot_name_a_service_is_refused_in_ambient_mode() -> None:
    long = "v" + "2" * 60  # a subset may be named so; `svc-user-v22…` is too long a name
    data = policy(versions={"stable": "v1", "canary": long}, **CANARY)
    assert rendered(data, context("sidecar"))
    with pytest.raises(InvalidDocument, match=rf"spec.versions.canary: '{long}' cannot name"):
        render.render(data, PATH, context())
