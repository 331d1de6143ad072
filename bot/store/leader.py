"""The database leader: which replica runs the scheduled jobs, decided by the store.

On PostgreSQL the leader holds a session advisory lock (`pg_try_advisory_lock`) on a
connection of its own: the lock lives as long as that session, so a replica that dies
(SIGKILL, a lost network) loses it the moment PostgreSQL sees the session end, and a
follower's next try wins. On SQLite (one host, the embedded default) it is a lease row in
the store's `claims` table, renewed by the leader; a follower takes it once it expires.

`bot.scheduler.Elected` calls `try_lead` every lease/3 while following and
`still_leading` every lease/3 while leading; `resign` at shutdown.

Example:
    leader = database_leader(store, settings.database_url, "pod-a", lease_seconds=15)
    if leader.try_lead():
        ...                              # run the jobs while leader.still_leading()
    leader.resign()
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.pool import NullPool

from bot.store.sql import SqlStore, open_engine

# "govbot" in ASCII: the advisory lock key every replica of one database agrees on
ADVISORY_KEY = 0x676F76626F74
CLAIM_KEY = "leader"

log = logging.getLogger("govbot.leader")


def sqlalchemy_url(url: str) -> str:
    """GOVBOT_DATABASE_URL as SQLAlchemy should open it (psycopg for a bare postgresql://,
    as the store does), for the scheduler's job store."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def job_engine(url: str) -> Engine:
    """An engine on GOVBOT_DATABASE_URL for the scheduler's job store, set up as the
    store's own (psycopg; SQLite's busy timeout and write transactions)."""
    return open_engine(url)


def in_memory(url: str) -> bool:
    """True for an in-memory SQLite URL: nothing there outlives the process."""
    parsed = make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database in (None, "", ":memory:")


def database_leader(store: SqlStore, url: str, holder: str,
                    lease_seconds: float) -> AdvisoryLockLeader | ClaimLeader:
    """The leader for GOVBOT_DATABASE_URL: an advisory lock on PostgreSQL, a lease row in
    `claims` otherwise."""
    if make_url(url).get_backend_name() == "postgresql":
        return AdvisoryLockLeader(sqlalchemy_url(url), holder, lease_seconds)
    return ClaimLeader(store, holder, lease_seconds)


class AdvisoryLockLeader:
    """A PostgreSQL session advisory lock held on a dedicated connection."""

    def __init__(self, url: str, holder: str, lease_seconds: float) -> None:
        self.holder = holder
        timeout = max(1, int(lease_seconds))
        self._engine: Engine = create_engine(
            url, poolclass=NullPool,
            connect_args={"connect_timeout": timeout, "application_name": f"govbot {holder}",
                          # a half-open connection must not keep a dead leader's lock long
                          "keepalives": 1, "keepalives_idle": timeout,
                          "keepalives_interval": 1, "keepalives_count": 3})
        self._connection: Connection | None = None
        self._guard = threading.Lock()

    def try_lead(self) -> bool:
        """Take the lock if no other session holds it; True when this replica leads."""
        with self._guard:
            if self._connection is not None:
                return self._alive()
            try:
                connection = self._engine.connect()
                won = bool(connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar())
                connection.commit()
            except Exception as error:  # the database is down: try again later
                log.warning("taking the leader lock: %s", error)
                return False
            if not won:
                connection.close()
                return False
            self._connection = connection
            return True

    def still_leading(self) -> bool:
        """True while the lock's session is alive; a broken connection has lost it."""
        with self._guard:
            return self._connection is not None and self._alive()

    def resign(self) -> None:
        """Give the lock back and close its connection."""
        with self._guard:
            if self._connection is None:
                return
            try:
                self._connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                                         {"key": ADVISORY_KEY})
                self._connection.commit()
            except Exception as error:  # the session is gone, and the lock with it
                log.warning("giving the leader lock back: %s", error)
            self._drop()
        self._engine.dispose()

    def _alive(self) -> bool:
        assert self._connection is not None
        try:
            held = self._connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND pid = pg_backend_pid() AND classid::bigint = :high AND objid::bigint = :low"),
                {"high": ADVISORY_KEY >> 32, "low": ADVISORY_KEY & 0xFFFFFFFF}).scalar()
            self._connection.commit()
        except Exception as error:
            log.warning("checking the leader lock: %s", error)
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def _drop(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except Exception:  # closing what is already broken
                log.debug("closing the leader lock's connection", exc_info=True)
            self._connection = None


class ClaimLeader:
    """A lease row `leader` in the store's `claims` table, renewed while leading."""

    def __init__(self, store: SqlStore, holder: str, lease_seconds: float) -> None:
        self.holder = holder
        self._store = store
        self._seconds = lease_seconds

    def try_lead(self) -> bool:
        """Take the lease when it is free or expired (or renew it when it is ours)."""
        try:
            return self._store.claim(CLAIM_KEY, self.holder, self._seconds)
        except Exception as error:  # the database is busy or gone: try again later
            log.warning("taking the leader lease: %s", error)
            return False

    def still_leading(self) -> bool:
        """Renew the lease; False when another replica took it after it expired."""
        return self.try_lead()

    def resign(self) -> None:
        """Free the lease so that a follower need not wait for it to expire."""
        try:
            self._store.release(CLAIM_KEY, self.holder)
        except Exception as error:
            log.warning("giving the leader lease back: %s", error)
