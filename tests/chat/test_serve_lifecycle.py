"""`govbot serve` as an operator runs it, from outside the process: a graceful stop on
SIGTERM that lets the commands taken finish, the request size limit, and `/readyz` on a
PostgreSQL store that goes away.

The slow command is slowed at the wire: the fake Slack holds every slash command's
response_url answer until the test releases it; serve must not exit while it is held.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.chat.slack.fake_slack import FakeSlack
from tests.support.postgres import PG_ADMIN, PG_HOST, PG_PORT
from tests.support.served import served_at
from tests.support.slack_post import post_signed

# bot.metrics (the /metrics route serve mounts) lands with the observability work
pytest.importorskip("bot.metrics", reason="bot.metrics is not in this checkout yet")

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "lifecycle-test-secret"
GRACE = 60  # generous: the only bound on time these tests assert


class HeldSlack(FakeSlack):
    """FakeSlack whose response_url answers wait for `release`; `arrived` lists them as
    they come in, before they are answered."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()
        self.arrived: list[str] = []

    def answer(self, path: str, headers: Any, raw: str) -> tuple[int, str, dict[str, str]]:
        if path.startswith("/response/"):
            with self._changed:
                self.arrived.append(path)
                self._changed.notify_all()
            self.release.wait(GRACE * 2)
        return super().answer(path, headers, raw)


@pytest.fixture
def fake() -> Iterator[HeldSlack]:
    slack = HeldSlack()
    yield slack
    slack.release.set()
    slack.close()


class Served:
    """One `govbot serve` process on a free port; its log (stderr) in a file."""

    def __init__(self, home: Path, fake: FakeSlack, **env: str) -> None:
        self.log = home.parent / f"{home.name}.log"
        home.parent.mkdir(parents=True, exist_ok=True)
        self._log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=REPO_ROOT,
            env={**os.environ, "GOVBOT_HOME": str(home), "SLACK_SIGNING_SECRET": SECRET,
                 "SLACK_BOT_TOKEN": "xoxb-lifecycle", "GOVBOT_SLACK_API_URL": fake.url + "/api/",
                 "GOVBOT_SHUTDOWN_GRACE": str(GRACE), **env},
            stdout=subprocess.DEVNULL, stderr=self._log_file, text=True)
        self.base = served_at(self.log, self.process)
        self.port = int(self.base.rsplit(":", 1)[1])

    def text(self) -> str:
        return self.log.read_text()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)
        self._log_file.close()


def slash(base: str, command: str, text: str, tag: str, response_url: str,
          padding: int = 0) -> tuple[int, str]:
    """A signed slash command; `padding` bytes of an extra field make it large."""
    fields = {"command": command, "text": text, "team_id": "T0123", "user_id": "U0ALICE",
              "channel_id": "C0123", "trigger_id": tag, "response_url": response_url}
    if padding:
        fields["padding"] = "x" * padding
    return post_signed(int(base.rsplit(":", 1)[1]), urllib.parse.urlencode(fields), SECRET)


def refused(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            return False
    except ConnectionRefusedError:
        return True


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def wait_until(ready: Any, what: str, timeout: float = GRACE) -> None:
    """Poll `ready`; the deadline only keeps a broken test from hanging."""
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_sigterm_finishes_the_command_in_flight_and_the_one_taken_beside_it(
        tmp_path: Path, fake: HeldSlack) -> None:
    served = Served(tmp_path / "home", fake)
    try:
        assert slash(served.base, "/changes", "", "life.1", fake.url + "/response/a")[0] == 200
        fake.wait_for(lambda slack: "/response/a" in slack.arrived)  # A's reply in flight
        status, text = slash(served.base, "/canary", "svc-user 20%", "life.2",
                             fake.url + "/response/b")
        assert (status, text.startswith("working on it")) == (200, True)

        served.process.send_signal(signal.SIGTERM)
        wait_until(lambda: refused(served.port), "serve kept accepting after SIGTERM")
        # B's card may already be out (an answer does not wait in the channel's queue);
        # A's answer is not, and serve waits for it
        time.sleep(0.5)
        assert served.process.poll() is None, "serve exited with a reply still held"

        fake.release.set()
        assert served.process.wait(GRACE) == 0, served.text()
        assert [call.path for call in fake.ok("response")] == ["/response/a"]
        cards = fake.ok("chat.postMessage")
        assert len(cards) == 1 and "canary svc-user" in cards[0].raw
        assert "stopped: every request and command taken finished" in served.text()
    finally:
        served.close()


def test_past_the_grace_period_serve_exits_non_zero_naming_what_still_runs(
        tmp_path: Path, fake: HeldSlack) -> None:
    served = Served(tmp_path / "home", fake, GOVBOT_SHUTDOWN_GRACE="2")
    try:
        assert slash(served.base, "/changes", "", "late.1", fake.url + "/response/a")[0] == 200
        fake.wait_for(lambda slack: "/response/a" in slack.arrived)
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(GRACE) == 1
        log = served.text()
        assert "shutdown grace of 2s passed" in log and "SlackChat" in log, log
    finally:
        served.close()


def test_a_2mb_body_is_refused_with_413_and_nothing_runs(tmp_path: Path,
                                                          fake: HeldSlack) -> None:
    fake.release.set()
    served = Served(tmp_path / "home", fake)
    try:
        status, text = slash(served.base, "/canary", "svc-user 20%", "big.1",
                             fake.url + "/response/big", padding=2 * 1024 * 1024)
        assert status == 413, text
        # a small command after it is answered; by then the large one would have been too
        assert slash(served.base, "/changes", "", "big.2", fake.url + "/response/small")[0] \
            == 200
        fake.wait_for(lambda slack: bool(slack.ok("response")))
        assert [call.path for call in fake.calls] == ["/response/small"]
    finally:
        served.close()


@pytest.fixture
def throwaway_database() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    try:
        socket.create_connection((PG_HOST, PG_PORT), timeout=2).close()
    except OSError:
        pytest.skip(f"POSTGRESQL LEG SKIPPED: nothing listens on {PG_HOST}:{PG_PORT}")
    name = f"govbot_ready_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_readyz_fails_when_the_database_goes_away(tmp_path: Path, fake: HeldSlack,
                                                  throwaway_database: str) -> None:
    import psycopg

    url = f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{throwaway_database}"
    served = Served(tmp_path / "home", fake, GOVBOT_DATABASE_URL=url)
    try:
        status, body = get(served.base + "/readyz")
        assert (status, body["ready"]) == (200, True), body
        assert sorted(body["checked"]) == ["guard", "repository", "store"]

        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{throwaway_database}" WITH (FORCE)')
        status, body = get(served.base + "/readyz")
        assert status == 503 and body["ready"] is False, body
        assert sorted(body["failed"]) == ["store"]
        assert throwaway_database not in json.dumps(body)  # no address in the answer
        assert get(served.base + "/healthz")[0] == 200     # alive all the same
    finally:
        served.close()
