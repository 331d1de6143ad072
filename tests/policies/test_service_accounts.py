"""A whitelist names each caller by the service account its own document gives: the
documents of the environment come in through the render context, built by
`policies.render_security.service_accounts`."""

from __future__ import annotations

from typing import Any

from policies import document, render
from policies.edit import apply
from policies.intents import Whitelist
from policies.render_security import service_accounts

PATH = "services/prod/demo/svc-user.yaml"


def _document(env: str, namespace: str, service: str, account: str | None) -> dict[str, Any]:
    data = document.plain(document.new_document(env, namespace, service))
    if account is not None:
        data["spec"]["serviceAccount"] = account
    return data


def _principals(context: render.RenderContext) -> list[str]:
    text = apply(Whitelist("svc-user", "allow", ("svc-index", "ops/svc-admin", "svc-cart")),
                 None, "prod", "demo").after_text
    assert text is not None
    (policy,) = render.render(document.plain(text), PATH, context)
    principals: list[str] = policy["spec"]["rules"][0]["from"][0]["source"]["principals"]
    return principals


def test_a_caller_is_named_by_the_account_of_its_own_document() -> None:
    documents = {
        "services/prod/demo/svc-index.yaml": _document("prod", "demo", "svc-index", "index-sa"),
        "services/prod/ops/svc-admin.yaml": _document("prod", "ops", "svc-admin", "admin"),
        "services/prod/demo/svc-cart.yaml": _document("prod", "demo", "svc-cart", None),
        # the same service in dev says nothing about prod
        "services/dev/demo/svc-cart.yaml": _document("dev", "demo", "svc-cart", "dev-only"),
    }
    accounts = service_accounts(documents, "prod")
    assert accounts == {"demo/svc-index": "index-sa", "ops/svc-admin": "admin"}
    assert _principals(render.RenderContext(service_accounts=accounts)) == [
        "cluster.local/ns/demo/sa/index-sa", "cluster.local/ns/ops/sa/admin",
        "cluster.local/ns/demo/sa/svc-cart"]
    assert service_accounts(documents, "dev") == {"demo/svc-cart": "dev-only"}


def test_without_documents_a_caller_is_named_by_its_service() -> None:
    assert _principals(render.RenderContext(service_accounts=service_accounts({}, "prod"))) == [
        "cluster.local/ns/demo/sa/svc-index", "cluster.local/ns/ops/sa/svc-admin",
        "cluster.local/ns/demo/sa/svc-cart"]


def test_odd_documents_give_no_account() -> None:
    documents: dict[str, Any] = {
        "services/prod/demo/a.yaml": {"spec": {"serviceAccount": 7}},
        "services/prod/demo/b.yaml": {"spec": None},
        "services/prod/demo/c.yaml": "text",
        "elsewhere/d.yaml": {"spec": {"serviceAccount": "x"}},
    }
    assert service_accounts(documents, "prod") == {}
