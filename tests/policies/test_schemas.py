"""The schema helper itself: it accepts what the API server accepts and can fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from policies import render
from policies.document import new_document, plain
from tests.support.schemas import require_schemas, validate_object

HPA: dict[str, Any] = {
    "apiVersion": "autoscaling/v2",
    "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "svc-user", "namespace": "demo"},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "svc-user"},
        "minReplicas": 2,
        "maxReplicas": 10,
        "metrics": [{"type": "Resource", "resource": {
            "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}],
    },
}


def test_a_horizontal_pod_autoscaler_validates() -> None:
    assert (require_schemas() / "apis__autoscaling__v2_openapi.json").is_file()
    assert validate_object(HPA) == []


@pytest.mark.parametrize("path", [("maxReplicas",), ("scaleTargetRef", "name")])
def test_a_broken_autoscaler_fails(path: tuple[str, ...]) -> None:
    broken = copy.deepcopy(HPA)
    node = broken["spec"]
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = {"not": "a scalar"}
    assert validate_object(broken) != []


def test_unknown_fields_kinds_and_bad_metadata_fail() -> None:
    policy = plain(new_document("prod", "demo", "svc-user"))
    policy["spec"]["release"] = {"strategy": "canary", "canaryWeight": 0}
    objects = render.render(policy, "services/prod/demo/svc-user.yaml")
    virtual_service = objects[1]
    assert validate_object(virtual_service) == []
    changes: list[dict[str, Any]] = [
        {"kind": "VirtualServices"},
        {"apiVersion": "networking.istio.io/v2"},
        {"status2": {}},
        {"metadata": {"name": "Svc_User", "namespace": "demo"}},
        {"metadata": {"name": "svc-user"}},
        {"spec": {**virtual_service["spec"], "hostz": ["a"]}},
    ]
    for change in changes:
        assert validate_object({**virtual_service, **change}) != [], change

