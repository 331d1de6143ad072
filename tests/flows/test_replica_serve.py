"""Two `govbot serve` processes on one PostgreSQL and one policy repository (each with its
own GOVBOT_HOME), observed from outside:

- the scheduled jobs run on exactly one of them: only the leader says "became leader",
  and only the leader asks Prometheus (each process is given its own path on one fake
  Prometheus, so the query log says who asked); SIGKILL the leader and the other leads
  within one lease period and starts asking;
- a leader whose lock connection PostgreSQL ends says "lost leadership" and stops its
  jobs; one leader remains;
- 20 signed Slack slash commands for one service, sent at once and spread over both
  processes, open exactly one change; the 19 others are told who holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.chat.slack.fake_slack import FakeSlack
from tests.support.postgres import PG_HOST, PG_PORT, empty_postgres
from tests.support.served import served_at

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "replica-test-secret"
LEASE_SECONDS = 3.0
EMPTY = json.dumps({"status": "success",
                    "data": {"resultType": "vector", "result": []}}).encode()


class FakePrometheus:
    """Answers every query with an empty vector and counts the queries by the first
    segment of their path (`/a/api/v1/query` counts for `a`)."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                fake.asked[self.path.strip("/").split("/")[0]] += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(EMPTY)))
                self.end_headers()
                self.wfile.write(EMPTY)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class Served:
    """One `govbot serve` process; its log (stderr) in a file the test reads."""

    def __init__(self, name: str, env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        self._log_file = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=REPO_ROOT, env=env,
            stdout=subprocess.DEVNULL, stderr=self._log_file, text=True)
        self.base = served_at(log, self.process)

    def logged(self) -> str:
        return self.log.read_text()

    def leads(self) -> bool:
        return "became leader" in self.logged()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self._log_file.close()


def _wait(ready: Any, timeout: float = 60, poll: float = 0.05) -> float:
    """Poll `ready()` until it holds; the seconds it took (a deadline only so that a
    broken test cannot hang)."""
    start = time.monotonic()
    while not ready():
        assert time.monotonic() - start < timeout, "gave up waiting"
        time.sleep(poll)
    return time.monotonic() - start


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    fake = FakePrometheus()
    yield fake
    fake.close()


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def replicas(tmp_path: Path, postgres_database: str, prometheus: FakePrometheus,
             slack: FakeSlack) -> Iterator[tuple[Served, Served, str]]:
    database = empty_postgres(postgres_database)
    common = {**os.environ, "GOVBOT_DATABASE_URL": database,
              "GOVBOT_REPO_URL": str(tmp_path / "policy.git"),
              "GOVBOT_LEASE_SECONDS": f"{LEASE_SECONDS:g}",
              "GOVBOT_PROMETHEUS_INTERVAL_SECONDS": "0.2",
              "SLACK_SIGNING_SECRET": SECRET, "SLACK_BOT_TOKEN": "xoxb-replicas",
              "GOVBOT_SLACK_API_URL": slack.url + "/api/"}
    started: list[Served] = []
    try:
        for name in ("a", "b"):  # one after the other: the first creates the repository
            env = {**common, "GOVBOT_HOME": str(tmp_path / f"home-{name}"),
                   "GOVBOT_PROMETHEUS_URL": f"{prometheus.url}/{name}"}
            started.append(Served(name, env, tmp_path / f"serve-{name}.log"))
            if name == "a":
                _wait(started[0].leads)
        yield started[0], started[1], database
    finally:
        for served in started:
            served.stop()


def test_jobs_run_on_one_replica_and_another_takes_over_when_it_dies(
        replicas: tuple[Served, Served, str], prometheus: FakePrometheus) -> None:
    first, second, _database = replicas
    _wait(lambda: prometheus.asked["a"] >= 10)
    assert first.leads() and not second.leads()
    assert prometheus.asked["b"] == 0, second.logged()

    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    took = _wait(second.leads, timeout=LEASE_SECONDS * 10, poll=0.02)
    assert took <= LEASE_SECONDS, f"took over after {took:.2f}s; {second.logged()}"
    asked = prometheus.asked["b"]
    _wait(lambda: prometheus.asked["b"] >= asked + 5)
    assert second.logged().count("became leader") == 1


def _slash_command(base: str, number: int, user: str, response_url: str) -> tuple[int, str]:
    body = urllib.parse.urlencode({
        "command": "/canary", "text": "svc-user 20%", "team_id": "T0123", "user_id": user,
        "channel_id": "C0123", "trigger_id": f"replica.{number}",
        "response_url": response_url})
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{stamp}:{body}".encode(),
                                 hashlib.sha256).hexdigest()
    request = urllib.request.Request(
        base + "/slack/events", data=body.encode(), method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.status, answer.read().decode()


def test_twenty_commands_for_one_service_over_both_replicas_open_one_change(
        replicas: tuple[Served, Served, str], slack: FakeSlack, tmp_path: Path) -> None:
    import psycopg

    first, second, database = replicas
    users = ["U0ALICE", "U0BOB", "U0CAROL", "U0DAVE"]
    gate = threading.Barrier(20)

    def send(number: int) -> tuple[int, str]:
        served = (first, second)[number % 2]
        gate.wait(60)
        return _slash_command(served.base, number, users[number % 4],
                              f"{slack.url}/response/{number}")

    with ThreadPoolExecutor(max_workers=20) as pool:
        acks = list(pool.map(send, range(20)))
    assert all(status == 200 for status, _text in acks), acks

    def cards() -> list[str]:
        return [c.raw for c in slack.ok("chat.postMessage") if "canary svc-user" in c.raw]

    slack.wait_for(lambda fake: len(fake.ok("response")) >= 19 and len(cards()) >= 1,
                   timeout=120)
    refusals = [str(call.body.get("text", "")) for call in slack.ok("response")]
    assert len(refusals) == 19 and len(cards()) == 1, (refusals, cards())
    assert all("already has open change #1 by" in text for text in refusals), refusals

    name = database.rsplit("/", 1)[1]
    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres dbname={name}") as db:
        changes = db.execute("SELECT id, service, state FROM changes").fetchall()
    assert changes == [(1, "svc-user", "open")]
    branches = subprocess.run(
        ["git", "--git-dir", str(tmp_path / "policy.git"), "branch", "--list", "change/*"],
        check=True, capture_output=True, text=True).stdout.split()
    assert branches == ["change/1-svc-user"]


def test_a_leader_whose_lock_connection_breaks_stops_its_jobs_and_one_leader_remains(
        replicas: tuple[Served, Served, str]) -> None:
    import psycopg

    first, second, database = replicas
    name = database.rsplit("/", 1)[1]
    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres dbname={name}",
                         autocommit=True) as admin:
        cut = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE application_name LIKE %s",
                            (f"govbot %-{first.process.pid}-%",)).fetchall()
    assert cut == [(True,)]  # the leader's lock connection

    def leaders() -> int:
        logs = first.logged() + second.logged()
        return logs.count("became leader") - logs.count("lost leadership")

    _wait(lambda: "lost leadership" in first.logged() and leaders() == 1)
    assert first.process.poll() is None and second.process.poll() is None
