"""Credentials never reach a reply, a start-up message or a log line in clear: every
secret setting set to its own value, a story with failing forge and chat calls, and every
log line and reply searched for each value."""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import logs, resources
from bot.app import App, build
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.robot import DingTalkRobot
from bot.core.redact import RedactingFilter, redact
from bot.core.types import Command
from bot.repo.git import PolicyRepo
from bot.runners.merging import GOVBOT
from bot.settings import Settings
from tests.support.fake_gitea import FakeGitea
from tests.support.logstate import logging_kept

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_urls_params_and_known_secrets_are_masked() -> None:
    text = ("reaching https://deploy:gh-pat-SECRET1@git.example.com/p.git and "
            "https://oapi.example.com/robot/send?access_token=tok3n-SECRET2&x=1 "
            "with xoxb-SECRET3-bot and a short 'abc'")
    shown = redact(text, ["xoxb-SECRET3-bot", "abc"])
    assert "SECRET1" not in shown and "SECRET2" not in shown and "SECRET3" not in shown
    assert "https://***@git.example.com/p.git" in shown and "access_token=***&x=1" in shown
    assert "'abc'" in shown  # too short to be told from a word


def test_log_records_and_tracebacks_are_masked(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("govbot.test-secrets")
    handler = logging.StreamHandler(stream := __import__("io").StringIO())
    handler.addFilter(RedactingFilter(["s3cr3t-value"]))
    logger.addHandler(handler)
    try:
        try:
            raise RuntimeError("token s3cr3t-value rejected by postgresql://u:pw9@db/x")
        except RuntimeError:
            logger.exception("calling %s", "https://robot?access_token=abcdef")
    finally:
        logger.removeHandler(handler)
    written = stream.getvalue()
    assert "s3cr3t-value" not in written and "pw9" not in written and "abcdef" not in written
    assert "RuntimeError" in written  # the traceback is kept, only masked


def test_a_database_password_is_not_printed_at_start_up(tmp_path: Path) -> None:
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"),
           "GOVBOT_DATABASE_URL": "postgresql+psycopg://govbot:pa55-word-X@127.0.0.1:1/gb",
           "GOVBOT_SLACK_BOT_TOKEN": "xoxb-start-up-secret"}
    result = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", text=True,
                            capture_output=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert result.returncode != 0
    assert "GOVBOT_DATABASE_URL" in result.stderr, result.stderr
    assert "pa55-word-X" not in result.stdout + result.stderr
    assert "xoxb-start-up-secret" not in result.stdout + result.stderr


def test_a_repository_url_password_is_not_printed_at_start_up(tmp_path: Path) -> None:
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"),
           "GOVBOT_REPO_URL": "https://deploy:repo-pa55-Y@git.example.com/policies.git"}
    result = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", text=True,
                            capture_output=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert result.returncode != 0 and "GOVBOT_REPO_URL" in result.stderr, result.stderr
    assert "repo-pa55-Y" not in result.stdout + result.stderr


def test_an_unknown_forge_with_a_credentialed_url_is_one_clean_line(tmp_path: Path) -> None:
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_FORGE": "bitbucket",
           "GOVBOT_REPO_URL": "https://u:SECRETrepo17@127.0.0.1/x.git"}
    result = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", text=True,
                            capture_output=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert result.returncode != 0 and "GOVBOT_FORGE='bitbucket'" in result.stderr
    assert "SECRETrepo17" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("kind", ["github", "gitlab", "gitea"])
def test_a_hosted_forge_missing_settings_names_them_and_leaks_nothing(
        tmp_path: Path, kind: str) -> None:
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_FORGE": kind,
           "GOVBOT_REPO_URL": "https://u:SECRETrepo17@127.0.0.1:9/x.git"}
    result = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", text=True,
                            capture_output=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert result.returncode != 0
    assert "GOVBOT_FORGE_TOKEN" in result.stderr and "GOVBOT_FORGE_REPO" in result.stderr
    assert ("GOVBOT_FORGE_URL" in result.stderr) == (kind == "gitea")
    assert "SECRETrepo17" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_a_hosted_forge_that_cannot_be_reached_fails_at_start_up_without_the_token(
        tmp_path: Path) -> None:
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_FORGE": "github",
           "GOVBOT_REPO_URL": str(tmp_path / "no-such-repo.git"),
           "GOVBOT_FORGE_TOKEN": "ghp_SECRETtoken99", "GOVBOT_FORGE_REPO": "acme/policies"}
    result = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", text=True,
                            capture_output=True, env=env, cwd=REPO_ROOT, timeout=120)
    assert result.returncode != 0 and "GOVBOT_REPO_URL" in result.stderr, result.stderr
    assert "ghp_SECRETtoken99" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


