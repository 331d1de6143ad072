"""Make-before-break: subsets appear before routes use them and outlive the routes."""

from __future__ import annotations

from typing import Any

from policies import document, plan
from tests.policies.objects import stopped, unknown_subsets
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"
WAVE = plan.SYNC_WAVE


def policy(versions: dict[str, str], **spec: Any) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"]["versions"] = versions
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 0}
    data["spec"].update(spec)
    return data


def waves(objects: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(obj["kind"], obj["metadata"]["annotations"][WAVE]) for obj in objects]


def subsets(objects: list[dict[str, Any]]) -> list[str]:
    (rule,) = [obj for obj in objects if obj["kind"] == "DestinationRule"]
    return [subset["name"] for subset in rule["spec"]["subsets"]]


def test_adding_a_subset_applies_the_destination_rule_first() -> None:
    before = policy({"stable": "v1"})
    after = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 10})
    objects = plan.plan(before, after, PATH)
    assert waves(objects) == [("DestinationRule", "-1"), ("VirtualService", "0")]
    assert subsets(objects) == ["v1", "v2"]


def test_removing_a_subset_applies_the_virtual_service_first() -> None:
    before = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 10})
    after = policy({"stable": "v2"})
    objects = plan.plan(before, after, PATH)
    assert waves(objects) == [("VirtualService", "-1"), ("DestinationRule", "0")]
    (vs,) = [obj for obj in objects if obj["kind"] == "VirtualService"]
    assert {d["destination"]["subset"] for d in vs["spec"]["http"][-1]["route"]} == {"v2"}


def test_a_change_without_new_or_dropped_subsets_is_one_wave() -> None:
    before = policy({"stable": "v1", "canary": "v2"})
    after = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 20},
                   rateLimit={"requests": 5, "per": "1s"})
    objects = plan.plan(before, after, PATH)
    assert waves(objects) == [("DestinationRule", "0"), ("VirtualService", "0"),
                              ("EnvoyFilter", "0")]
    for obj in objects:
        assert validate_object(obj) == []


def test_a_new_document_brings_its_subsets_first() -> None:
    objects = plan.plan(None, policy({"stable": "v1", "canary": "v2"}), PATH)
    assert waves(objects) == [("DestinationRule", "-1"), ("VirtualService", "0")]


def test_replacing_a_subset_keeps_the_old_one_until_nothing_routes_to_it() -> None:
    before = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 50})
    after = policy({"stable": "v1", "canary": "v3"})
    objects = plan.plan(before, after, PATH)
    assert waves(objects) == [("DestinationRule", "-1"), ("VirtualService", "0")]
    assert subsets(objects) == ["v1", "v3", "v2"]
    rule, vs = objects
    assert unknown_subsets(vs, rule) == []
    assert validate_object(rule) == []
    # the next change drops it, the routes no longer naming it
    again = plan.plan(after, after, PATH)
    assert subsets(again) == ["v1", "v3"]


def test_each_plan_annotates_its_own_copies() -> None:
    data = policy({"stable": "v1", "canary": "v2"})
    first = plan.plan(None, data, PATH)
    second = plan.plan(data, data, PATH)
    assert first[0]["metadata"]["annotations"][WAVE] == "-1"
    assert second[0]["metadata"]["annotations"][WAVE] == "0"


def test_what_a_change_stops_rendering_is_left_out_of_the_plan() -> None:
    before = policy({"stable": "v1"}, rateLimit={"requests": 5, "per": "1s"},
                    autoscale={"enabled": True, "min": 1, "max": 3})
    after = policy({"stable": "v1"}, autoscale={"enabled": False, "min": 1, "max": 3})
    assert stopped(before, after, PATH) == {
        ("HorizontalPodAutoscaler", "svc-user"), ("EnvoyFilter", "svc-user-local-ratelimit")}
    assert stopped(after, before, PATH) == set()
    assert [obj["kind"] for obj in plan.plan(before, after, PATH)] == [
        "DestinationRule", "VirtualService"]
    assert plan.plan(before, None, PATH) == []


def test_handing_a_service_to_flagger_removes_the_routing_objects() -> None:
    before = policy({"stable": "v1", "canary": "v2"})
    after = policy({"stable": "v1", "canary": "v2"}, managedBy="flagger")
    assert stopped(before, after, PATH) == {
        ("VirtualService", "svc-user"), ("DestinationRule", "svc-user")}
    assert plan.plan(before, after, PATH) == []
