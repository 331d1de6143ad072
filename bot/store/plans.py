"""The live progressive canaries of main: `SqlStore.plans`.

One row per service whose document on main holds a plan still to run
(`release.progressive`, weight below `until`), so the scheduler's tick asks
the store for the plans that are due instead of reading every document. The progressive
runner (`bot.runners.progressive`) keeps the rows in step with main: at each tick it
reads only the documents main changed since the commit it saw last.

Example:
    store.plans.put(plan)
    due = store.plans.due(now)              # not paused, next_at come
    store.plans.pause("prod", "demo", "svc-user", by="alice")
    store.plans.remove("prod", "demo", "svc-user")

While a plan waits (its gate has no data, a freeze or another rule denies its step), the
row says why in `waits`, kept beside the plan in its JSON column; the channel is told
once per reason, and /status shows it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.store.tables import ProgressivePlanRow

DUE_BATCH = 200  # plans stepped per tick at most; the rest are due at the next one


@dataclass(frozen=True)
class Plan:
    """A live plan: `step` points every `every` up to `until`, from `weight` now, while
    `gate` (successRate, p99) holds."""

    env: str
    namespace: str
    service: str
    path: str
    weight: int
    step: int
    every: str
    until: int
    started_at: datetime
    next_at: datetime
    gate: dict[str, Any] = field(default_factory=dict)
    paused: bool = False
    paused_by: str = ""
    waiting: bool = False
    waits: str = ""  # why the plan waits, while `waiting`

    @property
    def block(self) -> dict[str, Any]:
        """The plan as `release.progressive` writes it."""
        found: dict[str, Any] = {"step": self.step, "every": self.every, "until": self.until}
        return {**found, "gate": self.gate} if self.gate else found


class Plans:
    def __init__(self, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self._transaction = transaction

    def get(self, env: str, namespace: str, service: str) -> Plan | None:
        with self._transaction() as session:
            row = session.get(ProgressivePlanRow, (env, namespace, service))
            return _plan(row) if row is not None else None

    def due(self, now: datetime, limit: int = DUE_BATCH) -> list[Plan]:
        """Plans not paused whose next step is due, the longest waiting first."""
        query = (select(ProgressivePlanRow)
                 .where(ProgressivePlanRow.next_at <= now, ProgressivePlanRow.paused.is_(False))
                 .order_by(ProgressivePlanRow.next_at).limit(limit))
        with self._transaction() as session:
            return [_plan(row) for row in session.scalars(query)]

    def put(self, plan: Plan) -> None:
        """Insert or replace the service's plan."""
        with self._transaction() as session:
            session.merge(ProgressivePlanRow(
                env=plan.env, namespace=plan.namespace, service=plan.service, path=plan.path,
                weight=plan.weight, plan=_column(plan.block, plan.waits),
                started_at=plan.started_at, next_at=plan.next_at, paused=plan.paused,
                paused_by=plan.paused_by, waiting=plan.waiting))

    def schedule(self, env: str, namespace: str, service: str, next_at: datetime, *,
                 weight: int | None = None, waiting: bool = False, waits: str = "") -> None:
        """The next step's time (and the weight main holds now), and why the plan waits
        when it does; a pause given meanwhile stays (only these columns are written)."""
        with self._transaction() as session:
            row = session.get(ProgressivePlanRow, (env, namespace, service))
            if row is None:
                return
            row.next_at, row.waiting = next_at, waiting
            row.plan = _column(json.loads(row.plan), waits if waiting else "")
            if weight is not None:
                row.weight = weight

    def pause(self, env: str, namespace: str, service: str, by: str) -> bool:
        """Pause the plan; False when it was paused already (or is gone)."""
        return self._update(env, namespace, service, {"paused": True, "paused_by": by},
                            paused=False)

    def resume(self, env: str, namespace: str, service: str, next_at: datetime) -> bool:
        """Resume the plan, its next step at `next_at`; False when it was not paused."""
        return self._update(env, namespace, service,
                            {"paused": False, "paused_by": "", "next_at": next_at}, paused=True)

    def _update(self, env: str, namespace: str, service: str, values: dict[str, Any],
                paused: bool | None = None) -> bool:
        query = update(ProgressivePlanRow).where(
            ProgressivePlanRow.env == env, ProgressivePlanRow.namespace == namespace,
            ProgressivePlanRow.service == service)
        if paused is not None:
            query = query.where(ProgressivePlanRow.paused.is_(paused))
        with self._transaction() as session:
            changed = session.execute(query.values(**values))
            return bool(getattr(changed, "rowcount", 0))

    def remove(self, env: str, namespace: str, service: str) -> None:
        with self._transaction() as session:
            session.execute(delete(ProgressivePlanRow).where(
                ProgressivePlanRow.env == env, ProgressivePlanRow.namespace == namespace,
                ProgressivePlanRow.service == service))


def _column(block: dict[str, Any], waits: str) -> str:
    """The plan column: the block, and why it waits while it does."""
    found = {k: v for k, v in block.items() if k != "waits"}
    return json.dumps({**found, "waits": waits} if waits else found, sort_keys=True)


def _plan(row: ProgressivePlanRow) -> Plan:
    block = json.loads(row.plan)
    return Plan(row.env, row.namespace, row.service, row.path, row.weight, int(block["step"]),
                str(block["every"]), int(block["until"]), row.started_at, row.next_at,
                dict(block.get("gate") or {}), row.paused, row.paused_by, row.waiting,
                str(block.get("waits", "")))
