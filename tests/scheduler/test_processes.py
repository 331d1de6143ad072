"""The scheduler in real processes: `govbot shell` runs the jobs and prints their news
while a person types, and still leaves at the end of its input; `govbot serve` gives
leadership back on SIGTERM."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

from tests.support.served import served_at

REPO_ROOT = Path(__file__).resolve().parents[2]


def _lines(stream: object, into: queue.Queue[str]) -> None:
    for line in stream:  # type: ignore[attr-defined]
        into.put(line.rstrip("\n"))


def _next(lines: queue.Queue[str], wanted: str, timeout: float = 60) -> str:
    """The next line holding `wanted` (a deadline only so a broken test cannot hang)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        if wanted in line:
            return line
        seen.append(line)
    raise AssertionError(f"no line with {wanted!r}; saw {seen}")


def test_the_shell_sweep_job_merges_an_approved_change_and_prints_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = {**os.environ, "GOVBOT_HOME": str(home), "GOVBOT_SWEEP_SECONDS": "0.5"}
    shell = subprocess.Popen([sys.executable, "-m", "bot", "shell"], cwd=REPO_ROOT, env=env,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True)
    assert shell.stdin is not None and shell.stdout is not None
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=_lines, args=(shell.stdout, lines), daemon=True).start()
    try:
        shell.stdin.write("/canary svc-user 20%\n")
        shell.stdin.flush()
        _next(lines, "change #1 opened")
        lock = home / "policy.git" / "refs" / "heads" / "main.lock"
        lock.write_text("held\n")  # as a crashed git leaves it: the merge cannot happen
        shell.stdin.write("bob: /approve 1\n")
        shell.stdin.flush()
        answer = _next(lines, "#1")
        assert "merged" not in answer, answer
        lock.unlink()
        merged = _next(lines, "merged")  # nobody typed: the sweep job did it
        assert "#1" in merged and "applied" in merged, merged
        assert (home / "rendered" / "dev" / "demo" / "virtualservice-svc-user.yaml").is_file()
        shell.stdin.close()
        assert shell.wait(timeout=60) == 0
    finally:
        if shell.poll() is None:
            shell.kill()
            shell.wait()
    with sqlite3.connect(home / "govbot.db") as db:
        assert db.execute("SELECT count(*) FROM claims WHERE key = 'leader'").fetchone() == (0,)


def test_serve_gives_leadership_back_on_sigterm(tmp_path: Path) -> None:
    home = tmp_path / "home"
    log = tmp_path / "serve.log"
    env = {**os.environ, "GOVBOT_HOME": str(home), "GOVBOT_LEASE_SECONDS": "60"}
    with log.open("w") as errors:
        serve = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0"],
                                 cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                                 stderr=errors, text=True)
        try:
            served_at(log, serve)
            deadline = time.monotonic() + 60
            while "became leader" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.05)
            with sqlite3.connect(home / "govbot.db") as db:
                held = db.execute("SELECT holder FROM claims WHERE key = 'leader'").fetchall()
            assert len(held) == 1
            serve.send_signal(signal.SIGTERM)
            assert serve.wait(timeout=60) == 0
        finally:
            if serve.poll() is None:
                serve.kill()
                serve.wait()
    # given back: the next replica need not wait out the 60-second lease
    with sqlite3.connect(home / "govbot.db") as db:
        assert db.execute("SELECT count(*) FROM claims WHERE key = 'leader'").fetchone() == (0,)
