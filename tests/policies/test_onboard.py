"""/onboard makes a service's document, once; `closest` suggests a known service; the
template ships the demo services' documents."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from bot.resources import template_dir
from policies import document, kinds
from policies.edit import apply
from policies.intents import Onboard, from_json, to_json


def test_onboard_with_defaults_writes_the_document_a_new_service_gets() -> None:
    edit = apply(Onboard("svc-cart"), None, "prod", "demo")
    assert edit.after_text == document.new_document("prod", "demo", "svc-cart")
    assert edit.summary == ("onboard svc-cart: port 8080, stable version v1, canary v2, "
                            "service account svc-cart")


def test_onboard_writes_the_pods_port_only_when_it_is_not_the_port() -> None:
    edit = apply(Onboard("svc-cart", 80, target_port="http"), None, "prod", "demo")
    assert edit.after_text is not None
    spec = document.plain(edit.after_text)["spec"]
    assert list(spec)[:2] == ["port", "targetPort"] and spec["targetPort"] == "http"
    assert edit.summary.startswith("onboard svc-cart: port 80 (pods on http), ")
    same = apply(Onboard("svc-cart", 80, target_port=80), None, "prod", "demo").after_text
    assert same is not None and "targetPort" not in document.plain(same)["spec"]
    assert from_json(to_json(Onboard("svc-cart", 80, target_port="http"))) == \
        Onboard("svc-cart", 80, target_port="http")


def test_onboard_writes_what_it_is_given() -> None:
    edit = apply(Onboard("svc-cart", 9090, ("v3", "v4"), "cart"), None, "prod", "demo")
    assert edit.after_text is not None
    spec = document.plain(edit.after_text)["spec"]
    assert spec == {"port": 9090, "selector": {"app": "svc-cart"}, "serviceAccount": "cart",
                    "versions": {"stable": "v3", "canary": "v4"}}
    one = apply(Onboard("svc-cart", versions=("v3",)), None, "prod", "demo").after_text
    assert one is not None and document.plain(one)["spec"]["versions"] == {"stable": "v3"}
    assert from_json(to_json(Onboard("svc-cart", 9090, ("v3", "v4"), "cart"))) == \
        Onboard("svc-cart", 9090, ("v3", "v4"), "cart")


def test_onboard_refuses_a_service_that_has_a_document() -> None:
    text = document.new_document("prod", "demo", "svc-cart")
    with pytest.raises(UserError) as raised:
        apply(Onboard("svc-cart"), text, "prod", "demo")
    assert "already has a policy document" in str(raised.value)


@pytest.mark.parametrize("versions", [("v1", "v1"), ("v1", "v2", "v3"), ()])
def test_onboard_refuses_odd_versions(versions: tuple[str, ...]) -> None:
    with pytest.raises(UserError):
        apply(Onboard("svc-cart", versions=versions), None, "prod", "demo")


def test_onboard_is_a_kind_that_creates_and_owns_no_section() -> None:
    assert kinds.of(Onboard("svc-cart")) is kinds.ONBOARD
    assert kinds.ONBOARD.creates and kinds.ONBOARD.sections == ()
    assert [kind.action for kind in kinds.KINDS if kind.creates] == ["onboard"]


def test_closest_suggests_a_known_name() -> None:
    known = ["svc-user", "svc-pay", "svc-order", "svc-index"]
    assert document.closest("svc-usr", known) == "svc-user"
    assert document.closest("svc-oder", known) == "svc-order"
    assert document.closest("billing", known) is None
    assert document.closest("svc-user", []) is None


DEMO = ("svc-user", "svc-pay", "svc-order", "svc-index")


@pytest.mark.parametrize("env", ["dev", "prod"])
@pytest.mark.parametrize("service", DEMO)
def test_the_template_ships_the_demo_services(env: str, service: str) -> None:
    path = document.service_path(env, "demo", service)
    text = (template_dir() / path).read_text(encoding="utf-8")
    assert text.startswith(f"# Governance policy of {service} in {env}/demo.\n")
    data = document.plain(text, path)
    assert document.validate(data, path) == []
    assert data["spec"]["versions"] == {"stable": "v1", "canary": "v2"}
    assert set(data["spec"]) == {"port", "selector", "versions"}  # nothing enabled
