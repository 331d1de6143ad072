"""The Rego tests of rego/, run through govbot's own runner, and the runner itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.guard.regotest import list_tests, run_rego_tests, run_samples
from bot.resources import rego_dir

CONCERNS = (
    "authorization",
    "review",
    "release",
    "traffic",
    "faults",
    "resilience",
    "access",
    "scale",
    "apps",
    "mesh",
    "exposure",
)


def test_every_rego_test_passes(modules: dict[str, str], data: dict[str, Any]) -> None:
    results = run_rego_tests(modules, data)
    assert len(results) > 120
    failed = [f"{r.file}: {r.name}: {r.error}" for r in results if not r.passed]
    assert not failed


def test_each_concern_has_a_rule_file_and_tests(
    modules: dict[str, str], data: dict[str, Any]
) -> None:
    names = [r.name for r in run_rego_tests(modules, data)]
    for concern in CONCERNS:
        assert f"rego/rules/{concern}.rego" in modules
        assert f"rego/rules/{concern}_test.rego" in modules
        ours = [n for n in names if n.startswith(f"govbot.rules.{concern}_test.test_")]
        assert len(ours) >= 5, concern


def test_results_name_their_file(modules: dict[str, str], data: dict[str, Any]) -> None:
    results = run_rego_tests(modules, data)
    release = [r for r in results if r.name.startswith("govbot.rules.release_test.")]
    assert release
    assert {r.file for r in release} == {"rego/rules/release_test.rego"}


def test_a_weakened_rule_makes_its_tests_fail(
    modules: dict[str, str], data: dict[str, Any]
) -> None:
    source = modules["rego/rules/release.rego"]
    assert "risk.moved > max_step" in source
    weakened = {**modules,
                "rego/rules/release.rego": source.replace("risk.moved > max_step", "false")}
    failed = {r.name for r in run_rego_tests(weakened, data) if not r.passed}
    assert "govbot.rules.release_test.test_large_jump_is_denied" in failed
    assert "govbot.rules.release_test.test_promote_from_below_the_step_is_denied" in failed
    assert "govbot.rules.release_test.test_blue_green_switch_in_prod_needs_the_opt_in" in failed


FAILING = """package govbot.extra_test

import rego.v1

test_wrong if {
	1 == 2
}

test_right if {
	count([1, 2]) == 2
}

test_runtime_error if {
	object.get(input.doc, "a", 0) == 0 with input as {"doc": null}
}
"""


def test_a_failing_test_is_reported_failed(modules: dict[str, str], data: dict[str, Any]) -> None:
    extended = {**modules, "rego/extra_test.rego": FAILING}
    results = {r.name: r for r in run_rego_tests(extended, data)}
    assert not results["govbot.extra_test.test_wrong"].passed
    assert results["govbot.extra_test.test_right"].passed
    errored = results["govbot.extra_test.test_runtime_error"]
    assert not errored.passed
    assert "object.get" in errored.error
    # A failing test costs only itself.
    assert results["govbot.rules.release_test.test_large_jump_is_denied"].passed


def test_a_syntax_error_fails_every_test_with_the_error(
    modules: dict[str, str], data: dict[str, Any]
) -> None:
    broken = {**modules, "rego/rules/release.rego": modules["rego/rules/release.rego"] + "\ndeny {"}
    results = run_rego_tests(broken, data)
    assert len(results) == len(run_rego_tests(modules, data))
    assert all(not r.passed for r in results)
    assert all("release.rego" in r.error for r in results)


def test_a_compile_error_without_tests_is_still_a_failure() -> None:
    results = run_rego_tests({"rego/x.rego": "package x\n\nimport rego.v1\n\ny := count(1, 2)\n"})
    assert len(results) == 1
    assert not results[0].passed
    assert "x.rego" in results[0].error


def test_listing_finds_test_rule_heads_only() -> None:
    source = """package govbot.rules.demo_test

import rego.v1

test_block if {
	true
}

test_one_line if true

test_old_style {
	true
}

test_block if {
	false
}

# test_commented if {
helper if {
	test_inner := 1
	test_inner == 1
}
"""
    assert list_tests(source) == [
        "govbot.rules.demo_test.test_block",
        "govbot.rules.demo_test.test_one_line",
        "govbot.rules.demo_test.test_old_style",
    ]
    assert list_tests("test_orphan if true\n") == []


def test_samples_pass_on_the_template_data(modules: dict[str, str], data: dict[str, Any]) -> None:
    results = run_samples(modules, data, rego_dir() / "samples")
    assert len(results) >= 5
    assert [r.name for r in results if not r.passed] == []


def _sample(input: dict[str, Any], expect: dict[str, Any]) -> str:
    return json.dumps({"input": input, "expect": expect})


def test_a_sample_with_a_wrong_expectation_fails(
    modules: dict[str, str], data: dict[str, Any], tmp_path: Path
) -> None:
    source = json.loads((rego_dir() / "samples" / "canary_prod_jump.json").read_text())
    (tmp_path / "right.json").write_text(_sample(source["input"], source["expect"]))
    (tmp_path / "wrong.json").write_text(_sample(source["input"], {"allow": True, "deny_ids": []}))
    (tmp_path / "odd.json").write_text(_sample(source["input"], {"colour": "blue"}))
    (tmp_path / "garbled.json").write_text("{not json")
    results = {r.name: r for r in run_samples(modules, data, tmp_path)}
    assert results["samples.right"].passed
    assert not results["samples.wrong"].passed
    assert "deny_ids" in results["samples.wrong"].error
    assert not results["samples.odd"].passed
    assert not results["samples.garbled"].passed


def test_samples_fail_when_the_guardrails_do_not_compile(
    modules: dict[str, str], data: dict[str, Any]
) -> None:
    broken = {**modules, "rego/govbot.rego": "package govbot\n\ndecision := {"}
    results = run_samples(broken, data, rego_dir() / "samples")
    assert results
    assert all(not r.passed and "govbot.rego" in r.error for r in results)


def test_an_exposure_by_hosts_that_is_not_counted_makes_its_tests_fail(
    modules: dict[str, str], data: dict[str, Any]
) -> None:
    source = modules["rego/rules/access.rego"]
    assert "count(value.hosts) > 0" in source
    weakened = {**modules,
                "rego/rules/access.rego": source.replace("count(value.hosts) > 0", "false")}
    failed = {r.name for r in run_rego_tests(weakened, data) if not r.passed}
    ours = "govbot.rules.access_test.test_"
    assert f"{ours}exposing_hosts_behind_a_whitelist_without_the_gateway_is_denied" in failed
    assert f"{ours}removing_the_gateway_of_a_service_exposed_by_hosts_is_denied" in failed
    assert f"{ours}removing_the_gateway_of_an_exposed_service_is_denied" not in failed
