"""The live progressive canaries (`SqlStore.plans`) on SQLite and PostgreSQL: due plans,
pauses that no step overwrites, and two replicas pausing at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from bot.store.plans import Plan
from bot.store.sql import SqlStore

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def _plan(service: str, next_at: datetime, weight: int = 10) -> Plan:
    return Plan("prod", "demo", service, f"services/prod/demo/{service}.yaml", weight, 10,
                "15m", 50, NOW, next_at, {"successRate": 99.5, "p99": "500ms"})


def test_a_plan_comes_back_as_it_was_put(store: SqlStore) -> None:
    plan = _plan("svc-user", NOW)
    store.plans.put(plan)
    assert store.plans.get("prod", "demo", "svc-user") == plan
    assert store.plans.get("prod", "demo", "svc-order") is None
    store.plans.remove("prod", "demo", "svc-user")
    assert store.plans.get("prod", "demo", "svc-user") is None


def test_only_plans_whose_time_came_and_not_paused_are_due(store: SqlStore) -> None:
    store.plans.put(_plan("svc-late", NOW - timedelta(minutes=5)))
    store.plans.put(_plan("svc-now", NOW))
    store.plans.put(_plan("svc-later", NOW + timedelta(seconds=1)))
    store.plans.put(_plan("svc-paused", NOW - timedelta(minutes=9)))
    assert store.plans.pause("prod", "demo", "svc-paused", "alice")
    assert [p.service for p in store.plans.due(NOW)] == ["svc-late", "svc-now"]
    assert [p.service for p in store.plans.due(NOW, limit=1)] == ["svc-late"]


def test_a_step_keeps_a_pause_given_meanwhile(store: SqlStore) -> None:
    store.plans.put(_plan("svc-user", NOW))
    assert store.plans.pause("prod", "demo", "svc-user", "alice")
    store.plans.schedule("prod", "demo", "svc-user", NOW + timedelta(minutes=15), weight=20)
    found = store.plans.get("prod", "demo", "svc-user")
    assert found is not None
    assert (found.weight, found.paused, found.paused_by) == (20, True, "alice")
    assert not store.plans.pause("prod", "demo", "svc-user", "bob")
    assert store.plans.resume("prod", "demo", "svc-user", NOW + timedelta(minutes=1))
    assert not store.plans.resume("prod", "demo", "svc-user", NOW)
    resumed = store.plans.get("prod", "demo", "svc-user")
    assert resumed is not None and not resumed.paused and resumed.paused_by == ""
    assert resumed.next_at == NOW + timedelta(minutes=1)


def test_two_replicas_pausing_at_once_pause_once(open_store: Callable[[], SqlStore]) -> None:
    first, second = open_store(), open_store()
    first.plans.put(_plan("svc-user", NOW))
    results: list[bool] = []
    start = threading.Barrier(2)

    def pause(store: SqlStore, who: str) -> None:
        start.wait()
        results.append(store.plans.pause("prod", "demo", "svc-user", who))

    threads = [threading.Thread(target=pause, args=(s, w))
               for s, w in ((first, "alice"), (second, "bob"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]


def test_why_a_plan_waits_is_kept_until_it_steps_and_never_counts_as_the_plan(
        store: SqlStore) -> None:
    plan = _plan("svc-user", NOW)
    store.plans.put(plan)
    later = NOW + timedelta(minutes=15)
    store.plans.schedule("prod", "demo", "svc-user", later, waiting=True,
                         waits="while prod is frozen until 2026-11-27 20:00 UTC (release-day)")
    assert store.plans.pause("prod", "demo", "svc-user", "alice")
    waiting = store.plans.get("prod", "demo", "svc-user")
    assert waiting is not None and waiting.waiting and waiting.paused
    assert waiting.waits.startswith("while prod is frozen") and waiting.block == plan.block
    store.plans.schedule("prod", "demo", "svc-user", later, weight=20)
    stepped = store.plans.get("prod", "demo", "svc-user")
    assert stepped is not None and stepped.paused and stepped.weight == 20
    assert not stepped.waiting and stepped.waits == "" and stepped.block == plan.block
