"""Chat load against `govbot serve`: bursts of concurrent signed slash commands on
distinct services, the memory of the process at start and after many commands, and the
same bursts over two replicas on one PostgreSQL.

Example:
    figures = one_serve(services=10_000, sizes=[50, 200], rounds=3, commands=1_000)
    figures.bursts[50].acks_s          # every 200's time over the rounds
"""

from __future__ import annotations

import socket
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.generate import Layout, generate
from bench.served import Burst, Serve, burst, serve_env
from tests.chat.slack.fake_slack import FakeSlack
from tests.support.postgres import PG_ADMIN, PG_HOST, PG_PORT


@dataclass
class Load:
    """Bursts by size (their rounds merged), and what the process held."""

    bursts: dict[int, list[Burst]] = field(default_factory=dict)
    start_s: float = 0.0
    rss_start_mb: float = 0.0
    rss_after_mb: float = 0.0
    commands: int = 0
    skipped: str = ""


class Commands:
    """Slash command texts on services not asked for before, in the generated order."""

    def __init__(self, layout: Layout) -> None:
        self._layout = layout
        self._next = 0

    def take(self, count: int) -> tuple[list[str], int]:
        """`count` texts and how many of them name a service for the first time."""
        first = max(0, min(count, len(self._layout.services) - self._next))
        texts = [self._layout.command(self._next + n, "{svc} 20%") for n in range(count)]
        self._next += count
        return texts, first


def _bursts(load: Load, ports: list[int], commands: Commands, repo: Path, slack: str,
            sizes: list[int], rounds: int) -> None:
    for size in sizes:
        for r in range(rounds):
            texts, fresh = commands.take(size)
            load.bursts.setdefault(size, []).append(
                burst(ports, texts, repo, slack, f"b{size}.{r}", fresh))
            load.commands += size


@contextmanager
def _repository(services: int) -> Iterator[tuple[Path, Layout]]:
    with tempfile.TemporaryDirectory(prefix="govbot-bench-serve-") as tmp:
        root = Path(tmp)
        yield root, generate(root / "policy.git", services, env="prod")


def one_serve(services: int, sizes: list[int], rounds: int, commands: int) -> Load:
    """One serve over `services`: RSS after start; the bursts; more commands (in bursts
    of the first size) until `commands` were sent; RSS again."""
    load = Load()
    fake = FakeSlack()
    try:
        with _repository(services) as (root, layout):
            repo = root / "policy.git"
            served = Serve(root / "home", serve_env(repo, fake.url))
            try:
                load.start_s, load.rss_start_mb = served.start_s, served.rss_mb()
                texts = Commands(layout)
                _bursts(load, [served.port], texts, repo, fake.url, sizes, rounds)
                step = sizes[0]
                while load.commands < commands:
                    batch, fresh = texts.take(min(step, commands - load.commands))
                    burst([served.port], batch, repo, fake.url, f"m{load.commands}", fresh)
                    load.commands += len(batch)
                load.rss_after_mb = served.rss_mb()
            finally:
                served.stop()
    finally:
        fake.close()
    return load


def postgres_listens() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def _database() -> Iterator[str]:
    """A throwaway database on the machine's PostgreSQL; its SQLAlchemy URL."""
    import psycopg

    name = f"govbot_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def two_replicas(services: int, sizes: list[int], rounds: int) -> Load:
    """Two serves on one PostgreSQL and one repository; each burst alternates them."""
    load = Load()
    if not postgres_listens():
        load.skipped = f"nothing listens on {PG_HOST}:{PG_PORT}"
        return load
    fake = FakeSlack()
    started: list[Serve] = []
    try:
        with _repository(services) as (root, layout), _database() as url:
            repo = root / "policy.git"
            for name in ("a", "b"):  # one after the other: the first migrates the store
                started.append(Serve(root / f"home-{name}",
                                     serve_env(repo, fake.url, GOVBOT_DATABASE_URL=url)))
            load.start_s = max(s.start_s for s in started)
            _bursts(load, [s.port for s in started], Commands(layout), repo, fake.url,
                    sizes, rounds)
            for served in started:
                served.stop()
    finally:
        for served in started:
            served.stop()
        fake.close()
    return load
