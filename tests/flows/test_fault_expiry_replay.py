"""A time-boxed fault keeps the expiry it was asked with, whatever happens after.

The expiry is resolved once, when the command is given; a replay on a moved main, later
on the clock, must yield the same document — and so keep the approvals given to it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

from bot.app import build
from bot.core.types import Author, Command
from bot.settings import Settings

ASKED = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
PATH = "services/prod/demo/svc-user.yaml"


def test_a_replayed_30m_fault_keeps_its_expiry_and_its_approvals(tmp_path: Path) -> None:
    clock = [ASKED]
    app = build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home")}),
                clock=lambda: clock[0])

    def say(text: str, user: str) -> str:
        events = app.workflow.handle(Command("console", user, "console", text))
        return "\n".join(e.text for e in events)

    try:
        assert "opened" in say("/fault svc-user abort 503 5% for 30m --env prod", "alice")
        assert "1 of 2" in say("/approve 1", "bob")
        # main moves (an unrelated document), and time passes before the second approval
        old = app.repo.head("main")
        app.repo.set_ref("main", app.repo.commit(old, {"services/prod/demo/svc-pay.yaml": None,
                                                       "NOTES.md": "moved\n"},
                                                 Author("Erin", "erin@example.com"), "notes"),
                         old=old)
        clock[0] = ASKED + timedelta(minutes=7)
        merged = say("/approve 1", "carol")
        assert "merged" in merged and "no longer count" not in merged, merged
        document = yaml.safe_load(app.repo.read("main", PATH) or "")
        expires = str(document["spec"]["fault"]["expires"])
        assert expires.startswith("2026-11-27T10:30:00"), expires
        trailers = app.repo.message("main")
        assert "Approved-by: bob" in trailers and "Approved-by: carol" in trailers
    finally:
        app.close()
