"""SqlStore under racing threads, each with its own store as replicas would have.

Every racer waits on one barrier, so the calls overlap as much as threads allow; the
assertions hold whatever the interleaving.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from bot.core.errors import Locked
from bot.core.types import Approval
from bot.store.sql import SqlStore

from .test_sql_store import draft

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
T = TypeVar("T")


def race(stores: list[SqlStore], attempt: Callable[[SqlStore, int], T]) -> list[T | Exception]:
    """Run `attempt(store, index)` in one thread per store, all released together."""
    gate = threading.Barrier(len(stores))
    results: list[T | Exception] = [RuntimeError("did not run")] * len(stores)

    def run(index: int) -> None:
        gate.wait()
        try:
            results[index] = attempt(stores[index], index)
        except Exception as error:  # the test inspects what each racer got
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_threads_approving_at_once_count_once(open_store: Callable[[], SqlStore]) -> None:
    stores = [open_store(), open_store()]
    change = stores[0].open_change(*draft())

    def approver(content: str) -> Callable[[SqlStore, int], bool]:
        return lambda store, _: store.add_approval(change.id, Approval("bob", NOW, content))

    for round_ in range(5):  # several rounds, each a fresh content hash
        content = f"hash-{round_}"
        results = race(stores, approver(content))
        assert sorted(r is True for r in results) == [False, True], results
        assert [a.by for a in stores[0].approvals(change.id, content)] == ["bob"]


def test_many_approvers_at_once_each_count(open_store: Callable[[], SqlStore]) -> None:
    stores = [open_store() for _ in range(4)]
    change = stores[0].open_change(*draft())
    results = race(stores, lambda s, i: s.add_approval(
        change.id, Approval(f"person-{i}", NOW, "h")))
    assert results == [True] * 4
    assert sorted(a.by for a in stores[0].approvals(change.id, "h")) == [
        f"person-{i}" for i in range(4)]


def test_racing_opens_of_one_service_one_wins(open_store: Callable[[], SqlStore]) -> None:
    stores = [open_store() for _ in range(4)]
    results = race(stores, lambda s, i: s.open_change(*draft(requester=f"person-{i}")).id)
    winners = [r for r in results if isinstance(r, int)]
    locked = [r for r in results if isinstance(r, Locked)]
    assert winners == [1] and len(locked) == 3, results
    holder = stores[0].get(1).requester
    assert {(e.change_id, e.requester) for e in locked} == {(1, holder)}
    assert [c.id for c in stores[0].changes(state=None)] == [1]


def test_racing_opens_of_many_services_get_distinct_ids(
        open_store: Callable[[], SqlStore]) -> None:
    stores = [open_store() for _ in range(6)]

    def open_one(store: SqlStore, index: int) -> int:
        return store.open_change(*draft(f"svc-{index}")).id

    results = race(stores, open_one)
    assert sorted(r for r in results if isinstance(r, int)) == [1, 2, 3, 4, 5, 6], results
    by_id = {c.id: c for c in stores[0].changes()}
    assert all(by_id[i].branch == f"change/{i}-{by_id[i].service}" for i in by_id)


def test_racing_claims_of_one_event_one_wins(open_store: Callable[[], SqlStore]) -> None:
    stores = [open_store() for _ in range(4)]
    results = race(stores, lambda s, i: s.claim_event("slack:Ev42"))
    assert sorted(r is True for r in results) == [False, False, False, True], results


def test_racing_first_applies_leave_one_value(open_store: Callable[[], SqlStore]) -> None:
    stores = [open_store() for _ in range(3)]
    results = race(stores, lambda s, i: s.set_applied("directory", f"{i}" * 40))
    assert results == [True, True, True]
    assert stores[0].applied("directory") in {f"{i}" * 40 for i in range(3)}
