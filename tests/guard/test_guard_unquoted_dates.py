"""Dates YAML reads from govbot.yaml (an unquoted `from: 2026-12-24`) reach both guards as
their ISO text: the embedded engine and the OPA server decide, and decide alike, with
such a window left out."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.core.types import RuleSet
from bot.guard.embedded import EmbeddedGuard
from bot.guard.server import OpaServerGuard
from tests.support.opa_rest import running

ROOT = Path(__file__).resolve().parents[2]
RAISE: dict[str, Any] = {
    "action": "canary", "actor": {"id": "alice", "groups": ["team"]}, "env": "prod",
    "namespace": "demo", "target": "svc-user", "path": "services/prod/demo/svc-user.yaml",
    "before": None,
    "after": {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy",
              "metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
              "spec": {"release": {"strategy": "canary", "canaryWeight": 10}}},
    "approvals": [], "now": "2026-12-25T10:00:00Z"}


def _rules() -> RuleSet:
    modules = {p.relative_to(ROOT).as_posix(): p.read_text()
               for p in sorted((ROOT / "rego").rglob("*.rego"))}
    config = yaml.safe_load((ROOT / "repo_templates/default/govbot.yaml").read_text())
    access = yaml.safe_load((ROOT / "repo_templates/default/access.yaml").read_text())
    config["environments"]["prod"]["freezes"] = [
        {"name": "year-end", "from": date(2026, 12, 24), "to": date(2027, 1, 2)},
        {"name": "stamped", "from": datetime(2026, 12, 24, 0, 0),
         "to": datetime(2027, 1, 2, 0, 0)}]
    return RuleSet(key="main-dates", modules=modules, config=config, access=access)


def test_both_guards_decide_alike_with_unquoted_dates_in_govbot_yaml() -> None:
    rules = _rules()
    embedded = EmbeddedGuard().decide(rules, RAISE)
    assert not any(m.startswith("[schedule.freeze]") for m in embedded.deny), embedded.deny
    with running() as (_state, url):
        assert OpaServerGuard(url).decide(rules, RAISE) == embedded
