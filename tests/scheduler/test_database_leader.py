"""The database leader: a PostgreSQL advisory lock (one holder; gone with its session)
and, on SQLite, a lease row in `claims` that a follower takes once it expires."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.leader import AdvisoryLockLeader, ClaimLeader, database_leader
from bot.store.sql import SqlStore
from tests.support.postgres import PG_HOST, PG_PORT, empty_postgres


@pytest.fixture
def pg_url(postgres_database: str) -> str:
    return empty_postgres(postgres_database)


@pytest.fixture
def contenders(pg_url: str) -> Iterator[tuple[AdvisoryLockLeader, AdvisoryLockLeader]]:
    store = SqlStore(pg_url)
    first = database_leader(store, pg_url, "replica-a", 3)
    second = database_leader(store, pg_url, "replica-b", 3)
    assert isinstance(first, AdvisoryLockLeader) and isinstance(second, AdvisoryLockLeader)
    yield first, second
    first.resign()
    second.resign()
    store.dispose()


def test_a_second_contender_is_refused_while_the_first_holds_the_lock(
        contenders: tuple[AdvisoryLockLeader, AdvisoryLockLeader]) -> None:
    first, second = contenders
    assert first.try_lead()
    assert not second.try_lead()
    assert first.still_leading() and not second.still_leading()
    assert first.try_lead()  # asking again while leading keeps the lock
    assert not second.try_lead()


def test_resigning_hands_the_lock_to_the_next_contender(
        contenders: tuple[AdvisoryLockLeader, AdvisoryLockLeader]) -> None:
    first, second = contenders
    assert first.try_lead()
    first.resign()
    assert not first.still_leading()
    assert second.try_lead()
    assert not first.try_lead()


def test_the_lock_goes_with_its_connection(
        contenders: tuple[AdvisoryLockLeader, AdvisoryLockLeader], pg_url: str) -> None:
    import psycopg

    first, second = contenders
    assert first.try_lead()
    assert not second.try_lead()
    database = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres dbname={database}",
                         autocommit=True) as admin:
        killed = admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               "WHERE application_name = 'govbot replica-a'").fetchall()
    assert killed == [(True,)]
    assert not first.still_leading()  # a broken connection is leadership lost
    assert second.try_lead()
    assert not first.try_lead()


def test_a_sqlite_lease_is_taken_over_only_after_it_expires(tmp_path: Path) -> None:
    now = [datetime(2026, 12, 1, 9, 0, tzinfo=UTC)]
    url = f"sqlite:///{tmp_path / 'govbot.db'}"
    store = SqlStore(url, clock=lambda: now[0])
    try:
        first = database_leader(store, url, "replica-a", 15)
        second = database_leader(store, url, "replica-b", 15)
        assert isinstance(first, ClaimLeader) and isinstance(second, ClaimLeader)
        assert first.try_lead() and not second.try_lead()
        now[0] += timedelta(seconds=10)
        assert first.still_leading()  # renewed: another 15 seconds from now
        now[0] += timedelta(seconds=10)
        assert not second.try_lead()
        now[0] += timedelta(seconds=6)  # 16 s after the last renewal: expired
        assert second.try_lead()
        assert not first.still_leading()
        second.resign()
        assert first.try_lead()  # a resigned lease is free at once
    finally:
        store.dispose()
