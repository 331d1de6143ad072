"""/expose and /unexpose through the console: a reviewed change of `spec.exposed`.

The rendered objects are the renderers' business; these stories assert the document
main holds after each merge, and what is refused before anything is written.
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.core.events import ChangeOpened
from tests.conftest import SEEDER, Govbot

PATH = "services/dev/demo/svc-user.yaml"


def _spec(govbot: Govbot) -> dict[str, Any]:
    text = govbot.git("show", f"main:{PATH}")
    spec = yaml.safe_load(text)["spec"]
    assert isinstance(spec, dict)
    return spec


def _merge(govbot: Govbot, text: str) -> str:
    opened = govbot.one(text)
    assert opened.ok and opened.change_id, opened.text
    reply = govbot.one(f"/approve {opened.change_id}", user="bob")
    assert reply.ok and "merged" in reply.text, reply.text
    return opened.text


def _default_gateway(govbot: Govbot, gateway: str | None) -> None:
    """Main's govbot.yaml with ingressGateway.gateway set (None: without it), as a
    reviewed change would."""
    repo = govbot.app.repo
    old = repo.head("main")
    config = yaml.safe_load(repo.read_many(old, ["govbot.yaml"])["govbot.yaml"] or "")
    config["ingressGateway"].pop("gateway")
    if gateway is not None:
        config["ingressGateway"]["gateway"] = gateway
    text = yaml.safe_dump(config, sort_keys=False)
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": text}, SEEDER, "configure"), old=old)


def test_expose_merges_the_mapping_with_the_default_gateway(govbot: Govbot) -> None:
    asked = govbot.one("/expose svc-user host user.example.com")
    assert isinstance(asked, ChangeOpened), asked
    merged = govbot.one(f"/approve {asked.change_id}", user="bob")
    # the apply line says the route is served at the gateway, not only in the mesh
    assert "applied: VirtualService svc-user (all pods; via istio-system/public for " \
        "user.example.com)" in merged.text, merged.text
    opened = asked.text
    assert "user.example.com via istio-system/public" in opened
    assert _spec(govbot)["exposed"] == {"hosts": ["user.example.com"],
                                        "gateway": "istio-system/public"}
    status = govbot.one("/status svc-user")
    assert "exposed: user.example.com via istio-system/public" in status.text


def test_a_second_host_joins_the_exposure_and_unexpose_removes_it(govbot: Govbot) -> None:
    _merge(govbot, "/expose svc-user host user.example.com gateway edge/public")
    _merge(govbot, "暴露 svc-user host api.example.com")
    assert _spec(govbot)["exposed"] == {"hosts": ["user.example.com", "api.example.com"],
                                        "gateway": "edge/public"}
    _merge(govbot, "取消暴露 svc-user")
    assert "exposed" not in _spec(govbot)
    status = govbot.one("/status svc-user")
    assert "exposed" not in status.text


def test_without_a_default_gateway_the_command_says_how_to_name_one(govbot: Govbot) -> None:
    _default_gateway(govbot, None)
    before = govbot.main()
    refused = govbot.one("/expose svc-user host user.example.com")
    assert not refused.ok
    assert "no gateway" in refused.text and "ingressGateway.gateway" in refused.text
    assert govbot.main() == before and govbot.branches() == ["main"]
    _merge(govbot, "/expose svc-user host user.example.com gateway istio-system/public")
    assert _spec(govbot)["exposed"]["gateway"] == "istio-system/public"


def test_a_url_is_refused_and_nothing_is_written(govbot: Govbot) -> None:
    before = govbot.main()
    refused = govbot.one("/expose svc-user host https://user.example.com/")
    assert not refused.ok and "is a URL" in refused.text
    assert "Traceback" not in refused.text
    assert govbot.main() == before and govbot.branches() == ["main"]


def test_unexposing_a_service_that_is_not_exposed_is_refused(govbot: Govbot) -> None:
    refused = govbot.one("/unexpose svc-user")
    assert not refused.ok and "not exposed" in refused.text
    assert govbot.branches() == ["main"]


def test_exposing_behind_a_whitelist_without_the_gateway_is_denied(govbot: Govbot) -> None:
    _merge(govbot, "/whitelist svc-user allow svc-index")
    denied = govbot.one("/expose svc-user host user.example.com")
    assert not denied.ok and "[access.ingress_removed]" in denied.text
    # the gateway was never on this whitelist: it is added first, not "back"
    assert "add it first with `/whitelist svc-user allow istio-system/istio-ingressgateway`" \
        in denied.text and "add it back" not in denied.text
    _merge(govbot, "/whitelist svc-user allow istio-system/istio-ingressgateway")
    _merge(govbot, "/expose svc-user host user.example.com")
    _merge(govbot, "/unexpose svc-user")
    spec = _spec(govbot)
    assert "exposed" not in spec
    assert "istio-system/istio-ingressgateway" in spec["allowFrom"]["callers"]


def test_a_default_gateway_without_namespace_is_a_configuration_problem(govbot: Govbot) -> None:
    _default_gateway(govbot, "public")
    refused = govbot.one("/expose svc-user host user.example.com")
    assert not refused.ok
    assert "configuration" in refused.text
    assert "ingressGateway.gateway: 'public' has no namespace" in refused.text
    assert govbot.branches() == ["main"]
