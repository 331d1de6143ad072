"""Each chat platform's package: light to import, with its own identity matcher and a
`build` that makes the adapter `govbot serve` runs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.chat import console, dingtalk, slack
from bot.chat.dingtalk.app import DingTalkChat
from bot.chat.slack.app import SlackChat
from tests.conftest import Govbot

REPO_ROOT = Path(__file__).resolve().parents[2]


def test_settings_and_platform_packages_import_no_chat_sdk() -> None:
    probe = ("import sys, bot.settings, bot.chat.slack, bot.chat.dingtalk, bot.chat.console\n"
             "print(sorted(m for m in ('slack_bolt', 'slack_sdk', 'dingtalk_stream')"
             " if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=REPO_ROOT, text=True,
                            capture_output=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(("value", "user", "team", "matches"), [
    ({"team": "T0123", "user": "U0ALICE"}, "U0ALICE", "T0123", True),
    ({"team": "T0123", "user": "U0ALICE"}, "U0ALICE", "", True),
    ({"user": "U0ALICE"}, "U0ALICE", "T0123", True),
    ({"team": "T0123", "user": "U0ALICE"}, "U0ALICE", "T9999", False),
    ({"team": "T0123", "user": "U0ALICE"}, "U0BOB", "T0123", False),
    ({"corp": "T0123", "staff": "U0ALICE"}, "U0ALICE", "T0123", False),
    ("U0ALICE", "U0ALICE", "T0123", True),
    ("U0ALICE", "U0BOB", "T0123", False),
    (None, "U0ALICE", "T0123", False),
])
def test_slack_identity(value: object, user: str, team: str, matches: bool) -> None:
    assert slack.identity(value, user, team) is matches


@pytest.mark.parametrize(("value", "user", "team", "matches"), [
    ({"corp": "ding1", "staff": "0457"}, "0457", "ding1", True),
    ({"corp": "ding1", "staff": "0457"}, "0457", "", True),
    ({"corp": "ding1", "staff": "0457"}, "0457", "ding2", False),
    ({"corp": "ding1", "staff": "0457"}, "0458", "ding1", False),
    ({"team": "ding1", "user": "0457"}, "0457", "ding1", False),
    ("0457", "0457", "ding1", True),
    (457, "457", "", True),
    (None, "0457", "", False),
])
def test_dingtalk_identity(value: object, user: str, team: str, matches: bool) -> None:
    assert dingtalk.identity(value, user, team) is matches


def test_console_identity_is_the_name_typed() -> None:
    assert console.identity("bob", "bob", "")
    assert not console.identity("bob", "alice", "")
    assert not console.identity(None, "alice", "")


def test_build_makes_each_platforms_adapter(govbot: Govbot) -> None:
    app = govbot.app
    chat = slack.build(slack.SlackSettings(signing_secret="s", bot_token="xoxb-test"),
                       app.workflow, app.store)
    ding = dingtalk.build(dingtalk.DingTalkSettings(app_secret="s"), app.workflow, app.store)
    try:
        assert isinstance(chat, SlackChat) and list(chat.routes()) == ["/slack/events"]
        assert isinstance(ding, DingTalkChat) and list(ding.routes()) == ["/dingtalk/events"]
    finally:
        chat.stop()
        ding.stop()


def test_dingtalk_security_settings_come_from_the_environment() -> None:
    from bot.core.errors import ConfigError
    from bot.settings import Settings

    default = Settings.from_env({}).dingtalk
    assert (default.corp_id, default.session_url, default.callback_approvals) == (
        "", "https://oapi.dingtalk.com", False)
    configured = Settings.from_env({
        "GOVBOT_DINGTALK_CORP_ID": "ding9f50b15bccd16741",
        "GOVBOT_DINGTALK_SESSION_URL": "http://127.0.0.1:9",
        "GOVBOT_DINGTALK_CALLBACK_APPROVALS": "1"}).dingtalk
    assert (configured.corp_id, configured.session_url, configured.callback_approvals) == (
        "ding9f50b15bccd16741", "http://127.0.0.1:9", True)
    assert not Settings.from_env({"GOVBOT_DINGTALK_CALLBACK_APPROVALS": "0"}) \
        .dingtalk.callback_approvals
    with pytest.raises(ConfigError, match="GOVBOT_DINGTALK_CALLBACK_APPROVALS"):
        Settings.from_env({"GOVBOT_DINGTALK_CALLBACK_APPROVALS": "maybe"})