class _EchoingRobot(http.server.BaseHTTPRequestHandler):
    """A DingTalk robot endpoint that refuses every post and names the access token it
    was sent in its error message, as a careless server might."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        token = parse_qs(urlsplit(self.path).query).get("access_token", [""])[0]
        answer = json.dumps({"errcode": 310000, "errmsg": f"token {token} is not valid"})
        self.send_response(400)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer.encode())

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


def _secret_settings(tmp_path: Path, origin: Path, api: str, token: str,
                     robot_port: int) -> dict[str, str]:
    """Every secret setting govbot has, each a value found nowhere else."""
    return {
        "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_LOG_FORMAT": "json",
        "GOVBOT_FORGE": "gitea", "GOVBOT_REPO_URL": str(origin), "GOVBOT_FORGE_URL": api,
        "GOVBOT_FORGE_REPO": "owner/name", "GOVBOT_FORGE_TOKEN": token,
        "GOVBOT_FORGE_WEBHOOK_SECRET": "forge-hook-S3CRET-d4",
        "GOVBOT_FORGE_BACKOFF_SECONDS": "0", "GOVBOT_FORGE_PACING_SECONDS": "0",
        "GOVBOT_OPA_TOKEN": "opa-token-S3CRET-e5",
        "GOVBOT_SLACK_SIGNING_SECRET": "slack-signing-S3CRET-f6",
        "GOVBOT_SLACK_BOT_TOKEN": "xoxb-bot-S3CRET-g7",
        "GOVBOT_SLACK_APP_TOKEN": "xapp-app-S3CRET-h8",
        "GOVBOT_DINGTALK_CLIENT_ID": "ding-client-id",
        "GOVBOT_DINGTALK_CLIENT_SECRET": "ding-client-S3CRET-i9",
        "GOVBOT_DINGTALK_APP_SECRET": "ding-app-S3CRET-j0",
        "GOVBOT_DINGTALK_ROBOT_SECRET": "SECrobot-S3CRET-k1",
        "GOVBOT_DINGTALK_ROBOT_WEBHOOK":
            f"http://127.0.0.1:{robot_port}/robot/send?access_token=rbt-S3CRET-l2",
        "GOVBOT_ALERTMANAGER_TOKEN": "alertmanager-S3CRET-m3",
        "GOVBOT_PROMETHEUS_URL": "http://metrics:prom-pw-S3CRET-n4@127.0.0.1:9",
    }


def test_no_secret_reaches_a_log_line_or_a_reply(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    origin = PolicyRepo.init(tmp_path / "origin.git", resources.template_files(), GOVBOT)
    token = "gitea-token-S3CRET-c3"
    fake = FakeGitea(origin.path, "owner/name", token=token)
    robot_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _EchoingRobot)
    threading.Thread(target=robot_server.serve_forever, daemon=True).start()
    replies: list[str] = []
    with logging_kept(), contextlib.ExitStack() as cleanup:
        cleanup.callback(robot_server.server_close)
        cleanup.callback(robot_server.shutdown)
        with fake.serve() as api:
            settings = Settings.from_env(_secret_settings(tmp_path, origin.path, api, token,
                                                          robot_server.server_port))
            secrets = sorted({found for value in _secret_settings(
                tmp_path, origin.path, api, token, 0).values()
                for found in re.findall(r"[\w-]*S3CRET-\w\w", value)})
            assert len(secrets) == 12
            known = " ".join(settings.secrets())
            assert all(secret in known for secret in secrets)
            logs.configure(settings.serve.log_format, settings.secrets(), level=logging.DEBUG)
            app = build(settings)
            try:
                replies += _run_story(app, fake)
                app.prometheus.poll()   # a Prometheus that cannot be reached
            finally:
                app.close()
            robot = DingTalkRobot(settings.dingtalk.robot_webhook,
                                  settings.dingtalk.robot_secret,
                                  http=Http(attempts=1, sleep=lambda _s: None))
            robot.post("#1 merged")  # refused, and the refusal echoes the token
    captured = capsys.readouterr()
    lines = [line for line in captured.err.splitlines() if line.strip()]
    assert any("gitea answered" in line or "not answering" in line for line in lines + replies)
    assert any("posting to the dingtalk robot" in line for line in lines)
    for line in lines:
        json.loads(line)   # every line is one JSON object, so each is one whole record
    for secret in secrets:
        for text in [*lines, *replies, captured.out]:
            assert secret not in text, f"{secret} in: {text[:300]}"


def _run_story(app: App, fake: FakeGitea) -> list[str]:
    """Commands that succeed, are refused, and meet a forge that stays down; the texts of
    every reply."""
    def say(text: str, user: str = "alice") -> list[str]:
        return [event.text for event in app.workflow.handle(Command("console", user,
                                                                    "console", text))]

    replies = say("/canary svc-user 20%")
    replies += say("/approve 1", "bob")
    replies += say("/no-such-command")
    fake.fail("create_pull", 503, times=5)
    replies += say("/canary svc-pay 10%")
    fake.fail("create_pull", 401, times=5)
    replies += say("/canary svc-order 10%")
    return replies
