"""`govbot serve` as a process: it starts without calling any chat platform, answers
`/healthz`, and a signed Slack slash command through it opens a change."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.chat.slack.fake_slack import FakeSlack
from tests.support.served import served_at
from tests.support.slack_post import post_signed

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "serve-test-secret"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    yield slack
    slack.close()


def _start(home: Path, fake: FakeSlack) -> tuple[subprocess.Popen[str], str]:
    env = {**os.environ, "GOVBOT_HOME": str(home), "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_BOT_TOKEN": "xoxb-serve-test", "GOVBOT_SLACK_API_URL": fake.url + "/api/"}
    log = home.parent / f"{home.name}.log"
    home.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as errors:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0"],
                                   cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=errors, text=True)
    base = served_at(log, process)
    assert base.startswith("http://127.0.0.1:"), base
    return process, base


def test_serve_starts_quietly_and_takes_a_signed_slash_command(tmp_path: Path,
                                                                fake: FakeSlack) -> None:
    process, base = _start(tmp_path / "home", fake)
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=10) as answer:
            assert answer.status == 200
        assert fake.calls == []  # nothing was asked of Slack to start
        body = urllib.parse.urlencode({
            "command": "/canary", "text": "svc-user 20%", "team_id": "T0123",
            "user_id": "U0ALICE", "channel_id": "C0123", "trigger_id": "serve.1",
            "response_url": fake.url + "/response/serve"})
        stamp = str(int(time.time()))
        signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(),
                                     hashlib.sha256).hexdigest()
        request = urllib.request.Request(
            base + "/slack/events", data=body.encode(), method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200
            assert answer.read().decode().startswith("working on it")
        fake.wait_for(lambda slack: bool(slack.ok("chat.postMessage")))
        card = fake.ok("chat.postMessage")[0]
        assert "canary svc-user" in card.raw and "C0123" in card.raw
    finally:
        process.terminate()
        process.wait(timeout=30)


BURST = 200


def test_serve_acks_a_burst_of_concurrent_slash_commands(tmp_path: Path,
                                                         fake: FakeSlack) -> None:
    process, base = _start(tmp_path / "home", fake)
    try:
        start = threading.Barrier(BURST)

        def one(number: int) -> tuple[int, str]:
            body = urllib.parse.urlencode({
                "command": "/changes", "text": "", "team_id": "T0123",
                "user_id": "U0ALICE", "channel_id": "C0123", "trigger_id": f"burst.{number}",
                "response_url": f"{fake.url}/response/burst-{number}"})
            start.wait(60)
            return post_signed(urllib.parse.urlsplit(base).port or 0, body, SECRET)

        with ThreadPoolExecutor(max_workers=BURST) as pool:
            answers = list(pool.map(one, range(BURST)))
        failed = [answer for answer in answers if answer[0] != 200]
        assert failed == [], f"{len(failed)} of {BURST} not acked: {failed[:5]}"
        assert all(text.startswith("working on it") for _status, text in answers)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _refused_start(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "serve", *args], cwd=REPO_ROOT,
                          env={**os.environ, "GOVBOT_HOME": str(home)}, capture_output=True,
                          text=True, timeout=120, check=False)


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    return errors[0]


def test_a_port_in_use_is_one_error_line(tmp_path: Path) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        error = _one_error_line(_refused_start(tmp_path / "home", "--port", str(port)))
    assert f"127.0.0.1:{port}" in error and "in use" in error, error


def test_a_host_that_is_no_address_is_one_error_line(tmp_path: Path) -> None:
    error = _one_error_line(_refused_start(tmp_path / "home", "--host", "999.1.1.1",
                                           "--port", "0"))
    assert "999.1.1.1" in error and "--host" in error, error


def test_the_startup_line_is_logged_to_stderr_in_the_log_format(tmp_path: Path) -> None:
    log, out = tmp_path / "serve.log", tmp_path / "serve.out"
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_LOG_FORMAT": "json"}
    with log.open("w") as errors, out.open("w") as output:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0"],
                                   cwd=REPO_ROOT, env=env, stdout=output, stderr=errors,
                                   text=True)
    try:
        base = served_at(log, process)
        (line,) = [json.loads(text) for text in log.read_text().splitlines()
                   if "serving on" in text]
        assert line["message"].startswith(f"govbot serving on {base} (")
        assert (line["level"], line["logger"]) == ("INFO", "govbot")
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert out.read_text() == ""
