"""SqlStore on SQLite and PostgreSQL: ids, locks, approvals, applied state, seen events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.change import ChangeSet
from bot.core.errors import Conflict, Locked, NotFound
from bot.core.types import Approval, Decision
from bot.store.sql import SqlStore
from policies.intents import Canary

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


Draft = tuple[ChangeSet, str, str, Decision]


def draft(service: str = "svc-user", requester: str = "alice", env: str = "prod",
          namespace: str = "demo") -> Draft:
    """What `open_change` takes: the change set, the requester, main, the verdict."""
    change_set = ChangeSet(
        env=env, namespace=namespace, service=service,
        path=f"services/{env}/{namespace}/{service}.yaml", action="canary",
        summary=f"canary {service} 0% → 20% 灰度", before_text=None,
        after_text=f"spec:\n  weight: 20  # {service}\n",
        intent=Canary(service, "set", 20, "v2"))
    verdict = Decision(allow=True, warn=("[release.small] ok",), approvals_required=2)
    return change_set, requester, "a" * 40, verdict


def test_ids_start_at_one_and_increase(store: SqlStore) -> None:
    first = store.open_change(*draft("svc-a"))
    second = store.open_change(*draft("svc-b", requester="bob"))
    assert (first.id, second.id) == (1, 2)
    assert first.branch == "change/1-svc-a" and second.branch == "change/2-svc-b"
    assert first.state == "open" and first.head_sha == ""
    assert store.get(2).requester == "bob"


def test_a_change_keeps_what_the_draft_said(store: SqlStore) -> None:
    given, requester, base, verdict = draft()
    change = store.get(store.open_change(given, requester, base, verdict).id)
    assert (change.env, change.namespace, change.service, change.path, change.action,
            change.summary, change.requester, change.base_sha, change.content_hash,
            change.diff) == (given.env, given.namespace, given.service, given.path,
                             given.action, given.summary, requester, base,
                             given.content_hash, given.diff)
    assert change.intent == given.intent
    assert change.verdict == verdict
    assert change.created_at.tzinfo is not None
    assert change.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - change.created_at) < timedelta(hours=1)


def test_a_second_change_of_a_service_is_locked_and_writes_nothing(store: SqlStore) -> None:
    holder = store.open_change(*draft(requester="alice"))
    with pytest.raises(Locked) as caught:
        store.open_change(*draft(requester="bob"))
    assert (caught.value.change_id, caught.value.requester, caught.value.service) == (
        holder.id, "alice", "svc-user")
    assert f"#{holder.id}" in str(caught.value)
    assert [c.id for c in store.changes(state=None)] == [1]
    assert store.open_change(*draft("svc-other")).id == 2  # the refused one took no id


def test_the_lock_is_per_env_namespace_and_service(store: SqlStore) -> None:
    store.open_change(*draft())
    assert store.open_change(*draft(env="dev")).id == 2
    assert store.open_change(*draft(namespace="shop")).id == 3


def test_close_releases_the_lock(store: SqlStore) -> None:
    first = store.open_change(*draft())
    merged = store.close(first.id, "merged", merged_sha="b" * 40)
    assert (merged.state, merged.merged_sha) == ("merged", "b" * 40)
    assert merged.updated_at >= merged.created_at
    second = store.open_change(*draft(requester="bob"))
    assert second.id == 2
    rejected = store.close(second.id, "rejected", reason="not now")
    assert (rejected.state, rejected.reason) == ("rejected", "not now")
    assert store.open_change(*draft()).id == 3


def test_closing_twice_is_a_conflict(store: SqlStore) -> None:
    change = store.open_change(*draft())
    store.close(change.id, "rejected")
    with pytest.raises(Conflict):
        store.close(change.id, "merged", merged_sha="c" * 40)
    assert store.get(change.id).state == "rejected"
    with pytest.raises(ValueError, match="open"):
        store.close(change.id, "open")


def test_discard_forgets_the_change_its_approvals_and_its_lock(store: SqlStore) -> None:
    change = store.open_change(*draft())
    store.add_approval(change.id, Approval("bob", NOW, change.content_hash))
    store.discard(change.id)
    with pytest.raises(NotFound):
        store.get(change.id)
    assert store.approvals(change.id, change.content_hash) == []
    assert store.open_change(*draft()).service == "svc-user"
    store.discard(12345)  # nothing to forget is fine


def test_get_of_a_missing_id_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound, match="#42"):
        store.get(42)


def test_named_updates_change_an_open_change_only(store: SqlStore) -> None:
    change = store.open_change(*draft())
    published = store.published(change.id, "d" * 40, "http://forge/pr/1")
    assert store.get(change.id) == published
    assert (published.head_sha, published.url) == ("d" * 40, "http://forge/pr/1")
    denied = Decision(allow=False, deny=("[release.max_step] no",))
    judged = store.judged(change.id, denied)
    assert judged.verdict == denied and judged.summary == change.summary
    replayed, *_ = draft()
    moved = replace(replayed, after_text="spec:\n  weight: 30\n", summary="canary 30")
    rebased = store.rebased(change.id, "d" * 40, "b" * 40, "e" * 40, moved)
    assert (rebased.base_sha, rebased.head_sha, rebased.content_hash, rebased.summary) == (
        "b" * 40, "e" * 40, moved.content_hash, "canary 30")
    with pytest.raises(Conflict, match="moved"):  # compare-and-set on the head
        store.rebased(change.id, "d" * 40, "c" * 40, "f" * 40, moved)
    store.close(change.id, "rejected")
    with pytest.raises(Conflict):
        store.published(change.id, "f" * 40)
    assert store.get(change.id).head_sha == "e" * 40


def test_a_claim_is_held_by_one_holder_until_released_or_expired(store: SqlStore) -> None:
    assert store.claim("change:1", "a", 60)
    assert not store.claim("change:1", "b", 60)
    assert store.claim("change:1", "a", 60)  # renewed by its holder
    store.release("change:1", "b")  # not b's to release
    assert not store.claim("change:1", "b", 60)
    store.release("change:1", "a")
    assert store.claim("change:1", "b", 0)
    assert store.claim("change:1", "c", 60)  # b's lease of 0 s has expired


def test_the_applied_marker_moves_only_from_what_the_writer_saw(store: SqlStore) -> None:
    assert store.set_applied("directory", "a" * 40)
    assert store.set_applied("directory", "b" * 40, old="a" * 40)
    assert not store.set_applied("directory", "c" * 40, old="a" * 40)
    assert store.applied("directory") == "b" * 40


def test_changes_are_filtered_and_ordered_by_id(store: SqlStore) -> None:
    store.open_change(*draft("svc-a"))
    store.open_change(*draft("svc-b", env="dev"))
    store.open_change(*draft("svc-c", namespace="shop"))
    store.close(1, "merged", merged_sha="f" * 40)
    assert [c.id for c in store.changes()] == [2, 3]
    assert [c.id for c in store.changes(state=None)] == [1, 2, 3]
    assert [c.id for c in store.changes(state="merged")] == [1]
    assert [c.id for c in store.changes(env="dev")] == [2]
    assert [c.id for c in store.changes(state=None, namespace="demo")] == [1, 2]
    assert [c.id for c in store.changes(service="svc-c")] == [3]
    assert store.changes(service="svc-zzz") == []


def test_approvals_are_bound_to_the_content_hash(store: SqlStore) -> None:
    change = store.open_change(*draft())
    assert store.add_approval(change.id, Approval("bob", NOW, "hash-1"))
    assert store.add_approval(change.id, Approval("carol", NOW + timedelta(minutes=1), "hash-1"))
    assert store.add_approval(change.id, Approval("bob", NOW + timedelta(minutes=2), "hash-2"))
    assert store.approvals(change.id, "hash-1") == [
        Approval("bob", NOW, "hash-1"), Approval("carol", NOW + timedelta(minutes=1), "hash-1")]
    assert [a.by for a in store.approvals(change.id, "hash-2")] == ["bob"]
    assert store.approvals(change.id, "hash-3") == []


def test_a_duplicate_approval_counts_once(store: SqlStore) -> None:
    change = store.open_change(*draft())
    assert store.add_approval(change.id, Approval("bob", NOW, "hash-1")) is True
    assert store.add_approval(change.id, Approval("bob", NOW + timedelta(seconds=1),
                                                  "hash-1")) is False
    assert store.approvals(change.id, "hash-1") == [Approval("bob", NOW, "hash-1")]


def test_approval_times_come_back_in_utc(store: SqlStore) -> None:
    change = store.open_change(*draft())
    beijing = timezone(timedelta(hours=8))
    store.add_approval(change.id, Approval("bob", datetime(2026, 11, 27, 18, 0, tzinfo=beijing),
                                           "h"))
    store.add_approval(change.id, Approval("carol", datetime(2026, 11, 27, 11, 0), "h"))
    [bob, carol] = store.approvals(change.id, "h")
    assert bob.at == NOW and bob.at.utcoffset() == timedelta(0)
    assert carol.at == NOW + timedelta(hours=1)  # naive means UTC


def test_approving_a_missing_change_is_not_found(store: SqlStore) -> None:
    with pytest.raises(NotFound):
        store.add_approval(7, Approval("bob", NOW, "h"))


def test_claim_event_is_true_only_the_first_time(store: SqlStore) -> None:
    assert store.claim_event("slack:Ev0123") is True
    assert store.claim_event("slack:Ev0123") is False
    assert store.claim_event("dingtalk:msg-1") is True


def test_applied_is_remembered_per_target(store: SqlStore) -> None:
    assert store.applied("directory") is None
    store.set_applied("directory", "1" * 40)
    store.set_applied("kubernetes:prod", "2" * 40)
    store.set_applied("directory", "3" * 40)
    assert store.applied("directory") == "3" * 40
    assert store.applied("kubernetes:prod") == "2" * 40


def test_a_second_store_on_the_same_database_sees_everything(
        open_store: Callable[[], SqlStore]) -> None:
    first = open_store()
    change = first.open_change(*draft())
    first.add_approval(change.id, Approval("bob", NOW, change.content_hash))
    first.set_applied("directory", "4" * 40)
    first.claim_event("e-1")
    second = open_store()
    assert second.get(change.id) == change
    assert len(second.approvals(change.id, change.content_hash)) == 1
    assert second.applied("directory") == "4" * 40
    assert second.claim_event("e-1") is False
    with pytest.raises(Locked):
        second.open_change(*draft(requester="carol"))


def test_sqlite_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "govbot.db"
    store = SqlStore(f"sqlite:///{path}")
    try:
        store.open_change(*draft())
    finally:
        store.dispose()
    assert path.is_file()


def test_a_plain_postgresql_url_uses_psycopg(postgres_database: str) -> None:
    store = SqlStore(f"postgresql://postgres@127.0.0.1:5432/{postgres_database}")
    try:
        assert store.claim_event(f"plain-url-{id(store)}") is True
    finally:
        store.dispose()
