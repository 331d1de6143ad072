"""Two replicas on one PostgreSQL: approvals given at the same moment on different
replicas merge a change exactly once, every time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.app import App, build
from bot.core.events import ChangeMerged, Event
from bot.core.types import Command
from bot.settings import Settings
from tests.conftest import seed
from tests.support.postgres import empty_postgres

ROUNDS = 10


@pytest.fixture
def replicas(tmp_path: Path, postgres_database: str) -> Iterator[tuple[App, App]]:
    env = {"GOVBOT_HOME": str(tmp_path / "home"),
           "GOVBOT_DATABASE_URL": empty_postgres(postgres_database)}
    first = build(Settings.from_env(env))
    second = build(Settings.from_env(env))
    yield first, second
    first.close()
    second.close()


def _say(app: App, user: str, text: str) -> list[Event]:
    return app.workflow.handle(Command("console", user, "console", text))


def test_simultaneous_approvals_on_two_replicas_merge_once(replicas: tuple[App, App]) -> None:
    first, second = replicas
    seed(first, *(f"svc-{n}" for n in range(1, ROUNDS + 1)), env="prod")
    for round_ in range(1, ROUNDS + 1):
        opened = _say(first, "alice", f"/canary svc-{round_} 20% --env prod")
        assert opened[0].ok, opened
        gate = threading.Barrier(2)
        results: dict[str, list[Event]] = {}

        def approve(app: App, user: str, change: int = round_, gate: threading.Barrier = gate,
                    results: dict[str, list[Event]] = results) -> None:
            gate.wait()
            results[user] = _say(app, user, f"/approve {change}")

        threads = [threading.Thread(target=approve, args=(first, "bob")),
                   threading.Thread(target=approve, args=(second, "carol"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        merges = [e for events in results.values() for e in events
                  if isinstance(e, ChangeMerged)]
        assert len(merges) == 1, results
        assert all(e.ok for events in results.values() for e in events), results
        change = first.store.get(round_)
        assert change.state == "merged"
        log = first.repo.message(change.merged_sha)
        assert "Approved-by: bob" in log and "Approved-by: carol" in log
    merge_commits = [line for line in _git_log(first).splitlines() if line.startswith("Merge")]
    assert len(merge_commits) == ROUNDS


def _git_log(app: App) -> str:
    import subprocess

    return subprocess.run(["git", "--git-dir", str(app.settings.repo_path), "log",
                           "--format=%s", "main"], check=True, capture_output=True,
                          text=True).stdout
