"""Governance events for the funnel's tests, and govbot.yaml edits on main."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import yaml

from bot.core.events import GovernanceEvent
from bot.core.types import Author
from tests.conftest import FIXED_NOW, Govbot

PLATFORM_TEAM = Author("Platform Team", "platform@example.com")


def event(service: str = "svc-user", kind: str = "circuit_break", *, env: str = "prod",
          namespace: str = "demo", at: datetime | None = None, ago: float = 60.0,
          count: int = 1, code: int | None = 503, caller: str = "svc-order",
          **fields: Any) -> GovernanceEvent:
    """An event `ago` seconds before the tests' fixed clock (or at `at`)."""
    return GovernanceEvent(kind, env, namespace, service,
                           at or FIXED_NOW - timedelta(seconds=ago), count=count, code=code,
                           source_service=caller, source_namespace=namespace if caller else "",
                           **fields)


def configure(govbot: Govbot, **changes: Any) -> None:
    """Set top-level keys of govbot.yaml on main, as a reviewed pull request would."""
    repo = govbot.app.repo
    config = yaml.safe_load(repo.read("main", "govbot.yaml") or "")
    config.update(changes)
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": yaml.safe_dump(config)},
                                     PLATFORM_TEAM, "govbot.yaml for events"), old=old)


def channels(*bindings: tuple[str, str, str, str]) -> list[dict[str, str]]:
    return [{"platform": p, "channel": c, "env": e, "namespace": n} for p, c, e, n in bindings]
