"""Shared fixtures: a whole govbot on a temporary GOVBOT_HOME, and a way to talk to it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import App, build
from bot.core.events import Event
from bot.core.types import Author, ChangeView, Command
from bot.runners.views import view
from bot.settings import Settings
from policies.document import new_document, service_path
from tests.support.kube import clusters  # noqa: F401  (the fixture, for every test)
from tests.support.postgres import session_database

FIXED_NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
SEEDER = Author("Platform Team", "platform@example.com")
# `kube_govbot`: govbot applying to the kmock clusters of `clusters`
pytest_plugins = ["tests.support.kube_story"]


@dataclass
class Govbot:
    """A running govbot with its home folder, spoken to as the console adapter does."""

    app: App
    home: Path

    def say(self, text: str, user: str = "alice", platform: str = "console",
            channel: str = "console") -> list[Event]:
        return self.app.workflow.handle(Command(platform, user, channel, text))

    def one(self, text: str, user: str = "alice") -> Event:
        replies = self.say(text, user)
        assert len(replies) == 1, replies
        return replies[0]

    def git(self, *args: str) -> str:
        return subprocess.run(["git", "--git-dir", str(self.home / "policy.git"), *args],
                              check=True, capture_output=True, text=True).stdout

    def main(self) -> str:
        return self.git("rev-parse", "main").strip()

    def branches(self) -> list[str]:
        out = self.git("for-each-ref", "--format=%(refname:short)", "refs/heads/")
        return sorted(line for line in out.splitlines() if line)

    def seed(self, *services: str, env: str = "dev", namespace: str = "demo") -> None:
        seed(self.app, *services, env=env, namespace=namespace)

    def rendered(self, env: str = "dev", namespace: str = "demo") -> Path:
        return self.home / "rendered" / env / namespace


def seed(app: App, *services: str, env: str = "dev", namespace: str = "demo") -> None:
    """Put governed services' documents on main, as a reviewed pull request would
    (nothing enabled; no change id is taken)."""
    repo = app.repo
    old = repo.head("main")
    documents: dict[str, str | None] = {
        service_path(env, namespace, s): new_document(env, namespace, s) for s in services}
    repo.set_ref("main", repo.commit(old, documents, SEEDER, f"onboard {', '.join(services)}"),
                 old=old)


def card_of(app: App, change_id: int) -> ChangeView:
    """A change as its card shows it now."""
    return view(app.workflow.context, app.store.get(change_id))


def make_govbot(home: Path) -> Govbot:
    return Govbot(build(Settings.from_env({"GOVBOT_HOME": str(home)}), clock=lambda: FIXED_NOW),
                  home)


@pytest.fixture
def govbot(tmp_path: Path) -> Iterator[Govbot]:
    bot = make_govbot(tmp_path / "home")
    yield bot
    bot.app.close()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of the machine's PostgreSQL, created for this test session."""
    yield from session_database()
