"""Two govbot processes on one PostgreSQL and one policy repository: approvals typed at the
same moment into each merge a prod change exactly once, round after round."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.postgres import empty_postgres

REPO_ROOT = Path(__file__).resolve().parents[2]
ROUNDS = 10


class Shell:
    """A `govbot shell` process fed line by line; its replies read with a deadline."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "shell"], cwd=REPO_ROOT, env=env, text=True,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def send(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def reply(self) -> str:
        return self.lines.get(timeout=120)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=60)


@pytest.fixture
def shells(tmp_path: Path, postgres_database: str) -> Iterator[tuple[Shell, Shell]]:
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home"),
           "GOVBOT_DATABASE_URL": empty_postgres(postgres_database)}
    first = Shell(env)
    first.send("/changes")  # the first start creates the repository and the tables
    assert first.reply() == "govbot: no open changes"
    second = Shell(env)
    second.send("/changes")
    assert second.reply() == "govbot: no open changes"
    yield first, second
    first.close()
    second.close()


def test_two_processes_approving_at_once_merge_each_change_once(
        shells: tuple[Shell, Shell], tmp_path: Path) -> None:
    first, second = shells
    services = ["svc-user", "svc-pay", "svc-order", "svc-index"]
    for number in range(1, ROUNDS + 1):
        service = services[(number - 1) % len(services)]
        first.send(f"/canary {service} {number * 2}% --env prod")
        assert first.reply().startswith(f"govbot: change #{number} opened"), number
        first.send(f"bob: /approve {number}")
        second.send(f"carol: /approve {number}")
        answers = [first.reply(), second.reply()]
        merged = [a for a in answers if "merged" in a]
        assert len(merged) == 1, answers
        assert any("(1 of 2)" in a for a in answers), answers
    log = subprocess.run(["git", "--git-dir", str(tmp_path / "home" / "policy.git"), "log",
                          "--format=%s", "main"], check=True, capture_output=True,
                         text=True).stdout
    merges = [line for line in log.splitlines() if line.startswith("Merge change #")]
    assert sorted(merges) == sorted({*merges}) and len(merges) == ROUNDS
