"""The store under test on each backend: a SQLite file, and the real PostgreSQL server.

The PostgreSQL leg needs a server on 127.0.0.1:5432 (trust auth, user `postgres`, database
`test`). It creates one uniquely named database per test session, gives every test an
empty schema, and drops the database at the end.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store.sql import SqlStore

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test"


def _postgres_listens() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """The name of a database created for this test session."""
    if not _postgres_listens():
        pytest.skip(f"POSTGRESQL LEG SKIPPED: nothing listens on {PG_HOST}:{PG_PORT}; "
                    "start PostgreSQL there (trust auth, user postgres) to run it")
    try:
        import psycopg
    except ImportError:
        pytest.fail('the PostgreSQL leg needs psycopg: pip install "psycopg[binary]==3.3.9"')
    name = f"govbot_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres dbname={name}",
                         autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store; SQLite in a folder that does not exist yet."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'home' / 'state' / 'govbot.db'}"
    return _empty_postgres(request.getfixturevalue("postgres_database"))


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
