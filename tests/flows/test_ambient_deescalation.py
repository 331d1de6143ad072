"""A change that turns a fault off is applied even when the document it replaces can no
longer be rendered: here the alpha fault path of an ambient namespace was switched off on
main while a fault was on, and `/fault svc-user delay off` must still take the fault's
VirtualService out of the cluster."""

from __future__ import annotations

from typing import Any

import yaml

from bot.core.types import Author
from tests.conftest import Govbot

SEEDER = Author("Platform Team", "platform@example.com")


def _configure(govbot: Govbot, faults: str) -> None:
    """dev/demo in ambient mode, with `ambient.faultInjection: <faults>`, merged directly."""
    repo = govbot.app.repo
    config: dict[str, Any] = yaml.safe_load(repo.read("main", "govbot.yaml") or "")
    config["environments"]["dev"]["namespaces"]["demo"]["mesh"] = "ambient"
    config["ambient"] = {"faultInjection": faults}
    old = repo.head("main")
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": text}, SEEDER,
                                     f"ambient faults: {faults}"), old=old)


def _merged(govbot: Govbot, command: str, number: int) -> str:
    opened = govbot.one(command)
    assert opened.ok and f"change #{number} opened" in opened.text, opened.text
    merged = govbot.say(f"/approve {number}", user="bob")
    return "\n".join(event.text for event in merged if hasattr(event, "text"))


def test_turning_a_fault_off_applies_after_its_path_was_closed(govbot: Govbot) -> None:
    _configure(govbot, "alpha")
    govbot.seed("svc-user")
    text = _merged(govbot, "/fault svc-user delay 2s 50%", 1)
    assert "merged" in text and "not applied" not in text, text
    fault_route = govbot.rendered() / "virtualservice-svc-user.yaml"
    assert "fixedDelay" in fault_route.read_text()

    _configure(govbot, "off")
    govbot.app.workflow.sync()  # the fault on main is reported once; its objects stay

    text = _merged(govbot, "/fault svc-user delay off", 2)
    assert "merged" in text and "not applied" not in text, text
    assert "fix the document" not in text, text
    assert not fault_route.exists()
