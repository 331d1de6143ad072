"""`govbot check DIR --base REF`: a pull request's documents judged by REF's guardrails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PROD = "services/prod/demo/svc-user.yaml"
GIT_ENV = {"GIT_AUTHOR_NAME": "Erin", "GIT_AUTHOR_EMAIL": "erin@example.com",
           "GIT_COMMITTER_NAME": "Erin", "GIT_COMMITTER_EMAIL": "erin@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}


def _govbot(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVBOT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def _branch_with(repo: Path, path: str, append: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", "checkout", "-q", "-b", "change"], cwd=repo, env=env, check=True)
    with (repo / path).open("a", encoding="utf-8") as document:
        document.write(append)
    for args in (["add", "-A"], ["commit", "-q", "-m", "by hand"]):
        subprocess.run(["git", *args], cwd=repo, env=env, check=True)


def test_an_untimeboxed_prod_abort_fails_naming_file_and_rule(tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    assert _govbot("init", str(repo), home=tmp_path / "home").returncode == 0
    _branch_with(repo, PROD, "  fault:\n    enabled: true\n    abort:\n      httpStatus: 503\n"
                             "      percent: 100\n")
    plain_check = _govbot("check", str(repo), home=tmp_path / "home")
    assert plain_check.returncode == 0, plain_check.stderr  # the document itself is valid
    checked = _govbot("check", str(repo), "--base", "main", home=tmp_path / "home")
    assert checked.returncode == 1
    assert f"{PROD}: [faults.prod_timebox]" in checked.stderr, checked.stderr
    assert "authorization" not in checked.stderr and "review." not in checked.stderr


def test_a_change_the_rules_allow_passes_and_a_broken_one_names_its_field(
        tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    assert _govbot("init", str(repo), home=tmp_path / "home").returncode == 0
    _branch_with(repo, "services/dev/demo/svc-pay.yaml",
                 "  rateLimit:\n    enabled: true\n    requests: 100\n    per: 1s\n")
    assert _govbot("check", str(repo), "--base", "main",
                   home=tmp_path / "home").returncode == 0
    (repo / PROD).write_text((repo / PROD).read_text() + "  timeout: soon\n")
    broken = _govbot("check", str(repo), "--base", "main", home=tmp_path / "home")
    assert broken.returncode == 1 and "timeout" in broken.stderr, broken.stderr
