"""No secret value ever gets into a document or a rendered object: every way to hand one
over is refused, and the refusal does not repeat it."""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest

from bot.core.errors import InvalidDocument, UsageError
from policies.apps import deployment, render
from tests.apps.catalogs import DEFAULT_APPS, default_catalog, document


@pytest.fixture
def value() -> str:
    return f"pw-{secrets.token_hex(12)}"


@pytest.mark.parametrize("app", [a for a in DEFAULT_APPS if default_catalog()[a].secret_keys])
def test_a_secret_key_set_like_a_parameter_is_refused_without_its_value(app: str,
                                                                       value: str) -> None:
    entry = default_catalog()[app]
    for key in entry.secret_keys:
        with pytest.raises(UsageError) as refused:
            deployment.build(entry, "prod", "demo", "x", pairs=[(key, value)])
        assert value not in str(refused.value)
        assert refused.value.problem.startswith(f"{key} is {app}'s secret")


@pytest.mark.parametrize("reference", [
    {"value": "{v}"}, {"generate": True, "password": "{v}"}, {"existingSecret": "x",
                                                                "stringData": "{v}"},
    {"externalSecret": {"store": "vault", "key": "k", "value": "{v}"}}, "{v}"])
def test_a_secret_reference_with_a_value_is_refused_by_build_and_by_validate(
        reference: Any, value: str) -> None:
    holding = json.loads(json.dumps(reference).replace("{v}", value))
    with pytest.raises(UsageError) as refused:
        deployment.build(default_catalog()["redis"], "prod", "demo", "x", secret=holding)
    assert value not in str(refused.value)
    data, path = document("redis")
    data["spec"]["secret"] = holding
    problems = deployment.validate(data, path, default_catalog())
    assert problems and all(value not in p for p in problems)
    with pytest.raises(InvalidDocument) as invalid:
        render.render(data, path, default_catalog())
    assert value not in str(invalid.value)


def test_a_value_under_an_unknown_parameter_is_not_repeated(value: str) -> None:
    data, path = document("mysql")
    data["spec"]["parameters"]["root-password"] = value
    problems = deployment.validate(data, path, default_catalog())
    assert len(problems) == 1 and "root-password" in problems[0]
    assert value not in problems[0]


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_rendered_objects_name_secrets_and_never_hold_one(app: str) -> None:
    for mode in default_catalog()[app].modes:
        data, path = document(app, mode=mode)
        objects = render.render(data, path, default_catalog())
        assert all(o["kind"] != "Secret" for o in objects)
        text = json.dumps(objects)
        assert '"stringData"' not in text
        variables = default_catalog()[app].spec.get("secret", {}).get("keys", {}).values()
        for env in _env_entries(objects):
            if env["name"] in variables:
                assert "value" not in env and "secretKeyRef" in env["valueFrom"]


def _env_entries(objects: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [env for o in objects if o["kind"] in ("StatefulSet", "Deployment")
            for c in o["spec"]["template"]["spec"]["containers"] for env in c.get("env", [])]
