"""Chat load against `govbot serve`: bursts of concurrent signed slash commands on
distinct services, the memory of the process at start and after many commands, and the
same bursts over two replicas on one PostgreSQL.

Example:
    load = one_serve(services=10_000, sizes=[50, 200], rounds=3, commands=1_000)
    load.bursts["slack", 50][0].acks_s      # the first round's times to HTTP 200
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
from bench.served import Burst, Send, Serve, burst, serve_env, signed_callback, signed_slash
from tests.chat.dingtalk.fakes import DingTalkServer
from tests.chat.slack.fake_slack import FakeSlack
from tests.support.postgres import PG_ADMIN, PG_HOST, PG_PORT

PLATFORMS = ("slack", "dingtalk")
LARGE_BURST = 100   # bursts this large run once: one already gives enough acks for a p99


@dataclass
class Load:
    """Bursts by platform and size (one per round), and what the process held."""

    bursts: dict[tuple[str, int], list[Burst]] = field(default_factory=dict)
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


@dataclass(frozen=True)
class Fakes:
    """The chat platforms' local fakes: Slack's Web API, DingTalk's session webhooks."""

    slack: FakeSlack
    dingtalk: DingTalkServer

    def env(self, repo: Path, **extra: str) -> dict[str, str]:
        return serve_env(repo, self.slack.url, self.dingtalk.url, **extra)

    def sender(self, platform: str, texts: list[str], tag: str) -> Send:
        if platform == "slack":
            return lambda port, n: signed_slash(port, texts[n], f"{tag}.{n}",
                                                f"{self.slack.url}/response/{tag}.{n}")
        return lambda port, n: signed_callback(port, texts[n], f"{tag}.{n}",
                                               self.dingtalk.url)


@contextmanager
def _fakes() -> Iterator[Fakes]:
    fakes = Fakes(FakeSlack(), DingTalkServer())
    try:
        yield fakes
    finally:
        fakes.slack.close()
        fakes.dingtalk.close()


def _send(ports: list[int], fakes: Fakes, platform: str, commands: Commands, repo: Path,
          size: int, tag: str) -> Burst:
    texts, fresh = commands.take(size)
    return burst(ports, size, fakes.sender(platform, texts, tag), repo, fresh)


def _bursts(load: Load, ports: list[int], fakes: Fakes, commands: Commands, repo: Path,
            sizes: list[int], rounds: int, platforms: tuple[str, ...]) -> None:
    for platform in platforms:
        for size in sizes:
            for r in range(rounds if size < LARGE_BURST else 1):
                load.bursts.setdefault((platform, size), []).append(
                    _send(ports, fakes, platform, commands, repo, size,
                          f"{platform}{size}.{r}"))
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
    with _fakes() as fakes, _repository(services) as (root, layout):
        repo = root / "policy.git"
        served = Serve(root / "home", fakes.env(repo))
        try:
            load.start_s, load.rss_start_mb = served.start_s, served.rss_mb()
            texts = Commands(layout)
            _bursts(load, [served.port], fakes, texts, repo, sizes, rounds, PLATFORMS)
            while load.commands < commands:
                size = min(sizes[0], commands - load.commands)
                _send([served.port], fakes, "slack", texts, repo, size, f"m{load.commands}")
                load.commands += size
            load.rss_after_mb = served.rss_mb()
        finally:
            served.stop()
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
    started: list[Serve] = []
    with _fakes() as fakes, _repository(services) as (root, layout), _database() as url:
        repo = root / "policy.git"
        try:
            for name in ("a", "b"):  # one after the other: the first migrates the store
                started.append(Serve(root / f"home-{name}",
                                     fakes.env(repo, GOVBOT_DATABASE_URL=url)))
            load.start_s = max(s.start_s for s in started)
            _bursts(load, [s.port for s in started], fakes, Commands(layout), repo, sizes,
                    rounds, ("slack",))
        finally:
            for served in started:
                served.stop()
    return load
