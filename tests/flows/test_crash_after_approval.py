"""SIGKILL right after an approval is stored: at the next start the change is merged and
applied, once. The merge fails first because main's ref is locked (as a crashed git or a
concurrent writer leaves it), so the approval is stored while the change stays open."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _shell(home: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GOVBOT_HOME": str(home)}
    return subprocess.Popen([sys.executable, "-m", "bot", "shell"], cwd=REPO_ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def _run(home: Path, text: str) -> str:
    shell = _shell(home)
    out, _err = shell.communicate(text, timeout=120)
    return out


def test_a_killed_process_merges_the_approved_change_at_its_next_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert "change #1 opened" in _run(home, "/canary svc-user 20%\n")
    lock = home / "policy.git" / "refs" / "heads" / "main.lock"
    lock.write_text("held\n")

    shell = _shell(home)
    assert shell.stdin is not None and shell.stdout is not None
    shell.stdin.write("bob: /approve 1\n")
    shell.stdin.flush()
    answer = shell.stdout.readline()
    assert "try again" in answer or "again to retry" in answer, answer
    shell.send_signal(signal.SIGKILL)
    shell.wait(timeout=30)

    lock.unlink()
    started = _run(home, "")
    assert "#1 approved by bob, merged, applied" in started, started
    assert (home / "rendered" / "dev" / "demo" / "virtualservice-svc-user.yaml").is_file()
    again = _run(home, "/changes\n")
    assert "merged" not in again and "no open changes" in again
    log = subprocess.run(["git", "--git-dir", str(home / "policy.git"), "log", "--format=%s",
                          "main"], check=True, capture_output=True, text=True).stdout
    assert sum(line.startswith("Merge change #1") for line in log.splitlines()) == 1
