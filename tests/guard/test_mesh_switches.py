"""`input.mesh` of a change of govbot.yaml (bot/runners/switches.py), from a real policy
repository: which namespaces the change gives another data plane, what their services
hold, and main's guard denying the switch with the services and sections named."""

from __future__ import annotations

from typing import Any

import yaml

from bot.change import ChangeSet
from bot.core.types import Author
from bot.runners import switches
from policies import intents
from policies.document import new_document, service_path
from tests.conftest import Govbot

SEEDER = Author("Platform Team", "platform@example.com")


def _document(service: str, **spec: Any) -> str:
    data = yaml.safe_load(new_document("dev", "demo", service))
    data["spec"].update(spec)
    return yaml.safe_dump(data, sort_keys=False)


def _seed(govbot: Govbot) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    files: dict[str, str | None] = {
        service_path("dev", "demo", "svc-user"): _document(
            "svc-user", fault={"abort": {"httpStatus": 503, "percent": 10}},
            rateLimit={"enabled": True, "requests": 100, "per": "1s"}),
        service_path("dev", "demo", "svc-order"): _document(
            "svc-order", timeout="2s", retries={"attempts": 2}),
        service_path("dev", "demo", "svc-pay"): _document(
            "svc-pay", rateLimit={"enabled": False, "requests": 100, "per": "1s"}),
        service_path("prod", "demo", "svc-user"): _document(
            "svc-user", fault={"abort": {"httpStatus": 503, "percent": 10}}),
    }
    repo.set_ref("main", repo.commit(old, files, SEEDER, "services with policies"), old=old)


def _switched(govbot: Govbot, **top: Any) -> tuple[str, str]:
    """govbot.yaml on main, and the same with dev/demo in ambient mode and `top`."""
    before = govbot.app.repo.read("main", "govbot.yaml") or ""
    config = yaml.safe_load(before)
    config["environments"]["dev"]["namespaces"]["demo"]["mesh"] = "ambient"
    config.update(top)
    return before, yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def test_the_facts_name_the_switched_namespace_and_what_its_services_hold(
        govbot: Govbot) -> None:
    _seed(govbot)
    before, after = _switched(govbot)
    facts = switches.facts(govbot.app.repo, govbot.main(), "govbot.yaml", before, after)
    assert facts == {"switches": [{
        "env": "dev", "namespace": "demo",
        "from": {"mode": "sidecar", "channel": "standard", "faultInjection": "off"},
        "to": {"mode": "ambient", "channel": "standard", "faultInjection": "off"},
        "services": {"svc-index": [], "svc-order": ["retries"], "svc-pay": [],
                     "svc-user": ["fault", "rateLimit"]}}]}
    # asked again (each approval judges the change again), the answer is the same
    again = switches.facts(govbot.app.repo, govbot.main(), "govbot.yaml", before, after)
    assert again == facts


def test_no_facts_for_other_files_and_no_switch_when_the_planes_stay(govbot: Govbot) -> None:
    repo, main = govbot.app.repo, govbot.main()
    text = repo.read(main, "govbot.yaml")
    assert switches.facts(repo, main, "access.yaml", text, text) is None
    assert switches.facts(repo, main, "govbot.yaml", text, text) == {"switches": []}
    assert switches.facts(repo, main, "govbot.yaml", text, "a: [") is None


def test_main_s_guard_denies_the_switch_naming_services_and_sections(govbot: Govbot) -> None:
    _seed(govbot)
    before, after = _switched(govbot)
    change = ChangeSet("", "", "govbot.yaml", "govbot.yaml", "edit", "dev/demo to ambient",
                       before, after, intents.Rollback())
    decision = govbot.app.workflow.context.decide(change, "bob", ())
    found = [m for m in decision.deny if m.startswith("[mesh.unsupported]")]
    assert len(found) == 1, decision.deny
    assert "svc-order holds retries; svc-user holds fault, rateLimit" in found[0]
    assert "svc-pay" not in found[0] and "svc-index" not in found[0]


def test_a_switch_with_the_capabilities_it_needs_is_not_denied(govbot: Govbot) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {service_path("dev", "demo", "svc-order"): _document(
        "svc-order", timeout="2s", retries={"attempts": 2})}, SEEDER, "svc-order"), old=old)
    before, after = _switched(govbot, gatewayApi={"channel": "experimental"})
    change = ChangeSet("", "", "govbot.yaml", "govbot.yaml", "edit", "dev/demo to ambient",
                       before, after, intents.Rollback())
    decision = govbot.app.workflow.context.decide(change, "bob", ())
    assert not [m for m in decision.deny if m.startswith("[mesh.")], decision.deny
