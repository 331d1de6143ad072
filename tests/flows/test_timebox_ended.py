"""A time box that ended before its change was approved is refused by the guardrails
(`[timebox.ended]`): the change stays open and nothing is applied; a /rollback of
govbot's revert of an ended time box is refused the same way. Embedded default with an
injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import App, build
from bot.core.events import Event
from bot.core.types import Command
from bot.settings import Settings
from policies.document import new_document, plain, service_path
from tests.conftest import SEEDER

PATH = service_path("dev", "demo", "svc-user")
ASKED = datetime(2026, 11, 27, 10, 30, 0, tzinfo=UTC)


class Bot:
    def __init__(self, home: Path) -> None:
        self.clock = [ASKED]
        self.app: App = build(Settings.from_env({"GOVBOT_HOME": str(home)}),
                              clock=lambda: self.clock[0])

    def say(self, text: str, user: str = "alice") -> str:
        events: list[Event] = self.app.workflow.handle(Command("console", user, "console", text))
        return "\n".join(e.text for e in events)

    def at(self, seconds: int) -> None:
        self.clock[0] = ASKED + timedelta(seconds=seconds)

    def rate_limit(self) -> object:
        repo = self.app.repo
        return plain(repo.read("main", PATH) or "", PATH)["spec"].get("rateLimit")


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    bot = Bot(tmp_path / "home")
    repo = bot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {PATH: new_document("dev", "demo", "svc-user")},
                                     SEEDER, "svc-user governed"), old=old)
    yield bot
    bot.app.close()


def test_a_time_box_that_ended_before_approval_is_refused_and_stays_open(bot: Bot) -> None:
    assert "change #1 opened" in bot.say("/ratelimit svc-user 100/1s for 2s")
    bot.at(4)
    answer = bot.say("/approve 1", "bob")
    assert "[timebox.ended]" in answer, answer
    assert "ended at 2026-11-27 10:30:02 UTC before it was approved" in answer, answer
    assert "/reject 1" in answer and "incident" not in answer, answer
    assert bot.app.store.get(1).state == "open"
    assert bot.rate_limit() is None
    bot.app.workflow.sweep()
    assert bot.app.store.get(1).state == "open" and bot.rate_limit() is None


def test_a_rollback_of_the_revert_of_an_ended_time_box_is_refused(bot: Bot) -> None:
    assert "change #1 opened" in bot.say("/ratelimit svc-user 100/1s for 2s")
    bot.at(1)
    assert "merged" in bot.say("/approve 1", "bob")
    assert bot.rate_limit() is not None
    bot.at(3)
    bot.app.workflow.expire_due()
    assert bot.rate_limit() is None, "govbot's revert is not blocked"
    assert bot.app.store.get(2).state == "merged", "#2 is govbot's revert"
    answer = bot.say("/rollback 2")
    assert "[timebox.ended]" in answer and "incident" not in answer, answer
    assert bot.rate_limit() is None
