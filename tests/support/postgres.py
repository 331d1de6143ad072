"""The machine's PostgreSQL for tests: one throwaway database per test session.

Needs a server on 127.0.0.1:5432 (trust auth, user `postgres`, database `test`); the
`postgres_database` fixture (registered in tests/conftest.py) skips loudly without one.
`empty_postgres(name)` gives a test an empty schema and its SQLAlchemy URL.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

PG_HOST, PG_PORT = "127.0.0.1", 5432
PG_ADMIN = f"host={PG_HOST} port={PG_PORT} user=postgres dbname=test"


def _postgres_listens() -> bool:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=2):
            return True
    except OSError:
        return False


def session_database() -> Iterator[str]:
    """The name of a database created for this test session, dropped after it."""
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


def empty_postgres(name: str) -> str:
    import psycopg

    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres dbname={name}",
                         autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return f"postgresql+psycopg://postgres@{PG_HOST}:{PG_PORT}/{name}"


