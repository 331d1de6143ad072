"""`govbot config --check` says every bad setting, once each, and a misspelt `GOVBOT_*`
name gets the closest declared name only when one is close; `govbot shell` warns of it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.variables import closest


def _check(env: dict[str, str]) -> tuple[int, list[str]]:
    result = CliRunner().invoke(main, ["config", "--check"], env=env)
    return result.exit_code, result.stderr.splitlines()


def test_three_bad_settings_of_one_group_are_all_said(clean_env: None) -> None:
    code, lines = _check({"GOVBOT_HTTP_THREADS": "abc", "GOVBOT_MAX_REQUEST_BYTES": "-1",
                          "GOVBOT_SHUTDOWN_GRACE": "x"})
    assert code == 1
    for name in ("GOVBOT_HTTP_THREADS", "GOVBOT_MAX_REQUEST_BYTES", "GOVBOT_SHUTDOWN_GRACE"):
        assert sum(line.startswith(name) for line in lines) == 1, lines


def test_a_remote_url_with_the_local_forge_is_said_once(clean_env: None) -> None:
    code, lines = _check({"GOVBOT_REPO_URL": "https://git.example.com/policies.git"})
    assert code == 1
    assert sum("GOVBOT_REPO_URL" in line for line in lines) == 1, lines


@pytest.mark.parametrize(("name", "meant"), [
    ("GOVBOT_SLACK_BOT_TOKN", "GOVBOT_SLACK_BOT_TOKEN"),
    ("GOVBOT_FORGE_TOKN", "GOVBOT_FORGE_TOKEN"),
    ("GOVBOT_TIMEZONE_", "GOVBOT_TIMEZONE"),
    ("GOVBOT_LOG_LEVEL", None),
    ("GOVBOT_VERBOSE", None),
])
def test_a_guess_is_made_only_when_a_name_is_close(name: str, meant: str | None) -> None:
    assert closest(name) == meant


def test_a_name_like_none_says_so(clean_env: None) -> None:
    _, lines = _check({"GOVBOT_LOG_LEVEL": "debug"})
    [said] = [line for line in lines if line.startswith("GOVBOT_LOG_LEVEL")]
    assert "did you mean" not in said and "no setting has a name close to it" in said


def test_the_shell_warns_of_a_misspelt_name(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GOVBOT_", "SLACK_"))}
    env.update(GOVBOT_HOME=str(tmp_path / "home"), GOVBOT_SLACK_BOT_TOKN="x")
    done = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    warned = [line for line in done.stderr.splitlines() if "GOVBOT_SLACK_BOT_TOKN" in line]
    assert len(warned) == 1 and "GOVBOT_SLACK_BOT_TOKEN" in warned[0], done.stderr


@pytest.mark.parametrize(("env", "said"), [
    ({"GOVBOT_GUARD": "opa"}, "GOVBOT_OPA_URL"),
    ({"GOVBOT_DATABASE_URL": "::not a url"}, "not a SQLAlchemy URL"),
    ({"GOVBOT_DATABASE_URL": "mysql://gb@db/gb"}, "sqlite, postgresql+psycopg"),
    ({"GOVBOT_DINGTALK_ROBOT_WEBHOOK": "ftp://robot.example.com/send"}, "https://"),
    ({"GOVBOT_SLACK_BOT_TOKEN": "xoxb-1"}, "Slack stays off"),
    ({"GOVBOT_SLACK_SIGNING_SECRET": "shh"}, "GOVBOT_SLACK_BOT_TOKEN"),
])
def test_what_serve_refuses_the_check_refuses(clean_env: None, env: dict[str, str],
                                              said: str) -> None:
    code, lines = _check(env)
    assert code == 1 and any(said in line for line in lines), lines


def test_complete_chat_and_store_settings_pass(clean_env: None) -> None:
    _, lines = _check({"GOVBOT_SLACK_BOT_TOKEN": "xoxb-1", "GOVBOT_SLACK_APP_TOKEN": "xapp-1",
                       "GOVBOT_DATABASE_URL": "postgresql://gb:pw@db/gb",
                       "GOVBOT_GUARD": "opa", "GOVBOT_OPA_URL": "http://opa:8181"})
    assert not [line for line in lines if "GOVBOT_" in line], lines
