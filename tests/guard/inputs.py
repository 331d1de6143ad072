"""Guard inputs as the runners build them (`bot.guard.input`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from bot.core.types import Decision
from bot.resources import rego_dir, template_dir

_RULE_ID = re.compile(r"^\[([a-z_]+\.[a-z_]+)\] ")


def rego_modules() -> dict[str, str]:
    """Every file of govbot's rego/ as a RuleSet holds it (tests included)."""
    root = rego_dir()
    return {
        f"rego/{p.relative_to(root).as_posix()}": p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.rego"))
    }


def template_yaml(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((template_dir() / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def rule_ids(messages: tuple[str, ...]) -> set[str]:
    """The rule ids of guard messages; every message must start with one."""
    ids = set()
    for message in messages:
        match = _RULE_ID.match(message)
        assert match, f"message without a rule id: {message!r}"
        ids.add(match.group(1))
    return ids


def denied(decision: Decision) -> set[str]:
    return rule_ids(decision.deny)


def policy(weight: int | None, env: str = "dev") -> dict[str, Any]:
    spec: dict[str, Any] = {"port": 8080, "selector": {"app": "svc-user"}}
    if weight is not None:
        spec["release"] = {"strategy": "canary", "canaryWeight": weight}
    meta = {"name": "svc-user", "namespace": "demo", "env": env}
    return {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "metadata": meta, "spec": spec}


def canary_input(
    env: str,
    before: int | None,
    after: int,
    requester: str = "alice",
    approvals: tuple[str, ...] = (),
) -> Mapping[str, Any]:
    """The input the workflow builds for `/canary svc-user <after>%` in <env>/demo."""
    return {
        "action": "canary",
        "actor": {"id": requester, "groups": []},
        "env": env,
        "namespace": "demo",
        "target": "svc-user",
        "path": f"services/{env}/demo/svc-user.yaml",
        "before": None if before is None else policy(before, env),
        "after": policy(after, env),
        "approvals": [{"by": by, "at": "2026-11-27T10:05:00Z"} for by in approvals],
        "now": "2026-11-27T10:00:00Z",
    }


def service(env: str = "dev", **spec: Any) -> dict[str, Any]:
    """A full ServicePolicy of svc-user in <env>/demo with `spec` on top of the required
    fields (port, selector, versions v1/v2), as policies.document.plain returns it."""
    full: dict[str, Any] = {
        "port": 8080,
        "selector": {"app": "svc-user"},
        "versions": {"stable": "v1", "canary": "v2"},
        **spec,
    }
    meta = {"name": "svc-user", "namespace": "demo", "env": env}
    return {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy", "metadata": meta, "spec": full}


def change_input(
    action: str,
    env: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    approvals: tuple[str, ...] = (),
    now: str = "2026-11-27T10:00:00Z",
) -> dict[str, Any]:
    """The input the workflow builds when alice's `action` turns `before` into `after`."""
    return {
        "action": action,
        "actor": {"id": "alice", "groups": []},
        "env": env,
        "namespace": "demo",
        "target": "svc-user",
        "path": f"services/{env}/demo/svc-user.yaml",
        "before": before,
        "after": after,
        "approvals": [{"by": by, "at": "2026-11-27T10:05:00Z"} for by in approvals],
        "now": now,
    }
