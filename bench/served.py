"""`govbot serve` measured from outside, as Slack sees it: processes started on a free
port over a generated repository, bursts of concurrent signed slash commands, the time
to each HTTP answer, the changes opened behind the answers, and the process's memory.

Each serve gets its own GOVBOT_HOME and shares the repository (GOVBOT_REPO_URL) and,
for two replicas, one PostgreSQL database. Slack's Web API is the fake the chat tests
use (tests/chat/slack/fake_slack.py); the startup line is read as the serve tests read it
(tests/support/served.py).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.served import served_at

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
CHANNEL = "C0123"           # the template binds it to prod/demo
USER = "U0ALICE"            # alice: the team may request everywhere in generated repos
START_TIMEOUT = 900.0       # a first start renders every service once
ANSWER_TIMEOUT = 120.0


class Serve:
    """One `govbot serve` process; its log (stderr) in a file beside its home."""

    def __init__(self, home: Path, env: dict[str, str]) -> None:
        home.mkdir(parents=True, exist_ok=True)
        self.log = home.parent / f"{home.name}.log"
        self._log_file = self.log.open("w")
        variables = {k: v for k, v in os.environ.items() if not k.startswith(("GOVBOT_",
                                                                              "SLACK_"))}
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--port", "0"], cwd=ROOT,
            env={**variables, "GOVBOT_HOME": str(home), **env},
            stdout=subprocess.DEVNULL, stderr=self._log_file, text=True)
        try:
            self.base = served_at(self.log, self.process, timeout=START_TIMEOUT)
        except BaseException:
            self.stop()
            raise
        self.start_s = time.perf_counter() - started
        self.port = int(self.base.rsplit(":", 1)[1])

    def rss_mb(self) -> float:
        """VmRSS of the process, from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for serve pid {self.process.pid}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self._log_file.close()


def serve_env(repo: Path, slack_url: str, **extra: str) -> dict[str, str]:
    return {"GOVBOT_REPO_URL": str(repo), "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench", "GOVBOT_SLACK_API_URL": slack_url + "/api/",
            **extra}


def signed_slash(port: int, text: str, tag: str, response_url: str) -> int | None:
    """POST one signed slash command; the HTTP status, or None when no answer came."""
    body = urllib.parse.urlencode({
        "command": "/canary", "text": text, "team_id": "T0123", "user_id": USER,
        "channel_id": CHANNEL, "trigger_id": tag, "response_url": response_url}).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body,
                                 hashlib.sha256).hexdigest()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
    try:
        connection.request("POST", "/slack/events", body=body, headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except OSError:
        return None
    finally:
        connection.close()


def opened_changes(repo: Path) -> int:
    """Changes opened so far: the local forge's `change/…` branches."""
    out = subprocess.run(["git", "--git-dir", str(repo), "for-each-ref", "--format=x",
                          "refs/heads/change/"], capture_output=True, text=True, check=True)
    return len(out.stdout.split())


@dataclass
class Burst:
    acks_s: list[float] = field(default_factory=list)   # answered with 200
    unanswered: int = 0                                  # no answer, or not 200
    opened: int = 0
    work_s: float = 0.0          # from the first request to the last change opened


def burst(ports: list[int], texts: list[str], repo: Path, slack_url: str, tag: str,
          expect_opened: int, wait: float = ANSWER_TIMEOUT) -> Burst:
    """Send every text at once (one thread each, released together), spread over
    `ports`; then wait (up to `wait` seconds) for `expect_opened` new changes."""
    before = opened_changes(repo)
    gate = threading.Barrier(len(texts) + 1)
    result = Burst()
    lock = threading.Lock()

    def send(n: int) -> None:
        gate.wait()
        started = time.perf_counter()
        status = signed_slash(ports[n % len(ports)], texts[n], f"{tag}.{n}",
                              f"{slack_url}/response/{tag}.{n}")
        took = time.perf_counter() - started
        with lock:
            if status == 200:
                result.acks_s.append(took)
            else:
                result.unanswered += 1

    with ThreadPoolExecutor(max_workers=len(texts)) as pool:
        for n in range(len(texts)):
            pool.submit(send, n)
        gate.wait()
        started = time.perf_counter()
    deadline = started + wait
    while True:
        result.opened = opened_changes(repo) - before
        result.work_s = time.perf_counter() - started
        if result.opened >= expect_opened or time.perf_counter() > deadline:
            return result
        time.sleep(0.01)
