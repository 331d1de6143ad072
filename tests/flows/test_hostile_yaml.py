"""Hostile YAML never reaches a loader: a billion-laughs document or config on main, or a
huge document, is refused naming the file and why, and the bot keeps answering."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from bot.core.types import Author
from tests.conftest import Govbot

REPO_ROOT = Path(__file__).resolve().parents[2]
BOMB = "".join(
    [f'a: &a [{",".join(["lol"] * 9)}]\n']
    + [f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi",
                                                                strict=True)])


def _push(govbot: Govbot, changes: dict[str, str | None]) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, changes, Author("Erin", "e@example.com"), "x"),
                 old=old)


def test_govbot_check_names_a_billion_laughs_document(tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    env = {**os.environ, "GOVBOT_HOME": str(tmp_path / "home")}
    subprocess.run([sys.executable, "-m", "bot", "init", str(repo)], cwd=REPO_ROOT, env=env,
                   check=True, capture_output=True)
    (repo / "services" / "dev" / "demo").mkdir(parents=True, exist_ok=True)
    (repo / "services" / "dev" / "demo" / "svc-bomb.yaml").write_text(BOMB)
    checked = subprocess.run([sys.executable, "-m", "bot", "check", str(repo)], cwd=REPO_ROOT,
                             env=env, capture_output=True, text=True, timeout=60)
    assert checked.returncode == 1
    assert "services/dev/demo/svc-bomb.yaml: line 2: YAML aliases" in checked.stderr


def test_a_bomb_document_on_main_is_refused_and_others_keep_working(govbot: Govbot) -> None:
    _push(govbot, {"services/dev/demo/svc-bomb.yaml": BOMB})
    status = govbot.one("/status svc-bomb")
    assert not status.ok and "aliases" in status.text, status.text
    refused = govbot.one("/canary svc-bomb 10%")
    assert not refused.ok and "aliases" in refused.text
    assert govbot.one("/canary svc-user 20%").ok


def test_a_huge_document_is_refused_with_its_size(govbot: Govbot) -> None:
    huge = "apiVersion: govbot.dev/v1\nspec:\n  note: " + "x" * 5_000_000 + "\n"
    _push(govbot, {"services/dev/demo/svc-huge.yaml": huge})
    refused = govbot.one("/ratelimit svc-huge 10/1s")
    assert not refused.ok and "bytes" in refused.text, refused.text[:300]


def test_a_bomb_in_govbot_yaml_is_a_configuration_error(govbot: Govbot) -> None:
    _push(govbot, {"govbot.yaml": BOMB})
    answer = govbot.one("/changes")
    assert not answer.ok and "govbot.yaml: line 2: YAML aliases" in answer.text


def test_deep_nesting_is_refused_like_a_bomb(govbot: Govbot) -> None:
    _push(govbot, {"services/dev/demo/svc-deep.yaml": "deep: " + "[" * 5000 + "]" * 5000})
    refused = govbot.one("/status svc-deep")
    assert not refused.ok and "nested more than" in refused.text, refused.text
    assert "something went wrong" not in refused.text
    govbot.one("/canary svc-user 20%")
    merged, failed = govbot.say("/approve 1", user="bob")
    assert "applied:" in merged.text and "apply pending" not in merged.text, merged.text
    assert "svc-deep" in failed.text and "nested more than" in failed.text
