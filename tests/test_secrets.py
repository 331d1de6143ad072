"""Credentials never reach a reply, a start-up message or a log line in clear."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.core.redact import RedactingFilter, redact

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
