"""A concern that skips its rules for a change it does not judge skips nothing it would deny.

Some concerns (faults, traffic, scale, exposure, resilience, apps, access) export `deny`
and `warn` as their full sets, `denials` and `warnings`, only when the change is one
their rules judge (`relevant`), and as empty sets otherwise, so a decision need not
evaluate them for every change. Over a corpus — every sample of rego/samples/ (each
policy kind, each concern), each also reversed, as a creation, as a deletion, asked by
govbot and approved, plus documents of odd shapes — the decision must be the one the
full evaluation gives: every concern's full sets, gated or not, aggregated.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from bot.core.types import RuleSet
from bot.guard.embedded import RegoEngine, compile_engine, policy_modules, rule_data
from bot.guard.regotest import sample_data
from bot.resources import rego_dir

from .inputs import rego_modules, service, template_yaml

PACKAGE = re.compile(r"^package govbot\.rules\.([a-z_]+)\s*$", re.M)
GATED = ("access", "apps", "exposure", "faults", "resilience", "scale", "traffic")


def concerns(modules: Mapping[str, str]) -> dict[str, dict[str, str]]:
    """Per concern, which document holds its full deny and warn sets: `denials` and
    `warnings` where it gates them, else `deny` and `warn` (absent: none)."""
    found: dict[str, dict[str, str]] = {}
    for source in policy_modules(modules).values():
        match = PACKAGE.search(source)
        if match is None:
            continue
        heads = set(re.findall(r"^(deny|denials|warn|warnings)\b", source, re.M))
        full: dict[str, str] = {}
        for kind, gated in (("deny", "denials"), ("warn", "warnings")):
            if gated in heads:
                full[kind] = gated
            elif kind in heads:
                full[kind] = kind
        found[match.group(1)] = full
    return found


def samples() -> list[tuple[str, dict[str, Any]]]:
    return [(p.stem, json.loads(p.read_text(encoding="utf-8")))
            for p in sorted((rego_dir() / "samples").glob("*.json"))]


def variants(name: str, change: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The change itself and what a change of the same documents can also be."""
    yield name, change
    yield f"{name}/reversed", {**change, "before": change.get("after"),
                               "after": change.get("before")}
    if change.get("after") is not None:
        yield f"{name}/created", {**change, "before": None}
    if change.get("before") is not None:
        yield f"{name}/deleted", {**change, "after": None}
    yield f"{name}/by-govbot", {**change, "actor": {"id": "govbot", "groups": []}}
    yield f"{name}/approved", {**change, "approvals": [
        {"by": "bob", "at": "2026-11-27T10:05:00Z"},
        {"by": change.get("actor", {}).get("id", ""), "at": "2026-11-27T10:06:00Z",
         "break_glass": True, "reason": "INC-1"}]}


def odd_shapes() -> Iterator[tuple[str, dict[str, Any]]]:
    """Documents a hand-written pull request may hold, against a full one."""
    full = service("prod", fault={"abort": {"percent": 90, "status": 503}},
                   rateLimit={"enabled": True, "requests": 0, "per": "1ms"},
                   timeout="100s", retries={"attempts": 9, "perTryTimeout": "50s"},
                   circuitBreaker={"maxEjectionPercent": 100}, autoscale={"min": 0, "max": 99},
                   allowFrom={"enabled": True, "callers": []},
                   exposed={"hosts": ["x.elsewhere.example"]})
    for label, spec in (("list", [1, 2]), ("text", "spec"), ("null", None), ("empty", {})):
        odd = copy.deepcopy(full)
        odd["spec"] = spec
        for direction, before, after in (("to", full, odd), ("from", odd, full)):
            yield f"odd/{label}/{direction}", {
                "action": "sync", "actor": {"id": "alice", "groups": ["team"]}, "env": "prod",
                "namespace": "demo", "target": "svc-user",
                "path": "services/prod/demo/svc-user.yaml", "before": before, "after": after,
                "approvals": [], "now": "2026-11-27T10:00:00Z"}


def corpus() -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
    cases = []
    for name, sample in samples():
        for label, change in variants(name, sample["input"]):
            cases.append((label, change, sample.get("config")))
    cases.extend((label, change, None) for label, change in odd_shapes())
    return cases


CORPUS = corpus()


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return RuleSet("main-1", rego_modules(), template_yaml("govbot.yaml"),
                   template_yaml("access.yaml"))


