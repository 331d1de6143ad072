"""`govbot db current` and `govbot db upgrade` on SQLite and PostgreSQL, through click."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import text

from bot.cli import main
from bot.store import schema
from bot.store.sql import open_engine
from tests.store.test_migrations import pre_migration_database
from tests.support.postgres import empty_postgres


def govbot(tmp_path: Path, url: str, *args: str) -> Result:
    return CliRunner().invoke(main, ["db", *args], env={
        "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_DATABASE_URL": url})


def test_current_then_upgrade_of_an_empty_database(tmp_path: Path, store_url: str) -> None:
    head = schema.head()
    before = govbot(tmp_path, store_url, "current")
    assert before.exit_code == 1
    # a SQLite file is not created by asking; an empty PostgreSQL database is there
    state = "no database file yet" if store_url.startswith("sqlite") else "empty"
    assert f"{state}; the newest is {head}" in before.output
    upgraded = govbot(tmp_path, store_url, "upgrade")
    assert upgraded.exit_code == 0, upgraded.output
    assert f"upgraded from an empty database to {head}" in upgraded.output
    after = govbot(tmp_path, store_url, "current")
    assert (after.exit_code, after.output.rstrip().endswith(f"at {head}, the newest")) == (
        0, True), after.output
    again = govbot(tmp_path, store_url, "upgrade")
    assert (again.exit_code, f"at {head}, the newest; nothing to do" in again.output) == (
        0, True), again.output


def test_upgrade_stamps_a_database_from_before_migrations(tmp_path: Path,
                                                          store_url: str) -> None:
    engine = open_engine(store_url)
    try:
        pre_migration_database(engine)
        current = govbot(tmp_path, store_url, "current")
        assert current.exit_code == 1
        assert "no revision: tables from before migrations" in current.output
        upgraded = govbot(tmp_path, store_url, "upgrade")
        assert upgraded.exit_code == 0, upgraded.output
        assert (f"stamped at {schema.BASELINE}, upgraded to {schema.head()}"
                in upgraded.output)
        assert schema.current(engine).at_head
    finally:
        engine.dispose()


def test_a_database_a_newer_govbot_migrated_is_named_and_left_alone(
        tmp_path: Path, store_url: str) -> None:
    engine = open_engine(store_url)
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
        current = govbot(tmp_path, store_url, "current")
        assert current.exit_code == 1
        assert f"at 9999, newer than this govbot knows ({schema.head()})" in current.output
        upgraded = govbot(tmp_path, store_url, "upgrade")
        assert upgraded.exit_code == 1
        assert "newer than this govbot knows" in upgraded.output
        assert "Traceback" not in upgraded.output
        assert schema.current(engine).current == "9999"
    finally:
        engine.dispose()


def test_the_default_database_is_sqlite_in_govbot_home(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"],
                                env={"GOVBOT_HOME": str(tmp_path / "home"),
                                     "GOVBOT_DATABASE_URL": ""})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "home" / "govbot.db").is_file()
    assert str(tmp_path / "home" / "govbot.db") in result.output


def test_a_database_that_cannot_be_reached_is_one_line_without_its_password(
        tmp_path: Path) -> None:
    url = "postgresql+psycopg://govbot:s3cr3t-pw@127.0.0.1:1/govbot"
    result = govbot(tmp_path, url, "current")
    assert result.exit_code == 1
    assert result.output.startswith("Error: the store at GOVBOT_DATABASE_URL: ")
    assert "s3cr3t-pw" not in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("command", ["current", "upgrade"])
def test_the_password_of_a_reachable_database_is_not_printed(
        tmp_path: Path, postgres_database: str, command: str) -> None:
    url = empty_postgres(postgres_database).replace("postgres@", "postgres:s3cr3t-pw@")
    result = govbot(tmp_path, url, command)
    assert "postgres:***@" in result.output, result.output
    assert "s3cr3t-pw" not in result.output


def test_current_of_a_sqlite_file_that_does_not_exist_creates_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/nowhere/govbot.db"
    result = govbot(tmp_path, url, "current")
    assert result.exit_code == 1
    assert f"{tmp_path}/nowhere/govbot.db: no database file yet; the newest is " \
        f"{schema.head()}" in result.output
    assert not (tmp_path / "nowhere").exists()
