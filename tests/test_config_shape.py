"""govbot.yaml keys and types: a misspelt key or a block of the wrong type is refused, so
it cannot silently leave a setting (prod's approvals) at a weaker default."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.check import check_repository
from bot.config_checks import config_problems
from bot.scaffold import init_repository

TEMPLATE = Path(__file__).resolve().parents[1] / "repo_templates" / "default"
CONFIG = yaml.safe_load((TEMPLATE / "govbot.yaml").read_text())
ACCESS = yaml.safe_load((TEMPLATE / "access.yaml").read_text())


def _renamed(dotted: str, new: str) -> dict[str, Any]:
    """The template with the key at `dotted` renamed to `new`, its value kept."""
    changed: dict[str, Any] = copy.deepcopy(CONFIG)
    *parents, last = dotted.split(".")
    node = changed
    for key in parents:
        node = node[key]
    node[new] = node.pop(last)
    return changed


def _set(dotted: str, value: Any) -> dict[str, Any]:
    changed: dict[str, Any] = copy.deepcopy(CONFIG)
    *parents, last = dotted.split(".")
    node = changed
    for key in parents:
        node = node.setdefault(key, {})
    node[last] = value
    return changed


def test_a_misspelt_prod_approvals_fails_govbot_check(tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    init_repository(repo)
    text = (repo / "govbot.yaml").read_text()
    prod = text.index("  prod:\n")
    (repo / "govbot.yaml").write_text(
        text[:prod] + text[prod:].replace("    approvals:\n", "    aprovals:\n", 1))
    report = check_repository(repo)
    assert not report.ok
    assert any("environments.prod.aprovals" in p and "did you mean approvals?" in p
               for p in report.problems), report.problems


@pytest.mark.parametrize(("dotted", "new", "meant"), [
    ("environments.prod.approvals", "aprovals", "approvals"),
    ("environments.prod.approvals.required", "requierd", "required"),
    ("environments.prod.approvals.deescalation", "deescalaton", "deescalation"),
    ("environments.prod.limits.canaryMaxStep", "canaryMaxStpe", "canaryMaxStep"),
    ("environments.prod.namespaces.demo.maxReplicas", "maxReplica", "maxReplicas"),
    ("environments.dev.namespaces", "namespace", "namespaces"),
    ("ingressGateway.caller", "caler", "caller"),
    ("governance.approvals", "approval", "approvals"),
    ("templates.approvals", "aproval", "approvals"),
    ("console.defaultUser", "defaultuser", "defaultUser"),
    ("trustDomain", "trustDomian", "trustDomain"),
])
def test_a_misspelt_key_is_named_with_the_one_meant(dotted: str, new: str, meant: str) -> None:
    problems = config_problems(_renamed(dotted, new), ACCESS)
    where = ".".join([*dotted.split(".")[:-1], new])
    assert any(p.startswith(f"govbot.yaml {where}: unknown field") and
               f"did you mean {meant}?" in p for p in problems), problems


@pytest.mark.parametrize("dotted", [
    "environments.prod.cluster.contxt", "environments.prod.apps.alowed",
    "environments.prod.freezes", "events.groupWindw", "events.kinds.rate_limit.threshhold",
    "events.defaultChannel.chanel", "gatewayApi.chanel",
])
def test_every_block_refuses_an_unknown_key(dotted: str) -> None:
    value: Any = [{"name": "x", "from": "2026-12-24 00:00", "to": "2026-12-25 00:00",
                   "timeZon": "UTC"}] if dotted.endswith("freezes") else "x"
    problems = config_problems(_set(dotted, value), ACCESS)
    assert any("unknown" in p for p in problems), problems


def test_a_channel_entry_refuses_an_unknown_key() -> None:
    config = copy.deepcopy(CONFIG)
    config["channels"][0]["namespaces"] = "demo"
    problems = config_problems(config, ACCESS)
    assert any(p.startswith("govbot.yaml channels[0].namespaces: unknown field") and
               "did you mean namespace?" in p for p in problems), problems


def test_a_key_like_nothing_known_gets_no_guess() -> None:
    problems = config_problems(_set("environments.prod.zzz", 1), ACCESS)
    [said] = [p for p in problems if "environments.prod.zzz" in p]
    assert "did you mean" not in said and "known fields here: approvals" in said


@pytest.mark.parametrize(("dotted", "value", "expected"), [
    ("environments.prod.approvals", 7, "not a mapping"),
    ("environments.prod.approvals.from", "sre", "not a list"),
    ("environments.prod.namespaces", ["demo"], "not a mapping"),
    ("environments.prod.limits", "strict", "not a mapping"),
    ("governance.approvals", 2, "not a mapping"),
    ("channels", {"platform": "console"}, "not a list"),
    ("ingressGateway", "istio-system/istio-ingressgateway", "not a mapping"),
    ("ingressGateway.domains", "example.com", "not a list"),
])
def test_a_value_of_the_wrong_type_says_what_is_expected(dotted: str, value: Any,
                                                         expected: str) -> None:
    problems = config_problems(_set(dotted, value), ACCESS)
    said = [p for p in problems if p.startswith(f"govbot.yaml {dotted}:")]
    assert said and expected in said[0] and "like" in said[0], problems


def test_every_documented_block_filled_in_is_clean() -> None:
    """The template's commented examples, uncommented: nothing legitimate is refused."""
    config = copy.deepcopy(CONFIG)
    prod = config["environments"]["prod"]
    prod["cluster"] = {"context": "prod-east", "kubeconfig": "/etc/govbot/kubeconfig"}
    prod["prometheus"] = "http://prometheus.monitoring:9090"
    prod["apps"] = {"allowed": ["redis"], "versions": {"redis": ["7.4.2"]}}
    prod["freezes"] = [{"name": "weekend", "every": "friday 18:00", "until": "monday 08:00",
                        "timeZone": "Asia/Shanghai"}]
    prod["namespaces"]["demo"]["quota"] = {"cpu": 8, "memory": "32Gi", "storage": "500Gi"}
    config["environments"]["dev"]["namespaces"]["demo"]["mesh"] = "ambient"
    config["ingressGateway"]["domains"] = ["example.com"]
    config["gatewayApi"] = {"channel": "standard"}
    config["ambient"] = {"faultInjection": "off"}
    config["events"] = {"defaultChannel": {"platform": "slack", "channel": "C0456"},
                        "groupWindow": "5m",
                        "kinds": {"rate_limit": {"threshold": 10, "severity": "warning"}}}
    assert config_problems(config, ACCESS) == []
