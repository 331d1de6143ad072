"""A burst of signed slash commands against `govbot serve`, run as an operator runs it:
every connection of the burst is answered 200 with its ack, and every command of it,
delivered twice or not, opens exactly one change.

The policy repository is seeded with one service per command, so the burst asks for
changes of different services, which may all be opened; a delivery repeated with the
same trigger id must be dropped, not refused as a second change of a locked service.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot import resources
from bot.core.types import Author
from bot.repo.git import PolicyRepo
from bot.store.sql import SqlStore
from policies.document import new_document, service_path
from tests.chat.slack.fake_slack import FakeSlack
from tests.support.served import served_at
from tests.support.slack_post import post_signed

REPO_ROOT = Path(__file__).resolve().parents[2]
SECRET = "burst-test-secret"
BURST = 200
REPEATED = 50        # commands of the burst delivered a second time, with the same trigger
DEADLINE = 600       # only keeps a broken server from hanging the test


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    yield slack
    slack.close()


def _seed(home: Path) -> None:
    """A policy repository with BURST services of prod/demo, where C0123 is bound."""
    files = resources.template_files()
    for number in range(BURST):
        name = f"svc-{number:04d}"
        files[service_path("prod", "demo", name)] = new_document("prod", "demo", name)
    home.mkdir(parents=True)
    PolicyRepo.init(home / "policy.git", files, Author("seed", "seed@localhost"))


def _command(number: int, fake: FakeSlack) -> str:
    return urllib.parse.urlencode({
        "command": "/canary", "text": f"svc-{number:04d} 20%", "team_id": "T0123",
        "user_id": "U0ALICE", "channel_id": "C0123", "trigger_id": f"burst.{number}",
        "response_url": f"{fake.url}/response/{number}"})


def _commands_counted(base: str, command: str = "canary") -> Counter[str]:
    """govbot_commands_total of `command` by outcome, from serve's /metrics."""
    with urllib.request.urlopen(base + "/metrics", timeout=30) as answer:
        text = answer.read().decode()
    pattern = re.compile(r'^govbot_commands_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
    counted: Counter[str] = Counter()
    for labels, value in pattern.findall(text):
        fields = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if fields.get("command") == command:
            counted[fields["outcome"]] += int(float(value))
    return counted


def test_a_burst_of_commands_on_different_services_is_acked_and_opens_one_change_each(
        tmp_path: Path, fake: FakeSlack) -> None:
    home = tmp_path / "home"
    _seed(home)
    log = tmp_path / "serve.log"
    env = {**os.environ, "GOVBOT_HOME": str(home), "SLACK_SIGNING_SECRET": SECRET,
           "SLACK_BOT_TOKEN": "xoxb-burst", "GOVBOT_SLACK_API_URL": fake.url + "/api/"}
    with log.open("w") as errors:
        process = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0"],
                                   cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=errors, text=True)
    try:
        base = served_at(log, process)
        port = int(base.rsplit(":", 1)[1])
        # every command once, and REPEATED of them a second time, all at the same moment
        numbers = [*range(BURST), *range(REPEATED)]
        start = threading.Barrier(len(numbers))

        def one(number: int) -> tuple[int, str]:
            body = _command(number, fake)
            start.wait(DEADLINE)
            return post_signed(port, body, SECRET, DEADLINE)

        with ThreadPoolExecutor(max_workers=len(numbers)) as pool:
            answers = list(pool.map(one, numbers))
        failed = [answer for answer in answers if answer[0] != 200]
        assert failed == [], f"{len(failed)} of {len(numbers)} not acked: {failed[:5]}"
        assert all(text.startswith("working on it: /canary svc-") for _status, text in answers)

        store = SqlStore(f"sqlite:///{home / 'govbot.db'}")
        try:
            deadline = time.monotonic() + DEADLINE
            while len(store.changes(state=None)) < BURST:
                assert time.monotonic() < deadline, "the burst's changes were never opened"
                time.sleep(0.2)
            while sum(_commands_counted(base).values()) < BURST:
                assert time.monotonic() < deadline, "the burst's commands never all ran"
                time.sleep(0.2)
            changes = store.changes(state=None)
        finally:
            store.dispose()
        # a command sent after the burst runs after every command of it was taken
        sentinel = urllib.parse.urlencode({
            "command": "/changes", "text": "", "team_id": "T0123", "user_id": "U0ALICE",
            "channel_id": "C0123", "trigger_id": "burst.after",
            "response_url": f"{fake.url}/response/after"})
        assert post_signed(port, sentinel, SECRET, DEADLINE)[0] == 200
        while not _commands_counted(base, "changes"):
            assert time.monotonic() < deadline, "the command after the burst never ran"
            time.sleep(0.2)
        by_service = Counter(change.service for change in changes)
        assert by_service == Counter(f"svc-{number:04d}" for number in range(BURST))
        # the repeated deliveries were dropped: none ran, none was refused as locked
        assert _commands_counted(base) == Counter({"ok": BURST})
    finally:
        process.kill()
        process.wait(timeout=60)
