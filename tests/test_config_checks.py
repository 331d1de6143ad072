"""govbot.yaml and access.yaml validation as `govbot check` runs it."""

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


def test_the_template_is_clean() -> None:
    assert config_problems(CONFIG, ACCESS) == []


def test_a_cluster_per_environment_is_clean() -> None:
    config = _with(CONFIG, "environments.prod.cluster",
                   {"context": "prod-east", "kubeconfig": "/etc/govbot/kubeconfig"})
    assert config_problems(_with(config, "environments.dev.cluster", {"context": "dev"}),
                           ACCESS) == []


def test_a_prometheus_per_environment_is_clean() -> None:
    config = _with(CONFIG, "environments.prod.prometheus", "http://prometheus.monitoring:9090")
    assert config_problems(_with(config, "environments.dev.prometheus",
                                 "https://metrics.example.com/prom"), ACCESS) == []


def test_events_settings_are_clean() -> None:
    events = {"defaultChannel": {"platform": "slack", "channel": "C0456"},
              "groupWindow": "10m",
              "kinds": {"rate_limit": {"threshold": 10, "severity": "warning"},
                        "alert": {"severity": "critical"}}}
    assert config_problems(_with(CONFIG, "events", events), ACCESS) == []


def _with(document: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = dotted.split(".")
    node = changed
    for key in parents:
        node = node[key]
    node[last] = value
    return changed


@pytest.mark.parametrize(("dotted", "value", "named"), [
    ("environments.prod.approvals.required", "two", "approvals.required"),
    ("environments.prod.approvals.from", ["nobody"], "'nobody'"),
    ("environments.prod.limits.canaryMaxStep", -5, "canaryMaxStep"),
    ("environments.prod.limits.faultMaxDuration", "soon", "faultMaxDuration"),
    ("environments.prod.limits.retryBudget", "Deny", "retryBudget"),
    ("environments.prod.limits.blueGreenSwitch", "yes", "blueGreenSwitch"),
    ("environments.prod.approvals.deescalation", {"required": "one"},
     "approvals.deescalation.required"),
    ("environments.prod.approvals.deescalation", {"from": ["nobody"]}, "'nobody'"),
    ("environments.prod.approvals.deescalation", "sre", "approvals.deescalation"),
    ("environments.prod.limits.canaryMaxStpe", 5, "canaryMaxStpe: unknown field"),
    ("environments.dev.namespaces.demo.maxReplicas", 0, "maxReplicas"),
    ("console.defaultUser", "nobody", "defaultUser"),
    ("environments.prod.limits.timeoutMin", "2m", "timeoutMax"),
    ("clusterDomain", "bad domain!", "clusterDomain"),
    ("environments.prod.cluster", "prod-east", "environments.prod.cluster"),
    ("environments.prod.cluster", {"kubeconfig": "/etc/kc"}, "cluster.context"),
    ("environments.prod.cluster", {"context": 7}, "cluster.context"),
    ("environments.prod.cluster", {"context": "prod-east", "kubeconfig": ["a"]},
     "cluster.kubeconfig"),
    ("environments.prod.cluster", {"context": "prod-east", "namespace": "x"},
     "cluster.namespace: unknown"),
    ("environments.prod.prometheus", "prometheus:9090", "environments.prod.prometheus"),
    ("environments.prod.prometheus", 9090, "environments.prod.prometheus"),
    ("environments.prod.prometheus", "http://user:pw@prom:9090", "credentials"),
    ("events", "slack", "events: not a mapping"),
    ("events", {"defaultChannel": {"platform": "teams", "channel": "C1"}},
     "events.defaultChannel.platform"),
    ("events", {"defaultChannel": {"platform": "slack", "channel": "*"}},
     "events.defaultChannel.channel"),
    ("events", {"groupWindow": "soon"}, "events.groupWindow"),
    ("events", {"kinds": {"circuit_breaker": {"threshold": 3}}},
     "events.kinds.circuit_breaker: unknown kind"),
    ("events", {"kinds": {"rate_limit": {"threshold": 0}}}, "rate_limit.threshold"),
    ("events", {"kinds": {"rate_limit": {"severity": "loud"}}}, "rate_limit.severity"),
    ("events", {"group_window": "5m"}, "events.group_window: unknown"),
])
def test_each_config_problem_names_its_field(dotted: str, value: Any, named: str) -> None:
    problems = config_problems(_with(CONFIG, dotted, value), ACCESS)
    assert problems and all(p.startswith("govbot.yaml") for p in problems)
    assert any(named in p for p in problems), problems


@pytest.mark.parametrize(("dotted", "value", "named"), [
    ("groups.team", ["alice", "zed"], "'zed'"),
    ("grants", [{"group": "ghosts", "envs": ["dev"], "namespaces": ["*"], "can": ["request"]}],
     "grants[0]"),
    ("grants", [{"group": "sre", "envs": ["qa"], "namespaces": ["*"], "can": ["merge"]}],
     "'merge'"),
    ("people.bob.ids.console", "alice", "alice and bob share the console identity"),
    ("people.govbot", {"name": "Go Bot", "email": "go@example.com"}, "'govbot' is the name"),
])
def test_each_access_problem_names_its_field(dotted: str, value: Any, named: str) -> None:
    problems = config_problems(CONFIG, _with(ACCESS, dotted, value))
    assert any(named in p for p in problems), problems


def test_a_repository_with_its_own_limits_passes_and_strays_fail(tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    init_repository(repo)
    config = yaml.safe_load((repo / "govbot.yaml").read_text())
    config["environments"]["prod"]["approvals"]["required"] = 3
    config["environments"]["prod"]["limits"]["canaryMaxStep"] = 10
    (repo / "govbot.yaml").write_text(yaml.safe_dump(config))
    report = check_repository(repo)
    assert report.ok, report.problems
    stray = repo / "services" / "qa" / "demo" / "svc-user.yaml"
    stray.parent.mkdir(parents=True)
    stray.write_text("apiVersion: govbot.dev/v1\nkind: ServicePolicy\nmetadata:\n"
                     "  name: svc-user\n  namespace: demo\n  env: qa\nspec:\n  port: 8080\n"
                     "  selector:\n    app: svc-user\n  versions:\n    stable: v1\n")
    report = check_repository(repo)
    assert any("services/qa/demo/svc-user.yaml" in p and "'qa'" in p for p in report.problems)


@pytest.mark.parametrize(("dotted", "required", "able"), [
    ("environments.prod.approvals", 4, 3),                  # sre: bob, carol, dave
    ("environments.prod.approvals.deescalation", 4, 3),
    ("environments.dev.approvals", 4, 3),                   # anyone with approve in dev
    ("governance.approvals", 4, 3),
])
def test_more_approvals_than_approvers_is_an_error(dotted: str, required: int,
                                                    able: int) -> None:
    assert config_problems(_with(CONFIG, f"{dotted}.required", required - 1), ACCESS) == []
    problems = config_problems(_with(CONFIG, f"{dotted}.required", required), ACCESS)
    (problem,) = problems
    assert problem.startswith(f"govbot.yaml {dotted}.required:")
    assert f"{required} approvals" in problem and f"only {able} people" in problem
    env = dotted.split(".")[1] if dotted.startswith("environments") else "the guardrails"
    assert env in problem


def test_approvers_are_counted_where_their_grant_applies() -> None:
    access = _with(ACCESS, "grants", [
        {"group": "sre", "envs": ["dev"], "namespaces": ["*"], "can": ["request", "approve"]},
        {"person": "alice", "envs": ["*"], "namespaces": ["demo"], "can": ["approve"]},
    ])
    problems = config_problems(CONFIG, access)
    # prod takes two of sre, and sre approves only in dev; alice is in no `from` group
    assert any("environments.prod.approvals.required" in p and "only 0 people" in p
               for p in problems), problems
    assert not any("environments.dev" in p for p in problems), problems


def test_a_zero_group_window_says_it_groups_nothing() -> None:
    [problem] = config_problems(_with(CONFIG, "events", {"groupWindow": "0s"}), ACCESS)
    assert "groups nothing" in problem and "events.groupWindow" in problem


def test_apps_allowed_per_environment_and_a_namespace_quota_are_clean() -> None:
    config = _with(CONFIG, "environments.prod.apps",
                   {"allowed": ["redis", "mysql"], "versions": {"redis": ["7.4.2"]}})
    config = _with(config, "environments.prod.namespaces.demo.quota",
                   {"cpu": 8, "memory": "32Gi", "storage": "500Gi"})
    assert config_problems(config, ACCESS) == []


@pytest.mark.parametrize(
    ("path", "value", "said"),
    [
        ("environments.prod.apps", ["redis"], "environments.prod.apps: not a mapping"),
        ("environments.prod.apps", {"allow": ["redis"]}, "apps.allow: unknown field"),
        ("environments.prod.apps", {"allowed": "redis"}, "apps.allowed: 'redis'"),
        ("environments.prod.apps", {"versions": {"redis": "7.4.2"}}, "versions.redis: '7.4.2'"),
        ("environments.prod.namespaces.demo.quota", {"cpu": "8 cores"}, "quota.cpu: '8 cores'"),
        ("environments.prod.namespaces.demo.quota", {"gpu": 1}, "quota.gpu: unknown field"),
        ("environments.prod.namespaces.demo.quota", {}, "quota: not a mapping"),
    ],
)
def test_bad_apps_and_quota_settings_are_named(path: str, value: Any, said: str) -> None:
    problems = config_problems(_with(CONFIG, path, value), ACCESS)
    assert len(problems) == 1 and said in problems[0], problems
