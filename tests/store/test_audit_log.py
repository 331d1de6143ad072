"""The governance-event audit log and its groups on each backend (`SqlStore.events`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.core.events import GovernanceEvent
from bot.store.audit import EventQuery
from bot.store.sql import SqlStore

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=5)


def _event(service: str = "svc-user", seconds: float = 0, *, count: int = 1,
           code: int = 503, source_service: str = "svc-order") -> GovernanceEvent:
    return GovernanceEvent("circuit_break", "prod", "demo", service,
                           NOW + timedelta(seconds=seconds), count=count, code=code,
                           source_service=source_service, source_namespace="demo")


def test_a_burst_is_recorded_whole_and_found_by_every_field(store: SqlStore) -> None:
    burst = [_event(f"svc-{n % 4}", -n, code=(503, 429)[n % 2],
                    source_service=f"caller-{n % 5}") for n in range(10_000)]
    assert store.events.record(burst) == 10_000
    assert store.events.find(EventQuery())[1] == 10_000
    shown, total = store.events.find(EventQuery(service="svc-1", code=429, limit=3))
    assert total == 2500 and [e.at for e in shown] == [NOW - timedelta(seconds=s)
                                                       for s in (1, 5, 9)]
    assert store.events.find(EventQuery(caller="caller-0", service="svc-0"))[1] == 500
    assert store.events.find(EventQuery(since=NOW - timedelta(seconds=99)))[1] == 100
    assert shown[0] == burst[1]


def test_alike_events_fold_into_one_group_until_the_window_passes(store: SqlStore) -> None:
    [first] = store.events.fold([_event(count=2), _event(seconds=60, source_service="a")],
                                WINDOW)
    assert first.opened and first.count == 3
    assert first.callers == (("svc-order", 2), ("a", 1)) and first.codes == ((503, 3),)
    [again] = store.events.fold([_event(seconds=300)], WINDOW)
    assert again.id == first.id and not again.opened and again.count == 4
    assert (again.first_at, again.last_at) == (NOW, NOW + timedelta(seconds=300))
    [later] = store.events.fold([_event(seconds=900)], WINDOW)
    assert later.id != first.id and later.opened and later.count == 1


def test_a_resolution_joins_its_open_alert_whenever_it_comes(store: SqlStore) -> None:
    def alert(seconds: float, resolved: bool) -> GovernanceEvent:
        return GovernanceEvent("alert", "prod", "demo", "svc-user",
                               NOW + timedelta(seconds=seconds), key="fp-1", resolved=resolved)

    [firing] = store.events.fold([alert(0, False)], WINDOW)
    [ended] = store.events.fold([alert(7200, True)], WINDOW)
    assert ended.id == firing.id and ended.resolved


def test_groups_are_shared_by_replicas(open_store: Callable[[], SqlStore]) -> None:
    one, two = open_store(), open_store()
    [a] = one.events.fold([_event()], WINDOW)
    [b] = two.events.fold([_event(seconds=10)], WINDOW)
    assert a.id == b.id and b.count == 2


def test_prune_deletes_what_is_older_than_the_retention(store: SqlStore) -> None:
    store.events.record([_event(seconds=-86400 * 31), _event()])
    store.events.fold([_event(seconds=-86400 * 31)], WINDOW)
    assert store.events.prune(NOW - timedelta(days=30)) == 1
    assert [e.at for e in store.events.find(EventQuery())[0]] == [NOW]
