"""The store's schema through Alembic: fresh databases reach the newest revision, tables.py
and the migrations agree, databases from before migrations are stamped and keep their
data, newer ones are refused; on SQLite and on the machine's PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import column, insert, inspect, table, text
from sqlalchemy.engine import Engine

from bot.change import intent_to_json
from bot.core.errors import ConfigError
from bot.core.types import Decision
from bot.store import schema
from bot.store.sql import SqlStore, open_engine
from bot.store.tables import Base, UtcDateTime
from policies.intents import Canary
from tests.store.test_sql_store import draft

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ADD_A_REVISION = ("bot/store/tables.py and the migrations in bot/store/migrations/versions "
                  "disagree; add a revision: python -m bot.store.schema revision -m "
                  "'<what changed>', review it, and see docs/database.md")


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    made = open_engine(store_url)
    yield made
    made.dispose()


def tables(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def version_rows(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.scalars(text("SELECT version_num FROM alembic_version")))


def test_a_fresh_database_reaches_the_newest_revision(store_url: str, engine: Engine) -> None:
    assert schema.current(engine) == schema.Revision(None, schema.head(), known=True,
                                                     predates=False)
    SqlStore(store_url).dispose()
    assert version_rows(engine) == [schema.head()]
    assert schema.current(engine).at_head
    assert tables(engine) == set(Base.metadata.tables) | {"alembic_version"}


def test_tables_py_and_the_migrations_agree(engine: Engine) -> None:
    schema.upgrade(engine)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        found = compare_metadata(context, Base.metadata)
    assert found == [], f"{ADD_A_REVISION}\ndifferences: {found}"


def test_a_database_that_lacks_a_table_differs(engine: Engine) -> None:
    """The comparison above sees what tables.py declares and the database lacks."""
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE claims"))
    assert [d[0] for d in schema.differences(engine)] == ["add_table"]
    assert schema.differences(engine)[0][1].name == "claims"


def test_an_upgrade_of_a_database_at_the_newest_revision_changes_nothing(
        engine: Engine) -> None:
    first = schema.upgrade(engine)
    again = schema.upgrade(engine)
    assert (first.before, first.after, first.changed) == (None, schema.head(), True)
    assert (again.before, again.after, again.changed) == (schema.head(), schema.head(), False)
    assert version_rows(engine) == [schema.head()]


# The changes table as it was before migrations, to write a change into it
CHANGES_THEN = table(
    "changes",
    *(column(name) for name in (
        "id", "env", "namespace", "service", "path", "action", "summary", "requester",
        "state", "branch", "base_sha", "head_sha", "content_hash", "diff", "intent",
        "verdict", "merged_sha", "reason", "url")),
    column("created_at", UtcDateTime()), column("updated_at", UtcDateTime()))


def pre_migration_database(engine: Engine) -> int:
    """What govbot made before migrations, with a change in it: `Base.metadata.create_all`
    of the tables.py of then. That is the baseline revision without `alembic_version`
    (test_tables_py_and_the_migrations_agree held them equal when migrations began), so
    this stays true when tables.py moves on."""
    schema.upgrade(engine, schema.BASELINE)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))
        connection.execute(insert(CHANGES_THEN).values(
            id=7, env="prod", namespace="demo", service="svc-user",
            path="services/prod/demo/svc-user.yaml", action="canary",
            summary="canary 0% → 20%", requester="alice", state="open",
            branch="change/7-svc-user", base_sha="a" * 40, head_sha="b" * 40,
            content_hash="c" * 64, diff="-a\n+b\n",
            intent=json.dumps(intent_to_json(Canary("svc-user", "set", 20, "v2"))),
            verdict=json.dumps(Decision(allow=True, approvals_required=2).to_json()),
            created_at=NOW, updated_at=NOW, merged_sha="", reason="", url=""))
    return 7


def test_the_baseline_is_what_create_all_made(engine: Engine) -> None:
    """While tables.py is still the baseline's, a database `create_all` made and one the
    baseline made look alike to Alembic (later, the agreement test above speaks)."""
    if schema.head() != schema.BASELINE:
        pytest.skip("tables.py has moved past the baseline")
    Base.metadata.create_all(engine)
    assert schema.differences(engine) == []
    assert tables(engine) == schema.BASELINE_TABLES


def test_a_database_from_before_migrations_is_stamped_and_keeps_its_data(
        store_url: str, engine: Engine) -> None:
    change_id = pre_migration_database(engine)
    assert schema.current(engine).predates
    done = schema.upgrade(engine)
    assert (done.before, done.after, done.stamped) == (None, schema.head(), True)
    assert version_rows(engine) == [schema.head()]
    store = SqlStore(store_url)
    try:
        change = store.get(change_id)
        assert (change.requester, change.branch, change.created_at) == (
            "alice", "change/7-svc-user", NOW)
        assert change.intent == Canary("svc-user", "set", 20, "v2")
        assert store.open_change(*draft("svc-a")).id == change_id + 1
    finally:
        store.dispose()


def test_a_store_opened_on_a_database_from_before_migrations_stamps_it(
        store_url: str, engine: Engine) -> None:
    change_id = pre_migration_database(engine)
    store = SqlStore(store_url)
    try:
        assert store.get(change_id).summary == "canary 0% → 20%"
    finally:
        store.dispose()
    assert version_rows(engine) == [schema.head()]


def test_a_database_from_before_migrations_missing_a_table_is_refused(
        engine: Engine) -> None:
    pre_migration_database(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE event_groups"))
    with pytest.raises(ConfigError, match="event_groups"):
        schema.upgrade(engine)
    assert "alembic_version" not in tables(engine)


def test_a_database_a_newer_govbot_migrated_is_refused(store_url: str,
                                                       engine: Engine) -> None:
    schema.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    expected = (f"the database is at revision 9999, newer than this govbot knows "
                f"\\({schema.head()}\\): upgrade govbot")
    with pytest.raises(ConfigError, match=expected):
        SqlStore(store_url)
    found = schema.current(engine)
    assert (found.current, found.known, found.at_head) == ("9999", False, False)
    assert version_rows(engine) == ["9999"]


def test_an_in_memory_sqlite_store_is_migrated() -> None:
    store = SqlStore("sqlite://")
    try:
        assert store.claim_event("memory-1") is True
        assert store.claim_event("memory-1") is False
    finally:
        store.dispose()


def test_the_migrations_are_inside_the_package() -> None:
    """The wheel carries bot/ whole: the environment and every revision live there."""
    package = Path(schema.__file__).parent
    assert package / "migrations" == schema.MIGRATIONS
    assert {p.name for p in schema.MIGRATIONS.iterdir()} >= {"env.py", "script.py.mako",
                                                            "versions"}
    revisions = sorted(p.name for p in (schema.MIGRATIONS / "versions").glob("[0-9]*.py"))
    assert revisions[0].startswith(f"{schema.BASELINE}_")
    assert revisions[-1].startswith(f"{schema.head()}_")


def test_a_revision_with_nothing_in_it_is_not_written(capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    before = sorted((schema.MIGRATIONS / "versions").glob("*.py"))
    assert schema.main(["revision", "-m", "nothing changed"]) == 1
    assert "tables.py and the migrations agree" in capsys.readouterr().err
    assert sorted((schema.MIGRATIONS / "versions").glob("*.py")) == before


def test_the_scheduler_s_job_table_is_not_a_difference(tmp_path: Path) -> None:
    """APScheduler keeps its jobs in govbot's database; the store's migrations neither
    own nor report that table."""
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    SqlStore(url).dispose()
    engine = open_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE apscheduler_jobs (id VARCHAR(191) PRIMARY KEY)")
    assert schema.differences(engine) == []
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    assert [d[0] for d in schema.differences(engine)] == ["remove_table"]
    engine.dispose()
