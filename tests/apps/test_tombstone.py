"""The tombstone `/undeploy <name> purge` leaves: valid, rendering nothing, naming the
labels of exactly the app's volume claims; anything else beside `purge` is refused."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.errors import InvalidDocument
from policies.apps import deployment, render
from tests.apps.catalogs import default_catalog

PATH = "apps/prod/demo/cache.yaml"


def tombstone(**spec: Any) -> dict[str, Any]:
    return {"apiVersion": "govbot.dev/v1", "kind": "AppDeployment",
            "metadata": {"name": "cache", "namespace": "demo", "env": "prod"},
            "spec": spec}


def test_a_tombstone_is_valid_renders_nothing_and_names_its_claims() -> None:
    data = tombstone(app="redis", purge=True)
    assert deployment.validate(data, PATH, default_catalog()) == []
    assert deployment.is_tombstone(data)
    assert render.render(data, PATH, default_catalog()) == []
    assert render.purged(data) == {"app.kubernetes.io/name": "redis",
                                   "app.kubernetes.io/instance": "cache"}


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ({"app": "redis", "purge": "yes"}, "spec.purge"),
        ({"app": "redis", "purge": True, "version": "7.4.2"}, "spec.version: unknown field"),
        ({"app": "redsi", "purge": True}, "spec.app"),
    ],
)
def test_anything_else_in_a_tombstone_is_refused(spec: dict[str, Any], said: str) -> None:
    problems = deployment.validate(tombstone(**spec), PATH, default_catalog())
    assert any(said in p for p in problems), problems
    with pytest.raises(InvalidDocument):
        render.render(tombstone(**spec), PATH, default_catalog())


def test_a_running_app_is_not_a_tombstone() -> None:
    data = tombstone(app="redis", version="7.4.2", parameters={}, secret={"generate": True})
    assert not deployment.is_tombstone(data) and render.purged(data) is None
