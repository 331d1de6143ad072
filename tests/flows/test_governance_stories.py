"""Every governance policy from chat text to rendered objects (issue #3 stories)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import Govbot
from tests.support.schemas import validate_object


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def _merge(govbot: Govbot, text: str, env: str = "dev") -> None:
    """Open a change as alice and approve it as bob (and carol in prod)."""
    suffix = "" if env == "dev" else f" --env {env}"
    opened = govbot.one(text + suffix)
    assert opened.ok and opened.change_id, opened.text
    reply = govbot.one(f"/approve {opened.change_id}", user="bob")
    if env == "prod" and "merged" not in reply.text:  # a de-escalation needs one approval
        reply = govbot.one(f"/approve {opened.change_id}", user="carol")
    assert reply.ok and "merged" in reply.text, reply.text


def _vs(govbot: Govbot, env: str = "dev") -> dict[str, Any]:
    return _load(govbot.rendered(env) / "virtualservice-svc-user.yaml")


def _all_valid(govbot: Govbot, env: str = "dev") -> None:
    for path in govbot.rendered(env).glob("*.yaml"):
        assert validate_object(_load(path)) == [], path


def test_header_route_comes_before_the_weighted_route(govbot: Govbot) -> None:
    _merge(govbot, "/route svc-user header user=w_shenyu -> v2")
    _merge(govbot, "/canary svc-user 20%")
    http = _vs(govbot)["spec"]["http"]
    assert http[0]["match"][0]["headers"]["user"] == {"exact": "w_shenyu"}
    assert [d["destination"]["subset"] for d in http[0]["route"]] == ["v2"]
    weights = [d["weight"] for d in http[-1]["route"]]
    assert weights == [80, 20] and "match" not in http[-1]
    _all_valid(govbot)
    _merge(govbot, "/route svc-user clear")
    assert len(_vs(govbot)["spec"]["http"]) == 1


def test_cookie_route_matches_the_cookie_header(govbot: Govbot) -> None:
    _merge(govbot, "/route svc-user cookie user=w_shenyu -> v2")
    match = _vs(govbot)["spec"]["http"][0]["match"][0]["headers"]["cookie"]
    assert "user=w_shenyu" in match["regex"]
    _all_valid(govbot)


def test_blue_green_switch_moves_all_traffic(govbot: Govbot) -> None:
    _merge(govbot, "/bluegreen svc-user switch")
    route = _vs(govbot)["spec"]["http"][-1]["route"]
    assert {d["destination"]["subset"]: d["weight"] for d in route} == {"v1": 0, "v2": 100}
    _merge(govbot, "/bluegreen svc-user to v1")
    route = _vs(govbot)["spec"]["http"][-1]["route"]
    assert {d["destination"]["subset"]: d["weight"] for d in route} == {"v1": 100, "v2": 0}
    refused = govbot.one("/bluegreen svc-user to v9")
    assert not refused.ok and "v9" in refused.text


def test_circuit_breaker_off_and_on_keep_the_settings(govbot: Govbot) -> None:
    _merge(govbot, "/circuitbreak svc-user 5xx=5 interval=30s eject=30s maxeject=50% maxconn=100")
    dr = _load(govbot.rendered() / "destinationrule-svc-user.yaml")
    assert dr["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5
    assert dr["spec"]["trafficPolicy"]["connectionPool"]["tcp"]["maxConnections"] == 100
    _all_valid(govbot)
    _merge(govbot, "/circuitbreak svc-user off")
    # nothing else needs the DestinationRule of this service: it goes with the breaker
    assert not (govbot.rendered() / "destinationrule-svc-user.yaml").exists()
    _merge(govbot, "/circuitbreak svc-user on")
    dr = _load(govbot.rendered() / "destinationrule-svc-user.yaml")
    assert dr["spec"]["trafficPolicy"]["outlierDetection"]["baseEjectionTime"] == "30s"


def test_whitelist_renders_principals_and_toggles(govbot: Govbot) -> None:
    _merge(govbot, "/whitelist svc-user allow svc-index,shop/svc-cart")
    ap = _load(govbot.rendered() / "authorizationpolicy-svc-user-allow-from.yaml")
    principals = ap["spec"]["rules"][0]["from"][0]["source"]["principals"]
    assert principals == ["cluster.local/ns/demo/sa/svc-index", "cluster.local/ns/shop/sa/svc-cart"]
    assert ap["spec"]["action"] == "ALLOW"
    _all_valid(govbot)
    _merge(govbot, "/whitelist svc-user off")
    assert not (govbot.rendered() / "authorizationpolicy-svc-user-allow-from.yaml").exists()
    _merge(govbot, "/whitelist svc-user on")
    assert (govbot.rendered() / "authorizationpolicy-svc-user-allow-from.yaml").exists()


def test_fault_in_prod_needs_a_time_box(govbot: Govbot) -> None:
    denied = govbot.one("/fault svc-user abort 503 10% --env prod")
    assert not denied.ok and "[faults.prod_timebox]" in denied.text
    _merge(govbot, "/fault svc-user abort 503 10% for 30m", env="prod")
    fault = _vs(govbot, "prod")["spec"]["http"][-1]["fault"]
    assert fault["abort"]["httpStatus"] == 503 and fault["abort"]["percentage"]["value"] == 10
    _all_valid(govbot, "prod")
    _merge(govbot, "/fault svc-user off", env="prod")
    assert not (govbot.rendered("prod") / "virtualservice-svc-user.yaml").exists()


def test_retry_budget_is_denied_in_prod(govbot: Govbot) -> None:
    denied = govbot.one("/timeout svc-user 3s retries 5 per 1s --env prod")
    assert not denied.ok and "[resilience.retry_budget]" in denied.text
    _merge(govbot, "/timeout svc-user 3s retries 2 per 1s on 5xx,reset")
    route = _vs(govbot)["spec"]["http"][-1]
    assert route["timeout"] == "3s"
    assert route["retries"] == {"attempts": 2, "perTryTimeout": "1s", "retryOn": "5xx,reset"}
    _merge(govbot, "/timeout svc-user off")
    assert not (govbot.rendered() / "virtualservice-svc-user.yaml").exists()


def test_autoscaling_renders_an_hpa_within_the_namespace_limit(govbot: Govbot) -> None:
    denied = govbot.one("/scale svc-user min 2 max 50 cpu 70%")
    assert not denied.ok and "[scale.bounds]" in denied.text
    _merge(govbot, "/scale svc-user min 2 max 10 cpu 70%")
    hpa = _load(govbot.rendered() / "horizontalpodautoscaler-svc-user.yaml")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (2, 10)
    _all_valid(govbot)
    _merge(govbot, "/scale svc-user off")
    assert not (govbot.rendered() / "horizontalpodautoscaler-svc-user.yaml").exists()


def test_rollback_is_the_exact_inverse(govbot: Govbot) -> None:
    _merge(govbot, "/canary svc-user 20%")
    _merge(govbot, "/ratelimit svc-user 500/5s")
    original = govbot.app.store.get(2)
    opened = govbot.one("/rollback 2")
    assert opened.ok and opened.change_id == 3, opened.text
    rollback = govbot.app.store.get(3)
    forward = [line for line in original.diff.splitlines() if line[:1] in "+-"][2:]
    inverse = [line for line in rollback.diff.splitlines() if line[:1] in "+-"][2:]
    swapped = sorted(("-" if line[0] == "+" else "+") + line[1:] for line in forward)
    assert sorted(inverse) == swapped
    assert "merged" in govbot.one("/approve 3", user="bob").text
    assert not (govbot.rendered() / "envoyfilter-svc-user-local-ratelimit.yaml").exists()


def test_rollback_of_a_created_document_deletes_it_and_its_objects(govbot: Govbot) -> None:
    _merge(govbot, "/onboard svc-cart")
    _merge(govbot, "/canary svc-cart 20%")
    assert list(govbot.rendered().glob("*svc-cart*"))
    _merge(govbot, "/rollback svc-cart")
    _merge(govbot, "/rollback 1")
    assert "svc-cart" not in govbot.git("ls-tree", "-r", "--name-only", "main")
    assert list(govbot.rendered().glob("*svc-cart*")) == []


def test_rollback_refuses_when_the_document_changed_since(govbot: Govbot) -> None:
    _merge(govbot, "/canary svc-user 20%")
    _merge(govbot, "/canary svc-user 30%")
    refused = govbot.one("/rollback 1")
    assert not refused.ok and "later change" in refused.text


@pytest.mark.parametrize("controller", ["flagger", "argo-rollouts"])
def test_a_controller_owned_service_refuses_weights(govbot: Govbot, controller: str) -> None:
    repo = govbot.app.repo
    path = "services/dev/demo/svc-user.yaml"
    _merge(govbot, "/ratelimit svc-user 500/5s")
    text = repo.read("main", path)
    assert text is not None
    head = repo.head("main")
    from bot.core.types import Author
    new = repo.commit(head, {path: text.replace("spec:\n", f"spec:\n  managedBy: {controller}\n")},
                      Author("Erin", "erin@example.com"), "hand over to the controller")
    repo.set_ref("main", new, old=head)
    refused = govbot.one("/canary svc-user 20%")
    assert not refused.ok and controller.split("-")[0] in refused.text.lower()


def test_policies_lists_every_service_with_its_state(govbot: Govbot) -> None:
    _merge(govbot, "/canary svc-user 20%")
    govbot.seed("svc-cart")
    _merge(govbot, "/ratelimit svc-cart 100/1s")
    reply = govbot.one("/policies")
    assert "svc-user" in reply.text and "svc-cart" in reply.text
    status = govbot.one("/status svc-cart")
    assert "rate limit" in status.text.lower() and "circuit" in status.text.lower()


def test_rolling_back_a_rollback_names_what_it_reapplies(govbot: Govbot) -> None:
    _merge(govbot, "/canary svc-user 20%")
    _merge(govbot, "/canary svc-user 30%")
    _merge(govbot, "/rollback 2")
    opened = govbot.one("/rollback 3")
    assert opened.ok and "rollback #3 (re-applies #2)" in opened.text, opened.text
    assert "merged" in govbot.one("/approve 4", user="bob").text
    route = _vs(govbot)["spec"]["http"][-1]["route"]
    assert [d["weight"] for d in route] == [70, 30]
