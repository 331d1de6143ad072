"""In-process figures: command → PR and approve → applied over repositories of several
sizes and layouts, the first approval after a restart, and rendering (everything from
scratch, `sync --full` over an unchanged tree, one service after one change).

Everything goes through the public entry points: `bot.app.build`, `Settings.from_env`,
`Workflow.handle` and `Workflow.sync(full=...)` (what `govbot sync --full` runs), with
the local forge, the embedded guard and the directory target under a temporary home.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.generate import RELEASE, SEEDER, Layout, generate
from bot.app import App, build
from bot.core.events import ChangeOpened
from bot.core.types import Command
from bot.settings import Settings
from policies.document import new_document, service_path


@contextmanager
def home_with(services: int, namespaces: int, releases: bool = False
              ) -> Iterator[tuple[Path, Layout]]:
    with tempfile.TemporaryDirectory(prefix="govbot-bench-") as tmp:
        home = Path(tmp)
        layout = generate(home / "policy.git", services, namespaces, releases=releases)
        yield home, layout


def open_app(home: Path) -> App:
    return build(Settings.from_env({"GOVBOT_HOME": str(home)}))


def _open(app: App, layout: Layout, index: int) -> int:
    reply = app.workflow.handle(Command("console", "alice", "console",
                                        layout.command(index, "/canary {svc} 20%")))
    opened = [event for event in reply if isinstance(event, ChangeOpened)]
    if not opened:
        raise RuntimeError(f"opening a change for service #{index}: {reply}")
    return opened[0].change.id


def _approve(app: App, change: int) -> None:
    reply = app.workflow.handle(Command("console", "bob", "console", f"/approve {change}"))
    if not reply or "merged" not in reply[0].text:
        raise RuntimeError(f"approving change #{change}: {reply}")


@dataclass(frozen=True)
class ChangeTimings:
    services: int
    namespaces: int
    opened_s: list[float]
    applied_s: list[float]
    restart_sync_s: float       # the start-up sync of a new App over the same home
    restart_approval_s: float   # then its first approval
    first_start_s: float        # the very first start-up sync of a fresh home


def changes(services: int, namespaces: int, rounds: int) -> ChangeTimings:
    """A fresh home: first start; a change opened; a restart (a new App over the same
    home) whose start-up sync and first approval are timed one after the other; then `rounds`
    commands and approvals on distinct services."""
    with home_with(services, namespaces) as (home, layout):
        app = open_app(home)
        started = time.perf_counter()
        app.workflow.sync()
        first_start = time.perf_counter() - started
        pending = _open(app, layout, 0)
        app.close()
        app = open_app(home)
        started = time.perf_counter()
        app.workflow.sync()
        restart_sync = time.perf_counter() - started
        started = time.perf_counter()
        _approve(app, pending)
        restart = time.perf_counter() - started
        opened: list[float] = []
        applied: list[float] = []
        rounds = min(rounds, services - 1)  # service #0 holds the change approved above
        step = max(1, (services - 1) // max(1, rounds))
        for n in range(rounds):
            t0 = time.perf_counter()
            change = _open(app, layout, 1 + n * step)
            t1 = time.perf_counter()
            _approve(app, change)
            t2 = time.perf_counter()
            opened.append(t1 - t0)
            applied.append(t2 - t1)
        app.close()
    return ChangeTimings(services, namespaces, opened, applied, restart_sync, restart,
                         first_start)


@dataclass(frozen=True)
class RenderTimings:
    services: int
    namespaces: int
    scratch_s: float
    files: int
    full_unchanged_s: float
    rewritten: int
    one_change_s: list[float]


def _files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under the rendered tree with its inode and modification time: a file
    rewritten (atomically or in place) changes one of them."""
    found: dict[str, tuple[int, int]] = {}
    for path in root.rglob("*"):
        if path.is_file():
            info = path.stat()
            found[path.relative_to(root).as_posix()] = (info.st_ino, info.st_mtime_ns)
    return found


def render(services: int, namespaces: int, rounds: int,
           releases: bool = True) -> RenderTimings:
    """The start-up render of a fresh home, `sync --full` over the unchanged tree, then
    `rounds` one-document commits on main, each followed by a sync. With `releases` every
    service has a canary release, so each renders routing objects too."""
    with home_with(services, namespaces, releases=releases) as (home, layout):
        app = open_app(home)
        rendered = home / "rendered"
        started = time.perf_counter()
        app.workflow.sync(full=True)
        scratch = time.perf_counter() - started
        before = _files(rendered)
        time.sleep(0.01)  # a rewrite within the same clock tick would keep the mtime
        started = time.perf_counter()
        app.workflow.sync(full=True)
        full = time.perf_counter() - started
        after = _files(rendered)
        rewritten = sum(1 for name, mark in after.items() if before.get(name) != mark)
        one: list[float] = []
        repo = app.repo
        for n in range(rounds):
            namespace, service = layout.services[(n * 7919) % len(layout.services)]
            path = service_path(layout.env, namespace, service)
            old = repo.head("main")
            weight = 11 + n % 80
            document = new_document(layout.env, namespace, service) + RELEASE.replace(
                "canaryWeight: 10", f"canaryWeight: {weight}")
            repo.set_ref("main", repo.commit(old, {path: document}, SEEDER,
                                             f"bench: {service} to {weight}%"), old=old)
            started = time.perf_counter()
            app.workflow.sync()
            one.append(time.perf_counter() - started)
        app.close()
    return RenderTimings(services, namespaces, scratch, len(before), full, rewritten, one)
