"""The store's deadlines: when each document's first time box ends, on SQLite and
PostgreSQL; what is due by a time, earliest first; a document without one drops out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.store.sql import SqlStore

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
USER, ORDER = "services/dev/demo/svc-user.yaml", "services/dev/demo/svc-order.yaml"


def test_due_documents_come_earliest_first_and_only_once_due(store: SqlStore) -> None:
    store.set_deadlines({USER: NOW + timedelta(minutes=30), ORDER: NOW + timedelta(minutes=10)})
    assert store.deadlines_due(NOW) == []
    assert store.deadlines_due(NOW + timedelta(minutes=10)) == [ORDER]
    assert store.deadlines_due(NOW + timedelta(hours=1)) == [ORDER, USER]


def test_a_new_deadline_replaces_the_old_and_none_removes_it(store: SqlStore) -> None:
    store.set_deadlines({USER: NOW, ORDER: NOW})
    store.set_deadlines({USER: NOW + timedelta(hours=2), ORDER: None})
    assert store.deadlines_due(NOW + timedelta(hours=1)) == []
    assert store.deadlines_due(NOW + timedelta(hours=2)) == [USER]


def test_deadlines_keep_their_instant_across_zones(store: SqlStore) -> None:
    east = datetime(2026, 11, 27, 18, 0, tzinfo=UTC) - timedelta(hours=8)  # 10:00 UTC
    store.set_deadlines({USER: east.astimezone()})
    assert store.deadlines_due(NOW - timedelta(seconds=1)) == []
    assert store.deadlines_due(NOW) == [USER]
