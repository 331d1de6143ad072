"""An object's name never depends on which other sections are on: turning one policy on
or off never renames, deletes or recreates the objects of another."""

from __future__ import annotations

import copy
import itertools
from typing import Any

import pytest

from policies import document, plan, render

PATH = "services/prod/demo/svc-user.yaml"

# Each policy section on, and what turning it off leaves in the document.
ON: dict[str, Any] = {
    "release": {"strategy": "canary", "canaryWeight": 20},
    "routes": [{"match": {"cookie": {"name": "user", "value": "w_shenyu"}}, "to": "v2"}],
    "rateLimit": {"enabled": True, "requests": 5, "per": "1s",
                  "match": {"headers": {"user": {"exact": "a"}}}},
    "circuitBreaker": {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
                       "baseEjectionTime": "30s"},
    "allowFrom": {"enabled": True, "callers": ["svc-index"]},
    "fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 10}},
    "timeout": "3s",
    "retries": {"attempts": 2, "perTryTimeout": "1s"},
    "autoscale": {"enabled": True, "min": 1, "max": 3},
}
OFF: dict[str, Any] = {
    key: {**value, "enabled": False} for key, value in ON.items()
    if isinstance(value, dict) and "enabled" in value}

# The one name each kind of object has for svc-user, whatever else is on.
NAMES = {
    "VirtualService": "svc-user", "DestinationRule": "svc-user",
    "EnvoyFilter": "svc-user-local-ratelimit", "AuthorizationPolicy": "svc-user-allow-from",
    "HorizontalPodAutoscaler": "svc-user",
}


def _data(sections: dict[str, Any]) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"].update(copy.deepcopy(sections))
    return data


def _objects(sections: dict[str, Any]) -> set[tuple[str, str]]:
    return {(obj["kind"], obj["metadata"]["name"]) for obj in render.render(_data(sections), PATH)}


def _states(key: str) -> list[dict[str, Any]]:
    """The other section absent, on and (where it has one) off."""
    return [{}, {key: ON[key]}] + ([{key: OFF[key]}] if key in OFF else [])


@pytest.mark.parametrize(("mine", "other"), list(itertools.permutations(ON, 2)))
def test_another_policy_never_touches_my_objects(mine: str, other: str) -> None:
    alone = _objects({mine: ON[mine]})
    for state in _states(other):
        with_other = _objects({mine: ON[mine], **state})
        assert alone <= with_other, (mine, state)
        for kind, name in with_other:
            assert NAMES[kind] == name
    # toggling the other one is a change that keeps my objects under their names
    for before, after in itertools.permutations(_states(other), 2):
        planned = plan.plan(_data({mine: ON[mine], **before}), _data({mine: ON[mine], **after}),
                            PATH)
        assert alone <= {(obj["kind"], obj["metadata"]["name"]) for obj in planned}


def test_every_section_on_names_each_object_once() -> None:
    objects = render.render(_data(ON), PATH)
    assert sorted((obj["kind"], obj["metadata"]["name"]) for obj in objects) == sorted(
        NAMES.items())
