"""The Rego test runner: the embedded engine has none, so govbot lists the tests itself.

`run_rego_tests` finds the `test_*` rules of every `*_test.rego` module from its source
(the package line and the rule heads), compiles all modules in one engine and evaluates
each test package as one document: a test rule that is true passes, one that is absent
(undefined) or has another value fails. `run_samples` runs the
sample inputs of `rego/samples/*.json` through `data.govbot.decision` and compares the
outcome with the sample's `expect`. `govbot check DIR` calls both.

Example:
    results = run_rego_tests(modules, rule_data(config, access))
    failed = [r for r in results if not r.passed]
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.core.errors import ConfigError
from bot.guard.embedded import (
    DECISION,
    RegoEngine,
    compile_engine,
    is_test_module,
    opa,
    policy_modules,
)

_PACKAGE = re.compile(r"^package\s+([A-Za-z_][\w.]*)", re.MULTILINE)
# Rule heads start a line; `test_x if {`, `test_x if <expr>`, and the old `test_x {`.
_TEST_HEAD = re.compile(r"^(test_\w+)\s*(?:\bif\b|\{)", re.MULTILINE)
_RULE_ID = re.compile(r"^\[([a-z_]+\.[a-z_]+)\]")
_UNDEFINED = object()


@dataclass(frozen=True)
class RegoTestResult:
    """One test rule or sample: e.g. name "govbot.rules.release_test.test_large_jump"."""

    name: str
    file: str
    passed: bool
    error: str = ""


@dataclass(frozen=True)
class _Test:
    name: str
    file: str


def list_tests(source: str) -> list[str]:
    """The full names of the test rules of one `*_test.rego` source, in order, each once
    (e.g. "govbot.rules.release_test.test_large_jump_is_denied")."""
    package = _PACKAGE.search(source)
    if package is None:
        return []
    return [f"{package.group(1)}.{rule}" for rule in dict.fromkeys(_TEST_HEAD.findall(source))]


def run_rego_tests(
    modules: Mapping[str, str], data: Mapping[str, Any] | None = None
) -> list[RegoTestResult]:
    """Evaluate every test rule of `modules` with `data` (the whole data document, e.g.
    `rule_data(config, access)`); a module that does not compile fails every test."""
    rego = {p: s for p, s in modules.items() if p.endswith(".rego")}
    tests = [
        _Test(name, path)
        for path in sorted(rego)
        if is_test_module(path)
        for name in list_tests(rego[path])
    ]
    try:
        engine = compile_engine(rego, data or {})
    except ConfigError as error:
        return _all_failed(tests, sorted(rego), str(error))
    return [r for package in _by_package(tests) for r in _run_package(engine, package)]


def _by_package(tests: list[_Test]) -> list[list[_Test]]:
    packages: dict[str, list[_Test]] = {}
    for test in tests:
        packages.setdefault(test.name.rsplit(".", 1)[0], []).append(test)
    return list(packages.values())


def _run_package(engine: RegoEngine, tests: list[_Test]) -> list[RegoTestResult]:
    """Evaluate a test package as one document: a failing test is simply absent from it.

    Preparing a query costs far more than evaluating it, so one query per package beats
    one per test; a runtime error in any test sends the package down the slow path, so
    that the error is charged to that test alone.
    """
    bindings = opa()
    package = tests[0].name.rsplit(".", 1)[0]
    try:
        document = engine.eval_document(package)
    except bindings.OpaUndefinedError:
        document = {}
    except bindings.OpaError:
        return [_run_one(engine, test) for test in tests]
    if not isinstance(document, dict):
        document = {}
    return [_judge(test, document.get(test.name.rsplit(".", 1)[1], _UNDEFINED)) for test in tests]


def _run_one(engine: RegoEngine, test: _Test) -> RegoTestResult:
    bindings = opa()
    try:
        value = engine.eval_document(test.name)
    except bindings.OpaUndefinedError:
        value = _UNDEFINED
    except bindings.OpaError as error:
        return RegoTestResult(test.name, test.file, False, error.message)
    return _judge(test, value)


def _judge(test: _Test, value: Any) -> RegoTestResult:
    if value is True:
        return RegoTestResult(test.name, test.file, True)
    if value is _UNDEFINED:
        return RegoTestResult(test.name, test.file, False, "undefined: a condition did not hold")
    return RegoTestResult(test.name, test.file, False, f"evaluated to {json.dumps(value)}")


def run_samples(
    modules: Mapping[str, str], data: Mapping[str, Any], samples_dir: str | Path
) -> list[RegoTestResult]:
    """Run each `samples_dir/*.json` ({"input": …, "expect": {"allow": bool,
    "deny_ids": [...]}}, optionally "warn_ids", "approvals_required",
    "approvals_valid") through `data.govbot.decision`, as the guard would. A sample may
    carry a "config" of its own, laid over govbot.yaml (a freeze window, say), so that
    it decides the same in every policy repository."""
    paths = sorted(Path(samples_dir).glob("*.json"))
    tests = [_Test(f"samples.{p.stem}", str(p)) for p in paths]
    try:
        engines = {"": compile_engine(policy_modules(modules), data)}
    except ConfigError as error:
        return _all_failed(tests, sorted(policy_modules(modules)), str(error))

    def engine_for(config: Mapping[str, Any] | None) -> RegoEngine:
        key = json.dumps(config, sort_keys=True) if config else ""
        if key not in engines:
            engines[key] = compile_engine(policy_modules(modules), sample_data(data, config))
        return engines[key]

    return [_run_sample(engine_for, test) for test in tests]


def sample_data(data: Mapping[str, Any], config: Mapping[str, Any] | None) -> dict[str, Any]:
    """`data` with a sample's `config` laid over `data.govbot.config`, mapping by mapping."""
    govbot = dict(data.get("govbot") or {})
    govbot["config"] = _laid_over(govbot.get("config") or {}, config or {})
    return {**data, "govbot": govbot}


