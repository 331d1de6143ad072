"""A time-boxed fault leaves what the apply target holds when its time is up, through
the periodic sweep and at the next start, without waiting for another change."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from bot.app import build
from bot.core.types import Command
from bot.settings import Settings
from tests.conftest import FIXED_NOW


def test_an_expired_fault_is_taken_out_of_the_applied_manifests(tmp_path: Path) -> None:
    clock = [FIXED_NOW]
    app = build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home")}),
                clock=lambda: clock[0])
    rendered = tmp_path / "home" / "rendered" / "dev" / "demo" / "virtualservice-svc-user.yaml"

    def say(text: str, user: str = "alice") -> None:
        assert all(e.ok for e in app.workflow.handle(Command("console", user, "console", text)))

    try:
        say("/canary svc-user 20%")
        say("/approve 1", "bob")
        say("/fault svc-user abort 503 5% for 30m")
        say("/approve 2", "bob")
        assert "fault" in yaml.safe_load(rendered.read_text())["spec"]["http"][-1]
        clock[0] = FIXED_NOW + timedelta(minutes=29)
        assert app.workflow.sweep() == []  # not yet
        clock[0] = FIXED_NOW + timedelta(minutes=31)
        swept = app.workflow.sweep()
        assert [e.text.split(":")[0] for e in swept] == ["fault ended, applied"], swept
        assert "fault" not in yaml.safe_load(rendered.read_text())["spec"]["http"][-1]
        assert app.workflow.sweep() == []  # once
    finally:
        app.close()
