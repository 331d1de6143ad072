"""The store under test on each backend: a SQLite file, and the real PostgreSQL server
(`tests.support.postgres`: one database per test session, an empty schema per test)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store.sql import SqlStore
from tests.support.postgres import empty_postgres


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store; SQLite in a folder that does not exist yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'state' / 'govbot.db'}"
    return empty_postgres(request.getfixturevalue("postgres_database"))


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[[], SqlStore]]:
    """Opens stores on the same database (as replicas would); all are disposed after."""
    opened: list[SqlStore] = []

    def make() -> SqlStore:
        opened.append(SqlStore(store_url))
        return opened[-1]

    yield make
    for store in opened:
        store.dispose()


@pytest.fixture
def store(open_store: Callable[[], SqlStore]) -> SqlStore:
    return open_store()
