"""The template's govbot.yaml sets every limit the guardrails read, and the top-level
keys the whitelist rules need, so a new policy repository shows all of its knobs."""

from __future__ import annotations

from typing import Any

from bot.guard.embedded import compile_engine, policy_modules


def _defaults(modules: dict[str, str]) -> dict[str, Any]:
    engine = compile_engine(policy_modules(modules), {})
    value = engine.eval_document("govbot.lib.config.defaults")
    assert isinstance(value, dict)
    return value


def test_every_environment_of_the_template_sets_every_limit(
    modules: dict[str, str], data: dict[str, Any]
) -> None:
    names = set(_defaults(modules))
    assert {"faultRequireTimebox", "retryBudget", "maxEjectionPercent"} <= names
    for env, settings in data["govbot"]["config"]["environments"].items():
        assert set(settings["limits"]) == names, env
        assert all(ns["maxReplicas"] == 20 for ns in settings["namespaces"].values()), env


def test_prod_is_stricter_than_dev(data: dict[str, Any]) -> None:
    envs = data["govbot"]["config"]["environments"]
    dev, prod = envs["dev"]["limits"], envs["prod"]["limits"]
    assert (dev["faultRequireTimebox"], prod["faultRequireTimebox"]) == (False, True)
    assert (dev["retryBudget"], prod["retryBudget"]) == ("warn", "deny")
    assert prod["faultMaxAbortPercent"] < dev["faultMaxAbortPercent"]
    assert prod["maxEjectionPercent"] < dev["maxEjectionPercent"]


def test_the_template_names_the_trust_domain_and_ingress_gateway(data: dict[str, Any]) -> None:
    config = data["govbot"]["config"]
    assert config["trustDomain"] == "cluster.local"
    assert config["ingressGateway"]["caller"] == "istio-system/istio-ingressgateway"
    assert config["ingressGateway"]["serviceAccount"]
