"""govbot.yaml's data-plane settings as `govbot check` reads them: a namespace's `mesh`,
`gatewayApi.channel` and `ambient.faultInjection` (docs/ambient.md)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.check import check_config
from bot.config import RepoConfig
from bot.config_checks import config_problems
from policies.mesh import AMBIENT, EXPERIMENTAL, Mesh

TEMPLATE = Path(__file__).resolve().parents[1] / "repo_templates" / "default"
CONFIG = yaml.safe_load((TEMPLATE / "govbot.yaml").read_text())
ACCESS = yaml.safe_load((TEMPLATE / "access.yaml").read_text())


def _with(**settings: Any) -> dict[str, Any]:
    """The template's govbot.yaml with prod/demo's mesh and top-level blocks set."""
    config: dict[str, Any] = copy.deepcopy(CONFIG)
    if "mesh" in settings:
        config["environments"]["prod"]["namespaces"]["demo"]["mesh"] = settings.pop("mesh")
    config.update(settings)
    return config


def test_every_valid_setting_is_clean_and_read_as_written() -> None:
    config = _with(mesh="ambient", gatewayApi={"channel": "experimental"},
                   ambient={"faultInjection": "alpha"})
    assert config_problems(config, ACCESS) == []
    assert RepoConfig.parse(config, ACCESS).mesh("prod", "demo") == Mesh(
        AMBIENT, EXPERIMENTAL, alpha_faults=True)


def test_a_bare_off_is_the_default_fault_path() -> None:
    config = yaml.safe_load("ambient:\n  faultInjection: off\n")  # YAML 1.1: false
    assert config_problems(_with(**config), ACCESS) == []


@pytest.mark.parametrize(("settings", "field", "said"), [
    ({"mesh": "istio"}, "environments.prod.namespaces.demo.mesh", "'istio' is not one of"),
    ({"mesh": True}, "environments.prod.namespaces.demo.mesh", "sidecar, ambient"),
    ({"gatewayApi": {"channel": "beta"}}, "gatewayApi.channel", "standard, experimental"),
    ({"gatewayApi": {"chanel": "standard"}}, "gatewayApi.chanel", "unknown"),
    ({"gatewayApi": "experimental"}, "gatewayApi", "not a mapping"),
    ({"ambient": {"faultInjection": "beta"}}, "ambient.faultInjection", "off, alpha"),
    ({"ambient": {"faultInjection": True}}, "ambient.faultInjection", "off, alpha"),
    ({"ambient": {"waypoint": "demo/waypoint"}}, "ambient.waypoint", "unknown"),
])
def test_each_mistake_names_its_field_the_choices_and_an_example(
        settings: dict[str, Any], field: str, said: str) -> None:
    problems = config_problems(_with(**settings), ACCESS)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"govbot.yaml {field}:")
    assert said in problems[0]
    assert "like" in problems[0]  # an example of what is meant


def _checked(tmp_path: Path, govbot_yaml: str) -> list[str]:
    """What `govbot check` says of govbot.yaml's text, beside the template's access.yaml."""
    (tmp_path / "govbot.yaml").write_text(govbot_yaml, encoding="utf-8")
    (tmp_path / "access.yaml").write_text((TEMPLATE / "access.yaml").read_text(),
                                          encoding="utf-8")
    return check_config(tmp_path).problems


TEXT = (TEMPLATE / "govbot.yaml").read_text()


@pytest.mark.parametrize("word", ["on", "yes", "True"])
def test_a_word_yaml_reads_as_true_is_quoted_as_written(tmp_path: Path, word: str) -> None:
    problems = _checked(tmp_path, TEXT + f"ambient:\n  faultInjection: {word}\n")
    assert len(problems) == 1, problems
    read = "" if word == "True" else " (read as true)"
    assert problems[0].startswith(
        f"govbot.yaml ambient.faultInjection: {word}{read} is not one of off, alpha"), problems


def test_a_bare_off_where_the_word_is_meant_is_told_to_be_quoted(tmp_path: Path) -> None:
    text = TEXT.replace("retryBudget: warn", "retryBudget: off", 1)
    assert text != TEXT
    (problem,) = _checked(tmp_path, text)
    assert problem.startswith("govbot.yaml environments.dev.limits.retryBudget: off (read as "
                              "false) is not one of warn, deny, off"), problem
    assert 'quote it to keep the word: "off"' in problem
    assert _checked(tmp_path, TEXT.replace("retryBudget: warn", 'retryBudget: "off"', 1)) == []


def test_a_key_given_twice_is_refused_with_both_lines(tmp_path: Path) -> None:
    text = TEXT.replace("        # mesh: ambient\n",
                        "        mesh: sidecar\n        mesh: ambient\n", 1)
    assert text != TEXT
    lines = text.splitlines()
    first = lines.index("        mesh: sidecar") + 1
    problems = _checked(tmp_path, text)
    assert problems == [f"govbot.yaml: line {first + 1}: environments.dev.namespaces.demo.mesh "
                        f"is given twice (first on line {first}); YAML keeps only the last one, "
                        "so delete the one you do not mean"]
