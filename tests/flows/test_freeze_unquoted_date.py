"""A freeze window written with unquoted dates (`from: 2026-12-24`, which YAML reads as a
date) is left out by the guardrails: every other decision still happens, other windows
still hold, /freeze still answers, and `govbot check` names the window and the fix."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.app import App, build
from bot.cli import main
from bot.core.events import Event
from bot.core.types import Author, Command
from bot.resources import rego_dir, template_dir
from bot.settings import Settings
from policies.document import new_document, service_path

SEEDER = Author("Platform Team", "platform@example.com")
NOW = datetime(2026, 12, 25, 10, 0, tzinfo=UTC)
HOLDING = {"name": "db-migration", "from": "2026-12-25 09:00", "to": "2026-12-25 11:00"}


def _unquoted() -> dict[str, object]:
    return {"name": "year-end", "from": date(2026, 12, 24), "to": date(2027, 1, 2)}


def _with_windows(config_text: str) -> str:
    config = yaml.safe_load(config_text)
    config["environments"]["dev"]["freezes"] = [_unquoted()]
    config["environments"]["prod"]["freezes"] = [_unquoted(), dict(HOLDING)]
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    assert "from: 2026-12-24\n" in text, "the dates are written unquoted, as people do"
    return text


def _document(env: str, service: str) -> str:
    data = yaml.safe_load(new_document(env, "demo", service))
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 5}
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False)


class Bot:
    def __init__(self, home: Path) -> None:
        self.app: App = build(Settings.from_env({"GOVBOT_HOME": str(home)}),
                              clock=lambda: NOW)

    def say(self, text: str, user: str = "alice") -> str:
        events: list[Event] = self.app.workflow.handle(Command("console", user, "console", text))
        return "\n".join(e.text for e in events)


@pytest.fixture
def bot(tmp_path: Path) -> Bot:
    bot = Bot(tmp_path / "home")
    repo = bot.app.repo
    old = repo.head("main")
    files: dict[str, str | None] = {
        "govbot.yaml": _with_windows(repo.read("main", "govbot.yaml") or ""),
        service_path("dev", "demo", "svc-user"): _document("dev", "svc-user"),
        service_path("dev", "demo", "svc-pay"): _document("dev", "svc-pay"),
        service_path("prod", "demo", "svc-user"): _document("prod", "svc-user")}
    repo.set_ref("main", repo.commit(old, files, SEEDER, "windows with unquoted dates"),
                 old=old)
    yield bot
    bot.app.close()


def test_an_unquoted_date_window_is_left_out_and_every_change_is_still_decided(
        bot: Bot) -> None:
    aborted = bot.say("/canary svc-user abort")
    assert "opened" in aborted and "incident" not in aborted, aborted
    raised = bot.say("/canary svc-pay 20%")
    assert "opened" in raised and "incident" not in raised, raised

    denied = bot.say("/canary svc-user 20% --env prod")
    assert "[schedule.freeze]" in denied and "(db-migration)" in denied, denied
    assert "year-end" not in denied and "incident" not in denied, denied

    listing = bot.say("/freeze --env prod")
    assert "prod is frozen now" in listing and "db-migration" in listing, listing
    assert "1 window of govbot.yaml is not valid" in listing, listing


def test_govbot_check_names_an_unquoted_date_and_how_to_write_it(tmp_path: Path) -> None:
    root = tmp_path / "policies"
    shutil.copytree(template_dir(), root)
    shutil.copytree(rego_dir(), root / "rego")
    config = root / "govbot.yaml"
    config.write_text(_with_windows(config.read_text(encoding="utf-8")), encoding="utf-8")

    result = CliRunner().invoke(main, ["check", str(root)])

    assert result.exception is None or isinstance(result.exception, SystemExit), \
        result.exception
    assert "Traceback" not in result.output, result.output
    assert ('govbot.yaml environments.prod.freezes[0].from: 2026-12-24 is a date without '
            'a time; write "2026-12-24 00:00" in quotes') in result.output, result.output
    assert "environments.dev.freezes[0].to: 2027-01-02 is a date without a time" \
        in result.output, result.output
    assert " 0 failed," in result.output, result.output
