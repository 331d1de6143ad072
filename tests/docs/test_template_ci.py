"""The policy repository's CI, as the template ships it, runs `govbot check --base` on the
target branch of every pull or merge request: its own script lines, run here in a clone
whose target branch was never fetched, as a CI runner's checkout often is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.resources import template_dir
from bot.scaffold import init_repository

GIT_ENV = {"GIT_AUTHOR_NAME": "alice", "GIT_AUTHOR_EMAIL": "alice@example.com",
           "GIT_COMMITTER_NAME": "alice", "GIT_COMMITTER_EMAIL": "alice@example.com",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
DOCUMENT = "services/prod/demo/svc-user.yaml"


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True,
                   capture_output=True)


def _workflow() -> dict[Any, Any]:
    path = template_dir() / ".github" / "workflows" / "govbot-check.yaml"
    loaded: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


def _gitlab() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(
        (template_dir() / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def pull_request(tmp_path: Path) -> Path:
    """A checkout of a branch that changes prod's svc-user, cloned from a remote whose
    main holds a fresh `govbot init`; origin/main itself is not in the checkout."""
    init_repository(tmp_path / "work")
    _git(tmp_path, "clone", "-q", "--bare", "work", "origin.git")
    _git(tmp_path, "clone", "-q", "origin.git", "checkout")
    checkout = tmp_path / "checkout"
    _git(checkout, "checkout", "-q", "-b", "change/1-svc-user")
    _git(checkout, "update-ref", "-d", "refs/remotes/origin/main")
    _git(checkout, "update-ref", "-d", "refs/remotes/origin/HEAD")
    return checkout


def _change(checkout: Path, weight: int) -> None:
    path = checkout / DOCUMENT
    path.write_text(path.read_text(encoding="utf-8") + "  release:\n    strategy: canary\n"
                    f"    canaryWeight: {weight}\n", encoding="utf-8")
    _git(checkout, "commit", "-q", "-am", f"canary {weight}%")


def _run(script: str, checkout: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return subprocess.run(["bash", "-e", "-c", script], cwd=checkout, text=True,
                          capture_output=True, env={**os.environ, **GIT_ENV, **env,
                                                    "PATH": path})


def test_github_checks_every_pull_request_against_its_base_with_full_history() -> None:
    workflow = _workflow()
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as true
    steps = workflow["jobs"]["check"]["steps"]
    assert steps[0]["with"]["fetch-depth"] == 0
    assert steps[-1]["env"]["BASE"] == "${{ github.base_ref }}"


def test_gitlab_checks_every_merge_request_with_full_history() -> None:
    job = _gitlab()["govbot-check"]
    assert job["variables"]["GIT_DEPTH"] == "0"
    assert any("merge_request_event" in rule["if"] for rule in job["rules"])


def test_gitlab_script_fails_a_merge_request_the_target_branch_denies(
        pull_request: Path) -> None:
    _change(pull_request, 60)  # prod's canaryMaxStep is 25
    done = _run("\n".join(_gitlab()["govbot-check"]["script"]), pull_request,
                {"CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{DOCUMENT}: [release.max_step]" in done.stderr
    assert "1 denied since origin/main" in done.stdout


def test_github_step_passes_a_pull_request_the_target_branch_allows(
        pull_request: Path) -> None:
    _change(pull_request, 10)
    done = _run(_workflow()["jobs"]["check"]["steps"][-1]["run"], pull_request,
                {"BASE": "main"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 denied since origin/main" in done.stdout
