"""Make-before-break: subsets appear before routes use them and outlive the routes; what
stays applied is the rendering of the document, whatever led there."""

from __future__ import annotations

from typing import Any

import yaml

from policies import document, edit, plan, render
from policies.intents import Canary, RateLimit
from tests.policies.objects import stopped, unknown_subsets
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"


def policy(versions: dict[str, str], **spec: Any) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"]["versions"] = versions
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 0}
    data["spec"].update(spec)
    return data


def kinds(objects: list[dict[str, Any]]) -> list[str]:
    return [obj["kind"] for obj in objects]


def subsets(rule: dict[str, Any]) -> list[str]:
    return [subset["name"] for subset in rule["spec"]["subsets"]]


def final(objects: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    """What the target holds after applying the plan in order: the last object of each
    kind and name, as the YAML text written for it."""
    return {(obj["kind"], obj["metadata"]["name"]): yaml.safe_dump(obj) for obj in objects}


def test_adding_a_subset_applies_the_destination_rule_first() -> None:
    before = policy({"stable": "v1"})
    after = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 10})
    objects = plan.plan(before, after, PATH)
    assert kinds(objects) == ["DestinationRule", "VirtualService"]
    assert subsets(objects[0]) == ["v1", "v2"]


def test_removing_a_subset_applies_the_virtual_service_first() -> None:
    before = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 10})
    after = policy({"stable": "v2"})
    objects = plan.plan(before, after, PATH)
    assert kinds(objects) == ["VirtualService", "DestinationRule"]
    vs = objects[0]
    assert {d["destination"]["subset"] for d in vs["spec"]["http"][-1]["route"]} == {"v2"}


def test_a_change_without_new_or_dropped_subsets_keeps_the_render_order() -> None:
    before = policy({"stable": "v1", "canary": "v2"})
    after = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 20},
                   rateLimit={"requests": 5, "per": "1s"})
    objects = plan.plan(before, after, PATH)
    assert kinds(objects) == ["DestinationRule", "VirtualService", "EnvoyFilter"]
    for obj in objects:
        assert validate_object(obj) == []


def test_a_new_document_brings_its_subsets_first() -> None:
    objects = plan.plan(None, policy({"stable": "v1", "canary": "v2"}), PATH)
    assert kinds(objects) == ["DestinationRule", "VirtualService"]


def test_replacing_a_subset_keeps_the_old_one_until_nothing_routes_to_it() -> None:
    before = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 50})
    after = policy({"stable": "v1", "canary": "v3"})
    objects = plan.plan(before, after, PATH)
    assert kinds(objects) == ["DestinationRule", "VirtualService", "DestinationRule"]
    both, vs, rule = objects
    assert subsets(both) == ["v1", "v3", "v2"]
    # each step is safe: the routes before and after find their subsets in force
    (old_vs,) = [o for o in render.render(before, PATH) if o["kind"] == "VirtualService"]
    assert unknown_subsets(old_vs, both) == [] and unknown_subsets(vs, both) == []
    assert unknown_subsets(vs, rule) == []
    assert validate_object(both) == []
    # and what stays is the DestinationRule of the document
    assert subsets(rule) == ["v1", "v3"]
    assert final(objects) == final(render.render(after, PATH))


def test_each_plan_works_on_its_own_copies() -> None:
    data = policy({"stable": "v1", "canary": "v3"})
    before = policy({"stable": "v1", "canary": "v2"}, release={"canaryWeight": 50})
    first = plan.plan(before, data, PATH)
    first[0]["spec"]["subsets"].append({"name": "x", "labels": {"version": "x"}})
    assert subsets(plan.plan(before, data, PATH)[0]) == ["v1", "v3", "v2"]
    assert subsets(render.render(data, PATH)[0]) == ["v1", "v3"]


def _documents(*intents: Any) -> list[dict[str, Any]]:
    text: str | None = None
    found = []
    for intent in intents:
        text = edit.apply(intent, text, "prod", "demo").after_text
        assert text is not None
        found.append(document.plain(text))
    return found


def test_what_is_applied_is_a_function_of_the_document_alone() -> None:
    steps = _documents(Canary("svc-user", "set", 20), Canary("svc-user", "set", 40),
                       Canary("svc-user", "set", 10, "v3"), Canary("svc-user", "promote"),
                       RateLimit("svc-user", "set", 5, "1s"))
    previous: dict[str, Any] | None = None
    for data in steps:
        walked = final(plan.plan(previous, data, PATH))
        assert walked == final(plan.plan(None, data, PATH)) == final(render.render(data, PATH))
        previous = data


def test_no_rendered_object_carries_history() -> None:
    before, after = _documents(Canary("svc-user", "set", 20), Canary("svc-user", "set", 40))
    for obj in plan.plan(before, after, PATH):
        assert not any(key.startswith("argocd.argoproj.io/")
                       for key in obj["metadata"].get("annotations", {}))


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
