"""A change freeze (封网) end to end, on the embedded default with the template's
access.yaml: during a prod window a canary raise is denied naming the window, an abort
is not, an approved change waits and merges by itself after the window, and /freeze
lists the window.

The window is written to main's govbot.yaml, as a reviewed change would; the clock is
the one injected into the app, moved by the test.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.app import App, build
from bot.core.events import Event
from bot.core.types import Author, Command
from bot.settings import Settings
from policies.document import new_document, service_path

SEEDER = Author("Platform Team", "platform@example.com")
# Wednesday 2026-11-25 10:00 UTC is 18:00 in Shanghai; the window holds 19:00-20:00 there.
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
WINDOW = {"name": "db-migration", "from": "2026-11-25 19:00", "to": "2026-11-25 20:00",
          "timeZone": "Asia/Shanghai"}
WINDOW_STARTS = datetime(2026, 11, 25, 11, 0, tzinfo=UTC)
WINDOW_ENDS = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class Bot:
    def __init__(self, home: Path) -> None:
        self.clock = [START]
        self.app: App = build(Settings.from_env({"GOVBOT_HOME": str(home)}),
                              clock=lambda: self.clock[0])
        self.home = home

    def say(self, text: str, user: str = "alice") -> str:
        events: list[Event] = self.app.workflow.handle(Command("console", user, "console", text))
        return "\n".join(e.text for e in events)

    def commit(self, files: dict[str, str | None], message: str) -> None:
        repo = self.app.repo
        old = repo.head("main")
        repo.set_ref("main", repo.commit(old, files, SEEDER, message), old=old)


def _document(service: str, weight: int) -> str:
    data = yaml.safe_load(new_document("prod", "demo", service))
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": weight}
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    bot = Bot(tmp_path / "home")
    config = yaml.safe_load(bot.app.repo.read("main", "govbot.yaml") or "")
    config["environments"]["prod"]["freezes"] = [WINDOW]
    bot.commit({"govbot.yaml": yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
                service_path("prod", "demo", "svc-user"): _document("svc-user", 5),
                service_path("prod", "demo", "svc-pay"): _document("svc-pay", 0)},
               "a freeze window for prod; svc-user and svc-pay governed")
    yield bot
    bot.app.close()


def test_a_prod_freeze_denies_raises_lets_aborts_through_and_holds_approved_changes(
        bot: Bot) -> None:
    # before the window: a raise is opened and gets one of its two approvals
    opened = bot.say("/canary svc-pay 10% --env prod")
    assert "change #1 opened" in opened, opened
    assert "1 of 2" in bot.say("/approve 1", "bob")

    bot.clock[0] = WINDOW_STARTS
    denied = bot.say("/canary svc-user 10% --env prod")
    assert "[schedule.freeze]" in denied, denied
    assert "(db-migration)" in denied and "2026-11-25 20:00 Asia/Shanghai" in denied, denied
    assert "no open changes" not in bot.say("/changes")
    assert "#2" not in bot.say("/changes"), "a denied command allocates no change id"

    aborted = bot.say("/canary svc-user abort --env prod")
    assert "[schedule.freeze]" not in aborted and "opened" in aborted, aborted

    # the second approval during the window: recorded; the change waits, open
    waiting = bot.say("/approve 1", "carol")
    assert "approved; #1 waits for the freeze to end at 2026-11-25 20:00 Asia/Shanghai " \
           "(db-migration)" in waiting, waiting
    assert bot.app.store.get(1).state == "open"
    bot.app.workflow.sweep()
    assert bot.app.store.get(1).state == "open"
    again = bot.say("/approve 1", "carol")
    assert "waits for the freeze" in again, again
    assert "verdict: waits for the change freeze" in bot.say("/show 1")

    listing = bot.say("/freeze --env prod")
    assert "prod is frozen now" in listing, listing
    assert "db-migration" in listing and "2026-11-25 19:00 → 2026-11-25 20:00 " \
           "Asia/Shanghai (2026-11-25 11:00 → 2026-11-25 12:00 UTC)" in listing, listing
    assert "no freeze windows are declared for dev" in bot.say("/freeze")

    # a second before the end nothing moves; at the end the sweep merges it, approvals kept
    bot.clock[0] = WINDOW_ENDS - timedelta(seconds=1)
    bot.app.workflow.sweep()
    assert bot.app.store.get(1).state == "open"
    bot.clock[0] = WINDOW_ENDS
    merged = bot.app.workflow.sweep()
    assert bot.app.store.get(1).state == "merged", merged
    message = bot.app.repo.message("main")
    assert "Approved-by: bob" in message and "Approved-by: carol" in message
    document = yaml.safe_load(bot.app.repo.read("main", service_path("prod", "demo",
                                                                     "svc-pay")) or "")
    assert document["spec"]["release"]["canaryWeight"] == 10
    assert "is not frozen now" in bot.say("/freeze --env prod")


def test_freeze_answers_an_unknown_environment_with_the_known_ones(bot: Bot) -> None:
    answer = bot.say("/freeze --env staging")
    assert "unknown environment 'staging'" in answer and "dev, prod" in answer, answer
    assert "example: /freeze --env prod" in answer, answer


def test_freeze_leaves_out_a_window_govbot_check_refuses_and_says_so(bot: Bot) -> None:
    config = yaml.safe_load(bot.app.repo.read("main", "govbot.yaml") or "")
    config["environments"]["prod"]["freezes"] = [
        WINDOW, {"name": "weekend", "every": "funday 18:00", "until": "monday 08:00"}]
    bot.commit({"govbot.yaml": yaml.safe_dump(config, sort_keys=False, allow_unicode=True)},
               "a window with a typo")
    listing = bot.say("/freeze --env prod")
    assert "is not frozen now" in listing and "db-migration" in listing, listing
    assert "weekend" not in listing and "1 window of govbot.yaml is not valid" in listing
    assert "[schedule.freeze]" not in bot.say("/canary svc-user 10% --env prod")