def _laid_over(base: Any, over: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(over, Mapping):
        return {**base, **{k: _laid_over(base.get(k), v) for k, v in over.items()}}
    return over


def _run_sample(engine_for: Callable[[Mapping[str, Any] | None], RegoEngine],
                test: _Test) -> RegoTestResult:
    bindings = opa()
    try:
        sample = json.loads(Path(test.file).read_text(encoding="utf-8"))
        engine = engine_for(sample.get("config"))
        decision = engine.eval_document(DECISION, sample["input"])
        expect = sample["expect"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        return RegoTestResult(test.name, test.file, False, f"reading the sample: {error!r}")
    except ConfigError as error:
        return RegoTestResult(test.name, test.file, False, str(error))
    except bindings.OpaError as error:
        return RegoTestResult(test.name, test.file, False, error.message)
    problems = _compare(expect, decision)
    return RegoTestResult(test.name, test.file, not problems, "; ".join(problems))


def _compare(expect: Mapping[str, Any], decision: Mapping[str, Any]) -> list[str]:
    """What differs between a sample's expectation and the decision."""
    problems = []
    got = {
        "allow": decision.get("allow"),
        "deny_ids": rule_ids(decision.get("deny", [])),
        "warn_ids": rule_ids(decision.get("warn", [])),
        "approvals_required": decision.get("approvals_required"),
        "approvals_valid": decision.get("approvals_valid"),
    }
    for key, value in expect.items():
        if key not in got:
            problems.append(f"unknown expectation {key!r}")
            continue
        wanted = sorted({i.strip("[]") for i in value}) if key.endswith("_ids") else value
        if got[key] != wanted:
            problems.append(f"{key}: expected {wanted!r}, got {got[key]!r}")
    return problems


def rule_ids(messages: list[str]) -> list[str]:
    """The sorted, distinct rule ids (`release.max_step`) that messages start with."""
    ids = {m.group(1) for msg in messages if (m := _RULE_ID.match(msg))}
    return sorted(ids)


def _all_failed(tests: list[_Test], files: list[str], error: str) -> list[RegoTestResult]:
    if not tests:
        # Nothing to list, yet the run must not look green.
        return [RegoTestResult("compile", ", ".join(files), False, error)]
    return [RegoTestResult(t.name, t.file, False, error) for t in tests]
