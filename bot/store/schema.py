"""The store's schema revisions (Alembic): where a database stands, and bringing it to the
newest revision.

`SqlStore` upgrades at start; `govbot db upgrade` and `govbot db current` call the same
functions. The revisions live in `bot/store/migrations/versions/` (0001 is the baseline:
the tables as they were when migrations began); the Alembic configuration is built here
in code, so nothing but the package is needed at runtime.

Three kinds of database are brought to the newest revision: an empty one (every revision
runs), one made before migrations existed (govbot's tables, no `alembic_version`: stamped
at the baseline, then upgraded) and one at an older revision. A database at a revision
this govbot does not know (a newer govbot migrated it) is refused with a ConfigError.

Replicas starting together: on PostgreSQL the upgrade runs under a session advisory lock
(MIGRATION_LOCK_KEY) on the migration's connection, so one replica migrates and the others
wait, then find the database at the newest revision; on SQLite the transaction's write
lock (`BEGIN IMMEDIATE`, see bot.store.sql) does the same.

Developers add a revision with `python -m bot.store.schema revision -m "what changed"`
(docs/database.md): it autogenerates the difference between `bot/store/tables.py` and
the migrations, against a scratch SQLite database.

Example:
    engine = open_engine(url)
    done = upgrade(engine)        # Upgrade(before=None, after="0001", stamped=False)
    current(engine).at_head       # True
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

from bot.core.errors import ConfigError
from bot.store.tables import Base

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
# Fixed, and distinct from any other advisory lock of govbot (the leader's): "govbot" in ASCII
MIGRATION_LOCK_KEY = 0x676F76626F74
LOCKED_ATTEMPTS = 8  # SQLite only: tries of an upgrade that met a locked file
# The baseline's tables: a database holding them without `alembic_version` predates migrations
BASELINE_TABLES = frozenset({
    "changes", "approvals", "break_glass", "locks", "applied", "events_seen", "claims",
    "expiries", "chat_refs", "governance_events", "event_groups",
})


@dataclass(frozen=True)
class Revision:
    """Where a database stands: its revision (None when it has none) and the newest one."""

    current: str | None
    head: str
    known: bool       # False: a newer govbot migrated this database
    predates: bool    # no revision, but govbot's tables from before migrations

    @property
    def at_head(self) -> bool:
        return self.current == self.head


@dataclass(frozen=True)
class Upgrade:
    """What an upgrade did: from which revision (None: none) to which."""

    before: str | None
    after: str
    stamped: bool     # tables from before migrations were stamped at the baseline first

    @property
    def changed(self) -> bool:
        return self.before != self.after


def head() -> str:
    """The newest revision this govbot knows."""
    found = _script().get_current_head()
    if found is None:
        raise RuntimeError(f"no revision under {MIGRATIONS / 'versions'}")
    return found


def current(engine: Engine) -> Revision:
    """Where the database stands; changes nothing."""
    with engine.connect() as connection:
        found = _revision(connection)
        predates = found is None and _predates_migrations(connection)
    return Revision(found, head(), found is None or found in _known(), predates)


def upgrade(engine: Engine, target: str = "head") -> Upgrade:
    """Bring the database to the newest revision (or `target`); a database already there
    is only read.

    Raises ConfigError when the database is at a revision newer than this govbot knows,
    or holds only some of the tables of before migrations."""
    wanted = head() if target == "head" else target
    for attempt in range(LOCKED_ATTEMPTS):
        try:
            return _upgrade_once(engine, wanted)
        except OperationalError as error:
            # SQLite may answer "database is locked" at once, without waiting, while
            # another connection turns a fresh file into WAL mode or migrates it: the
            # next attempt finds the file ready (or migrated) and only reads it
            if (engine.dialect.name != "sqlite" or "locked" not in str(error)
                    or attempt == LOCKED_ATTEMPTS - 1):
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _upgrade_once(engine: Engine, wanted: str) -> Upgrade:
    with engine.connect() as connection:
        if _revision(connection) == wanted:
            return Upgrade(wanted, wanted, stamped=False)
        connection.rollback()
        with _exclusive(connection), connection.begin():
            return _upgrade(connection, wanted)


def shown(engine: Engine) -> str:
    """The database's URL as it may be printed: without its password."""
    return engine.url.render_as_string(hide_password=True)