class Judge:
    """Evaluates, in one query, the decision and every concern's full sets (and the gated
    ones' `deny` and `warn`) with one set of modules."""

    def __init__(self, modules: Mapping[str, str], rules: RuleSet) -> None:
        self.modules = policy_modules(modules)
        self.data = rule_data(rules.config, rules.access)
        self.concerns = concerns(modules)
        self.query = "; ".join(
            [f"{name}__{kind} := data.govbot.rules.{name}.{doc}"
             for name, full in sorted(self.concerns.items()) for kind, doc in full.items()]
            + [f"{name}__gated_{kind} := data.govbot.rules.{name}.{kind}"
               for name in GATED if name in self.concerns for kind in self.concerns[name]]
            + ["decision := data.govbot.decision"])
        self.engines: dict[str, RegoEngine] = {}

    def evaluate(self, change: Mapping[str, Any],
                 config: Mapping[str, Any] | None) -> dict[str, Any]:
        key = json.dumps(config or {}, sort_keys=True)
        if key not in self.engines:
            self.engines[key] = compile_engine(self.modules, sample_data(self.data, config))
        (found,) = self.engines[key].eval_query(self.query, change)
        return found

    def mismatches(self, found: Mapping[str, Any]) -> list[str]:
        """How the decision, or a gated concern, differs from the full evaluation."""
        wrong = [f"{name}.{kind} differs from the full set"
                 for name in GATED for kind in self.concerns.get(name, {})
                 if sorted(found[f"{name}__gated_{kind}"]) != sorted(found[f"{name}__{kind}"])]
        for kind in ("deny", "warn"):
            full = sorted({msg for name, docs in self.concerns.items() if kind in docs
                           for msg in found[f"{name}__{kind}"]})
            if full != found["decision"][kind]:
                wrong.append(f"decision {kind} {found['decision'][kind]} != full {full}")
        return wrong


@pytest.fixture(scope="module")
def judge(rules: RuleSet) -> Judge:
    return Judge(rules.modules, rules)


@pytest.fixture(scope="module")
def outcomes(judge: Judge) -> list[tuple[str, dict[str, Any]]]:
    return [(label, judge.evaluate(change, config)) for label, change, config in CORPUS]


def test_the_corpus_holds_every_policy_kind_and_every_gated_concern(
    judge: Judge, outcomes: list[tuple[str, dict[str, Any]]]
) -> None:
    actions = {change["action"] for _, change, _ in CORPUS}
    assert {"canary", "ratelimit", "fault", "timeout", "circuitbreak", "whitelist",
            "scale", "bluegreen", "deploy", "expire"} <= actions
    assert set(GATED) <= set(judge.concerns)
    for name in GATED:
        assert any(found[f"{name}__deny"] or found.get(f"{name}__warn")
                   for _, found in outcomes), f"no change of the corpus makes {name} deny or warn"


def test_decisions_are_those_of_the_full_evaluation(
    judge: Judge, outcomes: list[tuple[str, dict[str, Any]]]
) -> None:
    wrong = {label: found for label, outcome in outcomes
             if (found := judge.mismatches(outcome))}
    assert not wrong


def test_a_gate_that_skips_a_relevant_change_is_caught(rules: RuleSet) -> None:
    source = rules.modules["rego/rules/faults.rego"]
    gate = 'relevant if change.touches({"fault"})'
    assert gate in source
    narrowed = {**rules.modules, "rego/rules/faults.rego":
                source.replace(gate, 'relevant if change.touches({"timeout"})')}
    judge = Judge(narrowed, rules)
    wrong = [label for label, change, config in CORPUS
             if judge.mismatches(judge.evaluate(change, config))]
    assert any(label.startswith("fault_prod_") for label in wrong)


def test_a_person_named_govbot_is_refused_whatever_the_change(rules: RuleSet) -> None:
    access = copy.deepcopy(dict(rules.access))
    access["people"]["govbot"] = {"name": "Not govbot", "ids": {"console": "govbot"}}
    judge = Judge(rules.modules, RuleSet("main-2", rules.modules, rules.config, access))
    by_govbot = [(label, judge.evaluate(change, config))
                 for label, change, config in CORPUS if label.endswith("/by-govbot")]
    assert all("[access.reserved_person]" in " ".join(found["decision"]["deny"])
               for _, found in by_govbot)
    wrong = {label: found for label, outcome in by_govbot
             if (found := judge.mismatches(outcome))}
    assert not wrong
