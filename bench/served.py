"""`govbot serve` measured from outside, as the chat platforms see it: processes started
on a free port over a generated repository, bursts of concurrent signed Slack slash
commands or DingTalk outgoing-robot callbacks, the time to each HTTP answer, the changes
opened behind the answers, and the process's memory.

Each serve gets its own GOVBOT_HOME and shares the repository (GOVBOT_REPO_URL) and,
for two replicas, one PostgreSQL database. The platforms' ends are the fakes the chat
tests use (tests/chat/slack/fake_slack.py, tests/chat/dingtalk/fakes.py); the startup
line is read as the serve tests read it (tests/support/served.py).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bot.chat.dingtalk.sign import callback_sign
from tests.chat.dingtalk.fakes import ALICE, CONVERSATION, CORP
from tests.support.served import served_at

ROOT = Path(__file__).resolve().parents[1]
SECRET = "bench-signing-secret"
CHANNEL = "C0123"           # the template binds it to prod/demo
USER = "U0ALICE"            # alice: the team may request everywhere in generated repos
START_TIMEOUT = 900.0       # a first start renders every service once
ANSWER_TIMEOUT = 120.0
DINGTALK_SECRET = "bench-dingtalk-app-secret"
ROBOT = "dingrobot"
STAFF = ALICE               # CONVERSATION: the template binds it to prod/demo
_last_stamp = [0]
_stamp_lock = threading.Lock()


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
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(30)
        self._log_file.close()


def serve_env(repo: Path, slack_url: str, dingtalk_url: str, **extra: str) -> dict[str, str]:
    """Slack over HTTP and DingTalk's outgoing-robot callback, both on local fakes."""
    return {"GOVBOT_REPO_URL": str(repo), "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_BOT_TOKEN": "xoxb-bench", "GOVBOT_SLACK_API_URL": slack_url + "/api/",
            "GOVBOT_DINGTALK_APP_SECRET": DINGTALK_SECRET, "GOVBOT_DINGTALK_ROBOT_CODE": ROBOT,
            "GOVBOT_DINGTALK_CORP_ID": CORP, "GOVBOT_DINGTALK_API_URL": dingtalk_url,
            "GOVBOT_DINGTALK_SESSION_URL": dingtalk_url,
            # a stop is not measured: work still queued when the figures are taken may go
            "GOVBOT_SHUTDOWN_GRACE": "2", **extra}


def signed_slash(port: int, text: str, tag: str, response_url: str) -> int | None:
    """POST one signed slash command; the HTTP status, or None when no answer came."""
    body = urllib.parse.urlencode({
        "command": "/canary", "text": text, "team_id": "T0123", "user_id": USER,
        "channel_id": CHANNEL, "trigger_id": tag, "response_url": response_url}).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body,
                                 hashlib.sha256).hexdigest()
    return _post(port, "/slack/events", body, {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature})


def signed_callback(port: int, text: str, tag: str, session_url: str) -> int | None:
    """POST one DingTalk outgoing-robot message, signed over a timestamp of its own (a
    (timestamp, sign) pair is good for one request); the HTTP status, or None."""
    stamp = str(_stamp())
    sign = callback_sign(stamp, DINGTALK_SECRET)
    body = json.dumps({
        "msgtype": "text", "text": {"content": f" /canary {text}"}, "msgId": tag,
        "conversationId": CONVERSATION, "conversationType": "2", "senderStaffId": STAFF,
        "senderCorpId": CORP, "robotCode": ROBOT, "chatbotCorpId": CORP,
        "sessionWebhook": f"{session_url}/session/{tag}",
        "sessionWebhookExpiredTime": int(time.time() * 1000) + 5_400_000}).encode()
    return _post(port, "/dingtalk/events", body, {
        "Content-Type": "application/json; charset=utf-8", "timestamp": stamp, "sign": sign})


def _stamp() -> int:
    """A millisecond timestamp no other callback of this run used."""
    with _stamp_lock:
        _last_stamp[0] = max(_last_stamp[0] + 1, int(time.time() * 1000))
        return _last_stamp[0]


def _post(port: int, path: str, body: bytes, headers: dict[str, str]) -> int | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=ANSWER_TIMEOUT)
    try:
        connection.request("POST", path, body=body, headers=headers)
        answer = connection.getresponse()
        answer.read()
        return answer.status
    except OSError:
        return None
    finally:
        connection.close()


def opened_changes(repo: Path) -> int:
    """Changes opened so far: the local forge's `change/…` branches, read from the bare
    repository's loose and packed refs (a git process per poll would take the CPU the
    server is measured on)."""
    prefix = "refs/heads/change/"
    names = {p.relative_to(repo).as_posix() for p in (repo / prefix).rglob("*")
             if p.is_file() and not p.name.endswith(".lock")}
    packed = repo / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].startswith(prefix):
                names.add(parts[1])
    return len(names)


@dataclass
class Burst:
    acks_s: list[float] = field(default_factory=list)   # answered with 200
    unanswered: int = 0                                  # no answer, or not 200
    opened: int = 0
    expected: int = 0            # requests naming a service no change was opened for yet
    work_s: float = 0.0          # from the first request to the last change opened


Send = Callable[[int, int], "int | None"]   # (port, n) → HTTP status or None


def burst(ports: list[int], count: int, send: Send, repo: Path, expect_opened: int,
          wait: float = ANSWER_TIMEOUT) -> Burst:
    """Send `count` requests at once (one thread each, released together), the n-th to
    `ports[n % len(ports)]`; then wait (up to `wait` seconds) for `expect_opened` new
    changes."""
    before = opened_changes(repo)
    gate = threading.Barrier(count + 1)
    result = Burst(expected=expect_opened)
    lock = threading.Lock()

    def one(n: int) -> None:
        gate.wait()
        started = time.perf_counter()
        status = send(ports[n % len(ports)], n)
        took = time.perf_counter() - started
        with lock:
            if status == 200:
                result.acks_s.append(took)
            else:
                result.unanswered += 1

    with ThreadPoolExecutor(max_workers=count) as pool:
        for n in range(count):
            pool.submit(one, n)
        gate.wait()
        started = time.perf_counter()
    deadline = started + wait
    while True:
        result.opened = opened_changes(repo) - before
        result.work_s = time.perf_counter() - started
        if result.opened >= expect_opened or time.perf_counter() > deadline:
            return result
        time.sleep(0.02)