# Tables in govbot's database that are not the store's: the scheduler's job store
# (APScheduler creates and owns it). Migrations leave them alone.
FOREIGN_TABLES = frozenset({"apscheduler_jobs"})


def ours(_object: object, name: str | None, type_: str, _reflected: bool,
         _compare_to: object) -> bool:
    """Alembic's `include_object`: everything but the tables FOREIGN_TABLES names."""
    return not (type_ == "table" and name in FOREIGN_TABLES)


def differences(engine: Engine) -> list[Any]:
    """What `bot/store/tables.py` declares that the database lacks or has otherwise, as
    Alembic's autogenerate sees it (empty when they agree)."""
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                               "include_object": ours})
        return list(compare_metadata(context, Base.metadata))


def autogenerate(message: str) -> Path:
    """Write the next revision (`NNNN_<slug>.py`): what tables.py declares beyond the
    newest revision, found against a scratch SQLite database. Review it before commit."""
    from bot.store.sql import open_engine  # the store's own SQLite setup; it imports us

    with tempfile.TemporaryDirectory(prefix="govbot-revision-") as folder:
        engine = open_engine(f"sqlite:///{Path(folder) / 'scratch.db'}")
        try:
            upgrade(engine)
            if not differences(engine):
                raise ConfigError("bot/store/tables.py and the migrations agree: "
                                  "there is nothing to put in a revision")
            with engine.begin() as connection:
                written = command.revision(_config(connection), message, autogenerate=True,
                                           rev_id=f"{int(head()) + 1:04d}")
        finally:
            engine.dispose()
    _script.cache_clear()
    scripts = written if isinstance(written, list) else [written]
    return Path(next(s.path for s in scripts if s is not None))


def _upgrade(connection: Connection, wanted: str) -> Upgrade:
    before = _revision(connection)  # again: another replica may have migrated meanwhile
    if before is not None and before not in _known():
        raise ConfigError(f"the database is at revision {before}, newer than this govbot "
                          f"knows ({head()}): upgrade govbot")
    config = _config(connection)
    stamped = before is None and _predates_migrations(connection)
    if stamped:
        missing = BASELINE_TABLES - set(inspect(connection).get_table_names())
        if missing:
            raise ConfigError(
                "the database holds tables of a govbot from before migrations but not "
                f"{', '.join(sorted(missing))}: start that govbot once so that it creates "
                "them, then this one")
        command.stamp(config, BASELINE)
    if before != wanted:
        command.upgrade(config, wanted)
    return Upgrade(before, wanted, stamped)


@contextmanager
def _exclusive(connection: Connection) -> Iterator[None]:
    """One migration at a time across replicas. PostgreSQL: a session advisory lock on
    this connection (it outlives transactions, and dies with the session if the process
    does). SQLite needs nothing: its transaction takes the write lock."""
    if connection.dialect.name != "postgresql":
        yield
        return
    connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
    connection.commit()
    try:
        yield
    finally:
        connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                           {"key": MIGRATION_LOCK_KEY})
        connection.commit()


def _revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _predates_migrations(connection: Connection) -> bool:
    return inspect(connection).has_table("changes")


def _config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.attributes["connection"] = connection
    return config


@cache
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def _known() -> set[str]:
    return {script.revision for script in _script().walk_revisions()}


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m bot.store.schema revision -m "what changed"`: for developers."""
    parser = argparse.ArgumentParser(prog="python -m bot.store.schema",
                                     description="add a revision of govbot's store schema")
    actions = parser.add_subparsers(dest="action", required=True)
    revision = actions.add_parser("revision", help="autogenerate the next revision from "
                                  "bot/store/tables.py against a scratch SQLite database")
    revision.add_argument("-m", "--message", required=True, help="what the revision changes")
    options = parser.parse_args(argv)
    try:
        path = autogenerate(options.message)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 1
    print(f"wrote {path}: review it (types, names, server defaults, data to move), "
          "then run tests/store/test_migrations.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
