"""Replicas starting at once on one fresh database: one migrates, the others wait for it
(PostgreSQL: the advisory lock; SQLite: its write lock); every one starts."""

from __future__ import annotations

import threading
import time

import psycopg
from sqlalchemy import text

from bot.store import schema
from bot.store.schema import Upgrade
from bot.store.sql import SqlStore, open_engine
from tests.support.postgres import PG_HOST, PG_PORT, empty_postgres

REPLICAS = 4
PATIENCE = 30.0  # seconds for all replicas together; each upgrade takes well under one


def join(threads: list[threading.Thread]) -> None:
    deadline = time.monotonic() + PATIENCE
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))


def test_replicas_upgrading_one_fresh_database_at_once_all_succeed(store_url: str) -> None:
    engines = [open_engine(store_url) for _ in range(REPLICAS)]
    start = threading.Barrier(REPLICAS)
    done: list[Upgrade] = []
    failed: list[BaseException] = []

    def replica(index: int) -> None:
        start.wait()
        try:
            done.append(schema.upgrade(engines[index]))
        except BaseException as error:
            failed.append(error)

    threads = [threading.Thread(target=replica, args=(i,), daemon=True)
               for i in range(REPLICAS)]
    try:
        for thread in threads:
            thread.start()
        join(threads)
        assert failed == []
        assert sorted(d.changed for d in done) == [False] * (REPLICAS - 1) + [True]
        assert {d.after for d in done} == {schema.head()}
        assert schema.differences(engines[0]) == []
        with engines[0].connect() as connection:
            assert list(connection.scalars(text("SELECT version_num FROM alembic_version"))
                        ) == [schema.head()]
    finally:
        for engine in engines:
            engine.dispose()


def test_stores_opened_at_once_on_one_fresh_database_all_work(store_url: str) -> None:
    start = threading.Barrier(REPLICAS)
    stores: list[SqlStore] = []
    failed: list[BaseException] = []

    def replica() -> None:
        start.wait()
        try:
            stores.append(SqlStore(store_url))
        except BaseException as error:
            failed.append(error)

    threads = [threading.Thread(target=replica, daemon=True) for _ in range(REPLICAS)]
    for thread in threads:
        thread.start()
    join(threads)
    try:
        assert failed == []
        assert [s.claim_event("delivery-1") for s in stores].count(True) == 1
    finally:
        for store in stores:
            store.dispose()


def advisory_waiters(conn: psycopg.Connection[tuple[int]]) -> int:
    """Sessions waiting for the migration lock (a bigint key shows as classid, objid)."""
    key = schema.MIGRATION_LOCK_KEY
    row = conn.execute(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %s AND objid = %s AND objsubid = 1 "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        (key >> 32, key & 0xFFFFFFFF)).fetchone()
    return row[0] if row else 0


def test_an_upgrade_waits_while_another_replica_holds_the_migration_lock(
        postgres_database: str) -> None:
    url = empty_postgres(postgres_database)
    engine = open_engine(url)
    done: list[Upgrade] = []
    with psycopg.connect(f"host={PG_HOST} port={PG_PORT} user=postgres "
                         f"dbname={postgres_database}", autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (schema.MIGRATION_LOCK_KEY,))
        waiting = threading.Thread(target=lambda: done.append(schema.upgrade(engine)),
                                   daemon=True)
        waiting.start()
        try:
            deadline = time.monotonic() + PATIENCE
            while advisory_waiters(other) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert advisory_waiters(other) == 1
            assert done == []
            assert schema.current(engine).current is None  # nothing ran under the lock
        finally:
            other.execute("SELECT pg_advisory_unlock(%s)", (schema.MIGRATION_LOCK_KEY,))
            waiting.join(PATIENCE)
    try:
        assert [(d.before, d.after) for d in done] == [(None, schema.head())]
        assert schema.current(engine).at_head
    finally:
        engine.dispose()
