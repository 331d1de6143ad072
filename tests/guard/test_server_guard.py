"""The OPA-server guard against a local server speaking OPA's REST API: it gives the same
decisions as the embedded engine on every sample input, and reloads rules when main's
guardrails change."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.core.errors import ConfigError, TransientError
from bot.core.types import RuleSet
from bot.guard import Measured, build
from bot.guard.embedded import EmbeddedGuard
from bot.guard.server import OpaServerGuard
from tests.support.opa_rest import running

ROOT = Path(__file__).resolve().parents[2]


def _rules(key: str = "main-1", **limits: Any) -> RuleSet:
    modules = {p.relative_to(ROOT).as_posix(): p.read_text()
               for p in sorted((ROOT / "rego").rglob("*.rego"))}
    config = yaml.safe_load((ROOT / "repo_templates/default/govbot.yaml").read_text())
    access = yaml.safe_load((ROOT / "repo_templates/default/access.yaml").read_text())
    for env in config["environments"].values():
        env.setdefault("limits", {}).update(limits)
    return RuleSet(key=key, modules=modules, config=config, access=access)


def _samples() -> list[Path]:
    return sorted((ROOT / "rego" / "samples").glob("*.json"))


def test_server_and_embedded_engines_agree_on_every_sample() -> None:
    rules = _rules()
    embedded = EmbeddedGuard()
    assert _samples()
    with running() as (_state, url):
        server = OpaServerGuard(url)
        for sample in _samples():
            data = json.loads(sample.read_text())
            assert server.decide(rules, data["input"]) == embedded.decide(rules, data["input"]), \
                sample.name


def test_rules_are_uploaded_once_per_key_and_stale_policies_removed() -> None:
    sample = json.loads((_samples()[0]).read_text())["input"]
    with running() as (state, url):
        guard = OpaServerGuard(url)
        guard.decide(_rules(), sample)
        guard.decide(_rules(), sample)
        uploads = [r for r in state.requests if r[0] == "PUT" and r[1].startswith("/v1/policies")]
        assert uploads and len(uploads) == len(set(uploads))
        state.policies["govbot/rego/rules/retired.rego"] = "package govbot.rules.retired\n"
        guard.decide(_rules("main-2"), sample)
        assert "govbot/rego/rules/retired.rego" not in state.policies
        assert not any(p.endswith("_test.rego") for p in state.policies)


def test_limits_from_main_change_the_server_decision() -> None:
    jump: dict[str, Any] = {
            "action": "canary", "actor": {"id": "alice", "groups": ["team"]}, "env": "prod",
            "namespace": "demo", "target": "svc-user", "path": "services/prod/demo/svc-user.yaml",
            "before": None,
            "after": {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy",
                      "metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
                      "spec": {"release": {"strategy": "canary", "canaryWeight": 40}}},
            "approvals": [], "now": "2026-11-27T10:00:00Z"}
    with running() as (_state, url):
        guard = OpaServerGuard(url)
        assert any(m.startswith("[release.max_step]") for m in guard.decide(_rules(), jump).deny)
        relaxed = guard.decide(_rules("main-2", canaryMaxStep=50), jump)
        assert not any(m.startswith("[release.max_step]") for m in relaxed.deny)


def test_an_unreachable_server_is_a_transient_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    guard = OpaServerGuard(f"http://127.0.0.1:{port}", timeout=0.5)
    with pytest.raises((TransientError, ConfigError)):
        guard.decide(_rules(), {})


def test_build_needs_a_url() -> None:
    with pytest.raises(ConfigError, match="GOVBOT_OPA_URL"):
        build("opa")
    with pytest.raises(ConfigError, match="http"):
        build("opa", "opa:8181")
    guard = build("opa", "http://127.0.0.1:8181")
    assert isinstance(guard, Measured) and isinstance(guard.engine, OpaServerGuard)
