"""Rendering: weights, the rate limit of istio-mapping.md §7, labels, and Istio's own schemas."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.errors import InvalidDocument
from policies import document, render
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"
HOST = "svc-user.demo.svc.cluster.local"
LOCAL_RATELIMIT = "envoy.filters.http.local_ratelimit"
FULL_PERCENT = {"numerator": 100, "denominator": "HUNDRED"}


def policy(weight: int = 20, canary: bool = True, limit: dict[str, Any] | None = None,
           path: str = PATH) -> dict[str, Any]:
    where = document.parse_service_path(path)
    assert where is not None
    data = document.plain(document.new_document(*where))
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": weight}
    if not canary:
        del data["spec"]["versions"]["canary"]
    if limit is not None:
        data["spec"]["rateLimit"] = limit
    return data


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {obj["kind"]: obj for obj in objects}


def weights(objects: list[dict[str, Any]]) -> dict[str, int]:
    route = by_kind(objects)["VirtualService"]["spec"]["http"][0]["route"]
    return {d["destination"]["subset"]: d["weight"] for d in route}


def test_canary_weight_splits_the_traffic() -> None:
    objects = render.render(policy(20), PATH)
    assert [obj["kind"] for obj in objects] == ["DestinationRule", "VirtualService"]
    assert weights(objects) == {"v1": 80, "v2": 20}
    vs, dr = by_kind(objects)["VirtualService"], by_kind(objects)["DestinationRule"]
    assert vs["apiVersion"] == dr["apiVersion"] == "networking.istio.io/v1"
    assert vs["metadata"]["name"] == dr["metadata"]["name"] == "svc-user"
    assert vs["spec"]["hosts"] == [HOST] and dr["spec"]["host"] == HOST
    assert vs["spec"]["http"][0]["name"] == "default"
    assert {d["destination"]["host"] for d in vs["spec"]["http"][0]["route"]} == {HOST}
    assert dr["spec"]["subsets"] == [
        {"name": "v1", "labels": {"version": "v1"}},
        {"name": "v2", "labels": {"version": "v2"}},
    ]


def test_without_a_canary_version_one_destination_takes_everything() -> None:
    objects = render.render(policy(0, canary=False), PATH)
    assert weights(objects) == {"v1": 100}
    assert by_kind(objects)["DestinationRule"]["spec"]["subsets"] == [
        {"name": "v1", "labels": {"version": "v1"}}]


def test_the_cluster_domain_is_used_for_hosts() -> None:
    context = render.RenderContext(cluster_domain="corp.internal")
    objects = render.render(policy(), PATH, context)
    assert by_kind(objects)["VirtualService"]["spec"]["hosts"] == [
        "svc-user.demo.svc.corp.internal"]
    assert by_kind(objects)["DestinationRule"]["spec"]["host"] == "svc-user.demo.svc.corp.internal"


def test_a_plain_cluster_domain_still_works_for_older_callers() -> None:
    objects = render.render(policy(), PATH, "corp.internal")
    assert by_kind(objects)["VirtualService"]["spec"]["hosts"] == [
        "svc-user.demo.svc.corp.internal"]


def _local_ratelimit(patch: dict[str, Any]) -> dict[str, Any]:
    value = patch["patch"]["value"]
    config = value.get("typed_per_filter_config", {}).get(LOCAL_RATELIMIT) or value["typed_config"]
    assert config["@type"] == "type.googleapis.com/udpa.type.v1.TypedStruct"
    assert config["type_url"] == (
        "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit")
    settings: dict[str, Any] = config["value"]
    return settings


def _is_router_insert(patch: dict[str, Any]) -> bool:
    return bool(patch["applyTo"] == "HTTP_FILTER" and patch["match"] == {
        "context": "SIDECAR_INBOUND",
        "listener": {"filterChain": {"filter": {
            "name": "envoy.filters.network.http_connection_manager",
            "subFilter": {"name": "envoy.filters.http.router"}}}},
    } and patch["patch"]["operation"] == "INSERT_BEFORE" and (
        patch["patch"]["value"]["name"] == LOCAL_RATELIMIT))


def test_rate_limit_without_header_is_one_token_bucket() -> None:
    objects = render.render(policy(limit={"enabled": True, "requests": 500, "per": "5s"}), PATH)
    assert [obj["kind"] for obj in objects][-1] == "EnvoyFilter"
    envoy_filter = by_kind(objects)["EnvoyFilter"]
    assert envoy_filter["apiVersion"] == "networking.istio.io/v1alpha3"
    assert envoy_filter["metadata"]["name"] == "svc-user-local-ratelimit"
    assert envoy_filter["spec"]["workloadSelector"] == {"labels": {"app": "svc-user"}}
    (patch,) = envoy_filter["spec"]["configPatches"]
    assert _is_router_insert(patch)
    assert _local_ratelimit(patch) == {
        "stat_prefix": "http_local_rate_limiter",
        "token_bucket": {"max_tokens": 500, "tokens_per_fill": 500, "fill_interval": "5s"},
        "filter_enabled": {"runtime_key": "local_rate_limit_enabled",
                           "default_value": FULL_PERCENT},
        "filter_enforced": {"runtime_key": "local_rate_limit_enforced",
                            "default_value": FULL_PERCENT},
    }


def test_rate_limit_with_header_uses_a_descriptor_on_the_inbound_route() -> None:
    limit = {"enabled": True, "requests": 500, "per": "5s",
             "match": {"headers": {"user": {"exact": "w_shenyu"}}}}
    data = policy(limit=limit)
    data["spec"]["port"] = 9080
    filter_patch, route_patch = by_kind(render.render(data, PATH))["EnvoyFilter"]["spec"][
        "configPatches"]
    assert _is_router_insert(filter_patch)
    assert _local_ratelimit(filter_patch) == {"stat_prefix": "http_local_rate_limiter"}
    assert route_patch["applyTo"] == "HTTP_ROUTE"
    assert route_patch["match"] == {"context": "SIDECAR_INBOUND", "routeConfiguration": {
        "vhost": {"name": "inbound|http|9080", "route": {"action": "ANY"}}}}
    assert route_patch["patch"]["operation"] == "MERGE"
    assert route_patch["patch"]["value"]["route"] == {"rate_limits": [{"actions": [
        {"request_headers": {"header_name": "user", "descriptor_key": "user"}}]}]}
    config = _local_ratelimit(route_patch)
    assert config["always_consume_default_token_bucket"] is False
    assert config["token_bucket"]["max_tokens"] >= 500
    assert config["token_bucket"]["fill_interval"] == "5s"
    assert config["descriptors"] == [{
        "entries": [{"key": "user", "value": "w_shenyu"}],
        "token_bucket": {"max_tokens": 500, "tokens_per_fill": 500, "fill_interval": "5s"},
    }]
    assert config["filter_enabled"]["default_value"] == FULL_PERCENT
    assert config["filter_enforced"]["default_value"] == FULL_PERCENT


@pytest.mark.parametrize(("per", "interval"), [
    ("5s", "5s"), ("1m", "60s"), ("250ms", "0.250s"), ("1m30s", "90s"), ("1.5s", "1.500s")])
def test_fill_interval_is_written_as_protobuf_seconds(per: str, interval: str) -> None:
    objects = render.render(policy(limit={"requests": 7, "per": per}), PATH)
    (patch,) = by_kind(objects)["EnvoyFilter"]["spec"]["configPatches"]
    assert _local_ratelimit(patch)["token_bucket"]["fill_interval"] == interval


def test_a_disabled_rate_limit_renders_no_envoy_filter() -> None:
    objects = render.render(policy(limit={"enabled": False, "requests": 5, "per": "1s"}), PATH)
    assert [obj["kind"] for obj in objects] == ["DestinationRule", "VirtualService"]


def test_every_object_carries_the_ownership_labels_and_the_path() -> None:
    limit = {"requests": 5, "per": "1s"}
    for obj in render.render(policy(limit=limit), PATH):
        assert obj["metadata"]["namespace"] == "demo"
        assert obj["metadata"]["labels"] == {
            "app.kubernetes.io/managed-by": "govbot", "govbot.dev/source": "prod.demo.svc-user"}
        assert obj["metadata"]["annotations"] == {"govbot.dev/source": PATH}


def test_a_long_path_gets_a_label_safe_source_that_stays_distinct() -> None:
    service = "s" + "-x" * 30 + "12"
    assert len(service) == 63  # the longest service name
    path = document.service_path("production", "payments-eu", service)
    label = render.source_label(path)
    assert len(label) <= 63 and label[0].isalnum() and label[-1].isalnum()
    other = render.source_label(document.service_path("production", "payments-eu",
                                                      service[:-1] + "3"))
    assert other != label
    objects = render.render(policy(limit={"requests": 5, "per": "1s"}, path=path), path)
    for obj in objects:
        assert obj["metadata"]["labels"]["govbot.dev/source"] == label
        assert obj["metadata"]["annotations"]["govbot.dev/source"] == path
        assert validate_object(obj) == []


def test_an_invalid_document_is_not_rendered() -> None:
    data = policy()
    data["spec"]["release"]["canaryWeight"] = 120
    with pytest.raises(InvalidDocument, match="canaryWeight"):
        render.render(data, PATH)


def test_describe_names_the_virtual_service_first() -> None:
    limit = {"requests": 500, "per": "5s", "match": {"headers": {"user": {"exact": "w_shenyu"}}}}
    objects = render.render(policy(20, limit=limit), PATH)
    assert render.describe(objects) == (
        "VirtualService svc-user (v1 80 / v2 20), DestinationRule svc-user, "
        "EnvoyFilter svc-user-local-ratelimit (500/5s, user=w_shenyu)")
    plain_limit = render.render(policy(0, canary=False, limit={"requests": 9, "per": "1m"}), PATH)
    assert render.describe(plain_limit) == (
        "VirtualService svc-user (v1 100), DestinationRule svc-user, "
        "EnvoyFilter svc-user-local-ratelimit (9/1m)")


def test_rendered_objects_validate_against_istio_crds() -> None:
    header = {"headers": {"x-tenant": {"exact": "acme"}}}
    for data in (policy(20), policy(0, canary=False),
                 policy(100, limit={"requests": 500, "per": "5s"}),
                 policy(5, limit={"requests": 500, "per": "5s", "match": header})):
        for obj in render.render(data, PATH):
            assert validate_object(obj) == [], obj["kind"]


@pytest.mark.parametrize(("kind", "breaks"), [
    ("VirtualService", lambda o: o["spec"]["http"][0]["route"][0].update(weight="abc")),
    ("VirtualService", lambda o: o["spec"]["http"][0]["route"][0].update(weight=-5)),
    ("VirtualService", lambda o: o["spec"]["http"][0].update(retires={"attempts": 2})),
    ("DestinationRule", lambda o: o["spec"].pop("host")),
    ("DestinationRule", lambda o: o["spec"]["subsets"][0].update(name="V_1")),
    ("EnvoyFilter", lambda o: o["spec"]["configPatches"][0].update(applyTo="HTTP_FILTERS")),
    ("EnvoyFilter", lambda o: o["metadata"]["labels"].update({"govbot.dev/source": "a/b"})),
])
def test_a_broken_object_fails_validation(kind: str, breaks: Any) -> None:
    objects = by_kind(render.render(policy(limit={"requests": 5, "per": "1s"}), PATH))
    broken = copy.deepcopy(objects[kind])
    breaks(broken)
    assert validate_object(broken) != []


durations = st.integers(min_value=50, max_value=3_600_000).map(lambda ms: f"{ms}ms") | (
    st.sampled_from(["1s", "5s", "1m", "1m30s", "1h", "0.5s", "2.25s"]))
header_names = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.!#$%&'*+^`|~", min_size=1,
                       max_size=20)
header_values = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), min_size=1,
                        max_size=30)
limits = st.none() | st.fixed_dictionaries(
    {"enabled": st.booleans(), "requests": st.integers(1, 2**32 - 1), "per": durations},
    optional={"match": st.builds(lambda n, v: {"headers": {n: {"exact": v}}},
                                 header_names, header_values)})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(weight=st.integers(0, 100), canary=st.booleans(), limit=limits,
       port=st.integers(1, 65535))
def test_any_valid_policy_renders_valid_objects(
    weight: int, canary: bool, limit: dict[str, Any] | None, port: int
) -> None:
    data = policy(weight if canary else 0, canary=canary, limit=limit)
    data["spec"]["port"] = port
    assert document.validate(data, PATH) == []
    objects = render.render(data, PATH)
    for obj in objects:
        assert validate_object(obj) == [], obj
    assert sum(weights(objects).values()) == 100
    assert weights(objects)["v1"] == 100 - (weight if canary else 0)
    has_filter = "EnvoyFilter" in by_kind(objects)
    assert has_filter == (limit is not None and limit["enabled"])
