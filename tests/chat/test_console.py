"""The console adapter through the real `govbot` command: piped stdin, one command a line."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import yaml

from bot.chat import deliver
from bot.chat.console import ConsoleChat, ConsoleSurface, split_speaker
from bot.core.events import Answer, Event, EventsReported
from bot.core.types import Command

REPO_ROOT = Path(__file__).resolve().parents[2]


def _govbot(args: list[str], home: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVBOT_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, env=env, cwd=REPO_ROOT, timeout=120)


def test_piped_shell_runs_the_story_and_exits_zero(tmp_path: Path) -> None:
    home = tmp_path / "home"
    result = _govbot(["shell"], home, "/canary svc-user 20%\nbob: /approve 1\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("govbot: change #1 opened: canary svc-user")
    assert any(line.startswith("govbot: #1 approved by bob, merged, applied:") for line in lines)
    assert ">" not in result.stdout.split("govbot:")[0]  # no prompt when piped
    vs = yaml.safe_load((home / "rendered/dev/demo/virtualservice-svc-user.yaml").read_text())
    assert [d["weight"] for d in vs["spec"]["http"][-1]["route"]] == [80, 20]


def test_user_flag_sets_who_types(tmp_path: Path) -> None:
    result = _govbot(["shell", "--user", "bob"], tmp_path / "home", "/canary svc-user 20%\n")
    assert "not by bob" in result.stdout, result.stdout + result.stderr


def test_speaker_prefix() -> None:
    assert split_speaker("bob: /approve 1", "alice") == ("bob", "/approve 1")
    assert split_speaker("/canary svc-user 20%", "alice") == ("alice", "/canary svc-user 20%")
    assert split_speaker("/reject 1 reason: too risky", "alice") == \
        ("alice", "/reject 1 reason: too risky")


def test_adapter_skips_blank_and_comment_lines_and_indents_multiline_replies() -> None:
    seen: list[Command] = []

    def handler(command: Command) -> list[Event]:
        seen.append(command)
        return [Answer("first\nsecond")]

    out = io.StringIO()
    chat = ConsoleChat("alice", io.StringIO("\n# a note\ncarol: /changes\n"), out,
                       interactive=False)
    assert chat.run(handler) == 0
    assert [(c.user, c.text, c.platform) for c in seen] == [("carol", "/changes", "console")]
    assert out.getvalue() == "govbot: first\n        second\n"


def test_init_then_check_passes_and_a_broken_document_fails(tmp_path: Path) -> None:
    repo = tmp_path / "policies"
    created = _govbot(["init", str(repo)], tmp_path / "home")
    assert created.returncode == 0, created.stderr
    assert (repo / "rego" / "govbot.rego").is_file() and (repo / ".git").is_dir()
    checked = _govbot(["check", str(repo)], tmp_path / "home")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert " 0 failed" in checked.stdout
    broken = repo / "services/dev/demo/svc-user.yaml"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_text("apiVersion: govbot.dev/v1\nkind: ServicePolicy\nmetadata:\n"
                      "  name: svc-other\n  namespace: demo\n  env: dev\nspec:\n"
                      "  release:\n    canaryWeight: 120\n")
    failed = _govbot(["check", str(repo)], tmp_path / "home")
    assert failed.returncode == 1
    assert "services/dev/demo/svc-user.yaml" in failed.stderr
    assert "canaryWeight" in failed.stderr and "name" in failed.stderr


def test_a_broken_main_or_store_stops_the_shell_with_one_line_reasons(tmp_path: Path) -> None:
    home = tmp_path / "home"
    assert _govbot(["shell"], home, "/changes\n").returncode == 0
    from bot.core.types import Author
    from bot.repo.git import PolicyRepo
    repo = PolicyRepo(home / "policy.git")
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {"access.yaml": "people: [\n"},
                                     Author("Erin", "erin@example.com"), "break it"), old=old)
    broken = _govbot(["shell"], home, "/changes\n")
    assert broken.returncode == 1
    assert "access.yaml" in broken.stderr and "Traceback" not in broken.stderr
    env_home = tmp_path / "other"
    bogus = subprocess.run([sys.executable, "-m", "bot", "shell"], input="", text=True,
                           capture_output=True, cwd=REPO_ROOT, timeout=120,
                           env={**os.environ, "GOVBOT_HOME": str(env_home),
                                "GOVBOT_DATABASE_URL": "bogus://"})
    assert bogus.returncode == 1
    assert "GOVBOT_DATABASE_URL" in bogus.stderr and "Traceback" not in bogus.stderr


def test_news_told_to_several_channels_prints_once_and_each_update_again() -> None:
    out = io.StringIO()
    surface = ConsoleSurface(out)
    told = [EventsReported(platform, channel, "expiry:3:fault", "fault ended", 1, "info")
            for platform, channel in (("console", "*"), ("slack", "C1"), ("dingtalk", "c"))]
    deliver(surface, None, told)
    deliver(surface, None, [EventsReported("slack", "C1", "expiry:3:fault",
                                           "fault ended; reverted by #4", 1, "info")])
    assert out.getvalue().splitlines() == ["govbot: fault ended",
                                           "govbot: fault ended; reverted by #4"]
