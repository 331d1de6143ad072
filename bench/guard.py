"""Guard figures: the time of one decision with the full guardrail set of a generated
repository's main (`MainRules.at`), on the embedded engine and through the OPA-server
adapter against the local OPA REST server the guard tests use (tests/support/opa_rest.py).

The inputs are the sample inputs under rego/samples/, taken in turn; the first round of
each engine (compiling, uploading) is not counted.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.generate import generate
from bot.core.types import RuleSet
from bot.guard import Guard
from bot.guard.embedded import EmbeddedGuard
from bot.guard.server import OpaServerGuard
from bot.repo.git import PolicyRepo
from bot.resources import rego_dir
from bot.rules import MainRules
from tests.support.opa_rest import running


@dataclass(frozen=True)
class GuardTimings:
    embedded_s: list[float]
    server_s: list[float]
    inputs: int


def samples() -> list[Mapping[str, Any]]:
    found = []
    for path in sorted((rego_dir() / "samples").glob("*.json")):
        found.append(json.loads(path.read_text(encoding="utf-8"))["input"])
    return found


def main_rules() -> RuleSet:
    with tempfile.TemporaryDirectory(prefix="govbot-bench-") as tmp:
        repo_path = Path(tmp) / "policy.git"
        generate(repo_path, services=10)
        repo = PolicyRepo(repo_path)
        rules, _config = MainRules(repo).at(repo.head("main"))
    return rules


def _timed(guard: Guard, rules: RuleSet, inputs: list[Mapping[str, Any]],
           rounds: int) -> list[float]:
    for item in inputs:
        guard.decide(rules, item)
    timings: list[float] = []
    for _ in range(rounds):
        for item in inputs:
            started = time.perf_counter()
            guard.decide(rules, item)
            timings.append(time.perf_counter() - started)
    return timings


def decisions(rounds: int, server_rounds: int, limit: int | None = None) -> GuardTimings:
    """Timings of `rounds` passes over the sample inputs on the embedded engine and of
    `server_rounds` through the OPA server; only the first `limit` inputs when given."""
    rules = main_rules()
    inputs = samples()[:limit]
    embedded = _timed(EmbeddedGuard(), rules, inputs, rounds)
    with running() as (_state, url):
        server = _timed(OpaServerGuard(url), rules, inputs, server_rounds)
    return GuardTimings(embedded, server, len(inputs))
