"""Rendering every section of a ServicePolicy (p3 shape), each object checked against the
real schemas and istiod's semantic rules."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.errors import InvalidDocument
from policies import document, render, units
from policies.render_traffic import cookie_regex
from tests.policies.objects import unknown_subsets
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"
HOST = "svc-user.demo.svc.cluster.local"
NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def policy(**spec: Any) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"].update(spec)
    return data


def rendered(data: dict[str, Any], context: render.RenderContext | None = None
             ) -> dict[str, dict[str, Any]]:
    objects = render.render(data, PATH, context or render.RenderContext(now=NOW))
    for obj in objects:
        assert validate_object(obj) == [], obj
    return {obj["kind"]: obj for obj in objects}


def http_routes(objects: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = objects["VirtualService"]["spec"]["http"]
    return routes


def weights(route: dict[str, Any]) -> dict[str, int]:
    return {d["destination"]["subset"]: d["weight"] for d in route["route"]}


ROUTES = [
    {"match": {"headers": {"user": {"exact": "w_shenyu"}}}, "to": "v2"},
    {"match": {"headers": {"x-tenant": {"prefix": "acme"}}}, "to": "v2"},
    {"match": {"headers": {"x-team": {"regex": "^(red|blue)$"}}}, "to": "v1"},
    {"match": {"cookie": {"name": "user", "value": "w.shenyu"}}, "to": "v2"},
]


def test_routes_come_first_in_order_and_the_weighted_route_last() -> None:
    objects = rendered(policy(routes=ROUTES, release={"strategy": "canary", "canaryWeight": 30}))
    http = http_routes(objects)
    assert [h["name"] for h in http] == ["route-1", "route-2", "route-3", "route-4", "default"]
    assert http[0]["match"] == [{"headers": {"user": {"exact": "w_shenyu"}}}]
    assert http[1]["match"] == [{"headers": {"x-tenant": {"prefix": "acme"}}}]
    assert http[2]["match"] == [{"headers": {"x-team": {"regex": "^(red|blue)$"}}}]
    assert [h["route"][0]["destination"]["subset"] for h in http[:4]] == ["v2", "v2", "v1", "v2"]
    assert all(h["route"][0]["destination"]["host"] == HOST for h in http)
    assert "match" not in http[-1] and weights(http[-1]) == {"v1": 70, "v2": 30}
    assert unknown_subsets(objects["VirtualService"], objects["DestinationRule"]) == []


def test_a_cookie_route_matches_only_that_cookie_in_the_cookie_header() -> None:
    http = http_routes(rendered(policy(routes=ROUTES[3:])))
    pattern = http[0]["match"][0]["headers"]["cookie"]["regex"]
    assert units.re2_problem(pattern) is None
    for header in ("a=1;user=w.shenyu;b=2", "user=w.shenyu"):
        assert re.match(pattern, header)
    for header in ("user=wxshenyu", "user=w.shenyu2"):
        assert not re.match(pattern, header)


# Cookie headers as browsers send them: `; ` between cookies.
MATCHING = ["a=1; user=w_shenyu; b=2", "user=w_shenyu; a=1", "a=1; user=w_shenyu",
            "user=w_shenyu", "a=1;user=w_shenyu", "a=1;  user=w_shenyu ; b=2"]
NOT_MATCHING = ["xuser=w_shenyu", "a=1; xuser=w_shenyu; b=2", "user=w_shenyu2",
                "a=1; user=w_shenyu2; b=2", "user=w_shenyux; user2=w_shenyu", "b=user=w_shenyu",
                "a=1; user=w; b=_shenyu", "", "a=1; b=2"]


@pytest.mark.parametrize("header", MATCHING)
def test_a_cookie_route_matches_a_browser_cookie_header_wherever_the_cookie_stands(
        header: str) -> None:
    http = http_routes(rendered(policy(routes=[
        {"match": {"cookie": {"name": "user", "value": "w_shenyu"}}, "to": "v2"}])))
    pattern = http[0]["match"][0]["headers"]["cookie"]["regex"]
    assert re.fullmatch(pattern, header)


@pytest.mark.parametrize("header", NOT_MATCHING)
def test_a_cookie_route_matches_no_other_cookie(header: str) -> None:
    assert not re.fullmatch(cookie_regex("user", "w_shenyu"), header)


@settings(max_examples=80, deadline=None)
@given(value=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e, exclude_characters=";"),
                     min_size=1, max_size=20))
def test_any_cookie_value_is_escaped_to_match_itself(value: str) -> None:
    pattern = cookie_regex("user", value)
    assert units.re2_problem(pattern) is None
    assert re.match(pattern, f"x=1;user={value}")
    assert re.match(pattern, f"x=1; user={value}; y=2")
    assert not re.match(pattern, f"user={value}x")


def test_blue_green_keeps_both_destinations_and_flips_one_field() -> None:
    blue = http_routes(rendered(policy(release={"strategy": "blueGreen", "active": "v1"})))
    green = http_routes(rendered(policy(release={"strategy": "blueGreen", "active": "v2"})))
    assert blue[-1]["route"] == [
        {"destination": {"host": HOST, "subset": "v1"}, "weight": 100},
        {"destination": {"host": HOST, "subset": "v2"}, "weight": 0},
    ]
    assert weights(green[-1]) == {"v1": 0, "v2": 100}
    unset = http_routes(rendered(policy(release={"strategy": "blueGreen"})))
    assert weights(unset[-1]) == {"v1": 100, "v2": 0}


def test_an_active_version_that_is_not_a_version_is_refused() -> None:
    with pytest.raises(InvalidDocument, match="active"):
        render.render(policy(release={"strategy": "blueGreen", "active": "v9"}), PATH)
    with pytest.raises(InvalidDocument, match="routes"):
        render.render(policy(routes=[{"match": ROUTES[0]["match"], "to": "v7"}]), PATH)


def test_timeout_retries_and_fault_apply_to_every_http_route() -> None:
    fault = {"enabled": True, "abort": {"httpStatus": 503, "percent": 10},
             "delay": {"fixed": "2s", "percent": 5}, "expires": "2026-11-27T12:00:00Z"}
    retries = {"attempts": 2, "perTryTimeout": "1s", "retryOn": "5xx,reset,connect-failure"}
    http = http_routes(rendered(policy(routes=ROUTES[:2], timeout="3s", retries=retries,
                                       fault=fault)))
    assert len(http) == 3
    for route in http:
        assert route["timeout"] == "3s"
        assert route["retries"] == retries
        assert route["fault"] == {
            "delay": {"fixedDelay": "2s", "percentage": {"value": 5.0}},
            "abort": {"httpStatus": 503, "percentage": {"value": 10.0}},
        }


def test_an_expired_fault_is_not_rendered() -> None:
    fault = {"enabled": True, "abort": {"httpStatus": 503, "percent": 10},
             "expires": "2026-11-27T09:59:59Z"}
    # an expired fault alone leaves nothing for a VirtualService to carry
    assert "VirtualService" not in rendered(policy(fault=fault))
    http = http_routes(rendered(policy(fault=fault, timeout="3s")))
    assert http and all("fault" not in route for route in http)
    later = http_routes(rendered(policy(fault={**fault, "expires": "2026-11-27T10:00:01Z"})))
    assert later[-1]["fault"]["abort"]["httpStatus"] == 503


def test_circuit_breaker_fills_the_destination_rule_traffic_policy() -> None:
    breaker = {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
               "baseEjectionTime": "30s", "maxEjectionPercent": 50, "maxConnections": 100,
               "maxPendingRequests": 10}
    rule = rendered(policy(circuitBreaker=breaker))["DestinationRule"]
    assert rule["spec"]["trafficPolicy"] == {
        "connectionPool": {"tcp": {"maxConnections": 100},
                           "http": {"http1MaxPendingRequests": 10}},
        "outlierDetection": {"consecutive5xxErrors": 5, "interval": "30s",
                             "baseEjectionTime": "30s", "maxEjectionPercent": 50},
    }
    minimal = {"consecutive5xxErrors": 3, "interval": "10s", "baseEjectionTime": "1m"}
    rule = rendered(policy(circuitBreaker=minimal))["DestinationRule"]
    assert rule["spec"]["trafficPolicy"] == {"outlierDetection": minimal}


def test_whitelist_renders_an_allow_policy_with_principals() -> None:
    context = render.RenderContext(
        now=NOW, trust_domain="corp.example",
        service_accounts={"istio-system/istio-ingressgateway":
                          "istio-ingressgateway-service-account"})
    allow = {"enabled": True, "callers": ["svc-index", "istio-system/istio-ingressgateway",
                                          "shop/svc-cart"]}
    policy_ = rendered(policy(allowFrom=allow), context)["AuthorizationPolicy"]
    assert policy_["apiVersion"] == "security.istio.io/v1"
    assert policy_["metadata"]["name"] == "svc-user-allow-from"
    assert policy_["spec"] == {
        "selector": {"matchLabels": {"app": "svc-user"}},
        "action": "ALLOW",
        "rules": [{"from": [{"source": {"principals": [
            "corp.example/ns/demo/sa/svc-index",
            "corp.example/ns/istio-system/sa/istio-ingressgateway-service-account",
            "corp.example/ns/shop/sa/svc-cart",
        ]}}]}],
    }


def test_an_enabled_whitelist_without_callers_allows_nothing() -> None:
    policy_ = rendered(policy(allowFrom={"enabled": True, "callers": []}))["AuthorizationPolicy"]
    assert "rules" not in policy_["spec"] and policy_["spec"]["action"] == "ALLOW"


def test_autoscale_renders_a_horizontal_pod_autoscaler() -> None:
    hpa = rendered(policy(autoscale={"enabled": True, "min": 2, "max": 10, "cpuPercent": 70}))[
        "HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2" and hpa["metadata"]["name"] == "svc-user"
    assert hpa["spec"] == {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc-user"},
        "minReplicas": 2, "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
    }


def test_an_autoscale_with_min_above_max_is_not_rendered() -> None:
    with pytest.raises(InvalidDocument, match="maxReplicas"):
        render.render(policy(autoscale={"enabled": True, "min": 5, "max": 2}), PATH)


FULL: dict[str, Any] = {
    "routes": ROUTES,
    "rateLimit": {"enabled": True, "requests": 500, "per": "5s"},
    "circuitBreaker": {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
                       "baseEjectionTime": "30s", "maxConnections": 100},
    "allowFrom": {"enabled": True, "callers": ["svc-index"]},
    "fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}},
    "timeout": "3s",
    "retries": {"attempts": 2},
    "autoscale": {"enabled": True, "min": 2, "max": 10, "cpuPercent": 70},
}


def test_the_full_policy_renders_every_kind_in_apply_order() -> None:
    objects = render.render(policy(**FULL), PATH, render.RenderContext(now=NOW))
    assert [obj["kind"] for obj in objects] == [
        "DestinationRule", "VirtualService", "EnvoyFilter", "AuthorizationPolicy",
        "HorizontalPodAutoscaler"]
    for obj in objects:
        assert validate_object(obj) == []
        assert obj["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "govbot"
        assert obj["metadata"]["annotations"]["govbot.dev/source"] == PATH


def test_sections_that_are_off_render_nothing() -> None:
    off = {key: {**value, "enabled": False} for key, value in FULL.items()
           if isinstance(value, dict) and "enabled" in value}
    objects = rendered(policy(**{**FULL, **off}))
    assert sorted(objects) == ["DestinationRule", "VirtualService"]
    assert "trafficPolicy" not in objects["DestinationRule"]["spec"]
    assert all("fault" not in route for route in http_routes(objects))


def test_flagger_owns_the_virtual_service_and_destination_rule() -> None:
    objects = rendered(policy(**FULL, managedBy="flagger"))
    assert sorted(objects) == ["AuthorizationPolicy", "EnvoyFilter", "HorizontalPodAutoscaler"]


def test_argo_rollouts_gets_the_routing_with_a_note_on_the_weights() -> None:
    objects = rendered(policy(routes=ROUTES[:1], managedBy="argo-rollouts"))
    annotations = objects["VirtualService"]["metadata"]["annotations"]
    assert annotations["govbot.dev/weights-owner"] == "argo-rollouts"
    assert "Rollout" in annotations["govbot.dev/note"]
    assert "govbot.dev/weights-owner" not in objects["DestinationRule"]["metadata"]["annotations"]
    assert [h["name"] for h in http_routes(objects)] == ["route-1", "default"]


def test_describe_reads_the_default_route_and_counts_match_routes() -> None:
    objects = render.render(policy(routes=ROUTES[:2], release={"canaryWeight": 20}), PATH)
    assert render.describe(objects) == (
        "VirtualService svc-user (v1 80 / v2 20, 2 match routes), DestinationRule svc-user")


@pytest.mark.parametrize("spec", [
    {"release": "canary"}, {"routes": "to v2"}, {"circuitBreaker": {"interval": "30"}},
    {"routes": [{"match": {"headers": {"User": {"exact": "a"}}}, "to": "v2"}]},
    {"fault": {"abort": {"httpStatus": 700, "percent": 10}}},
    {"managedBy": "spinnaker"},
])
def test_a_section_that_cannot_be_rendered_is_refused_by_name(spec: dict[str, Any]) -> None:
    with pytest.raises(InvalidDocument) as refused:
        render.render(policy(**spec), PATH)
    assert refused.value.problems
