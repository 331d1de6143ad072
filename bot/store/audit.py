"""The governance-event audit log and its groups: `SqlStore.events`.

Every event a source reports is kept as it came (`record`, one transaction for a whole
burst), searchable by service, kind, response code, caller and time (`find`), and deleted
once older than the retention (`prune`, from the sweep). `fold` adds a batch to the
groups that chat messages are about: events of one (env, namespace, service, kind, key)
join the subject's latest group while they come within `window` of its last one (an
alert's resolution always joins its open group); otherwise they open a new group. Groups
live in the store, so a restart or another replica keeps updating the same message.

Called by the funnel (`bot.runners.funnel`) and `/events` (`bot.runners.audit`).

Example:
    store.events.record(events)                        # all of them, or none
    groups = store.events.fold(events, timedelta(minutes=5))
    shown, total = store.events.find(EventQuery(service="svc-user", code=503))
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from bot.core.events import GovernanceEvent
from bot.store.tables import EventGroupRow, GovernanceEventRow

SEVERITIES = ("info", "warning", "critical")
Subject = tuple[str, str, str, str, str]  # env, namespace, service, kind, key


@dataclass(frozen=True)
class EventGroup:
    """One group as it stands after a fold: its running count, when it was first and
    last seen, its callers and response codes (most frequent first). `added` is what
    this fold added; `opened` says the fold started it."""

    id: int
    env: str
    namespace: str
    service: str
    kind: str
    key: str
    first_at: datetime
    last_at: datetime
    count: int
    callers: tuple[tuple[str, int], ...]
    codes: tuple[tuple[int, int], ...]
    severity: str
    title: str
    resolved: bool
    added: int = 0
    opened: bool = False


@dataclass(frozen=True)
class EventQuery:
    """What `/events` asks for; None matches anything."""

    service: str | None = None
    since: datetime | None = None
    kind: str | None = None
    code: int | None = None
    caller: str | None = None
    env: str | None = None
    namespace: str | None = None
    limit: int = 50
    until: datetime | None = None


def caller_of(event: GovernanceEvent) -> str:
    """The calling service, with its namespace when that is not the event's own."""
    if not event.source_service:
        return ""
    if event.source_namespace and event.source_namespace != event.namespace:
        return f"{event.source_service}.{event.source_namespace}"
    return event.source_service


@dataclass
class _Batch:
    """What one fold adds to one subject."""

    first_at: datetime
    last_at: datetime
    count: int
    callers: Counter[str]
    codes: Counter[int]
    severity: str
    title: str
    resolved: bool


def _batches(events: Iterable[GovernanceEvent]) -> dict[Subject, _Batch]:
    found: dict[Subject, _Batch] = {}
    for event in sorted(events, key=lambda e: e.at):
        subject = (event.env, event.namespace, event.service, event.kind, event.key)
        batch = found.get(subject)
        if batch is None:
            batch = found[subject] = _Batch(event.at, event.at, 0, Counter(), Counter(),
                                            event.severity, event.title, event.resolved)
        batch.last_at, batch.count = event.at, batch.count + event.count
        batch.severity = _worse(batch.severity, event.severity)
        batch.title, batch.resolved = event.title or batch.title, event.resolved
        if caller := caller_of(event):
            batch.callers[caller] += event.count
        if event.code is not None:
            batch.codes[event.code] += event.count
    return found


def _worse(a: str, b: str) -> str:
    rank = {name: i for i, name in enumerate(SEVERITIES)}
    return a if rank.get(a, 1) >= rank.get(b, 1) else b


class AuditLog:
    def __init__(self, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self._transaction = transaction

    def record(self, events: Sequence[GovernanceEvent]) -> int:
        """Keep every event of `events`, in one transaction (one executemany)."""
        if not events:
            return 0
        rows = [{"kind": e.kind, "env": e.env, "namespace": e.namespace,
                 "service": e.service, "at": e.at, "count": e.count, "window": e.window,
                 "code": e.code, "source_service": e.source_service,
                 "source_namespace": e.source_namespace, "severity": e.severity,
                 "title": e.title, "key": e.key, "resolved": e.resolved} for e in events]
        with self._transaction() as session:
            session.execute(insert(GovernanceEventRow), rows)
        return len(rows)

    def fold(self, events: Sequence[GovernanceEvent], window: timedelta) -> list[EventGroup]:
        """Add `events` to their groups; every group they touched, as it stands now."""
        batches = _batches(events)
        if not batches:
            return []
        with self._transaction() as session:
            return [self._fold_one(session, subject, batch, window)
                    for subject, batch in batches.items()]

    @staticmethod
    def _fold_one(session: Session, subject: Subject, batch: _Batch,
                  window: timedelta) -> EventGroup:
        env, namespace, service, kind, key = subject
        row = session.scalars(
            select(EventGroupRow).where(
                EventGroupRow.env == env, EventGroupRow.namespace == namespace,
                EventGroupRow.service == service, EventGroupRow.kind == kind,
                EventGroupRow.key == key)
            .order_by(EventGroupRow.id.desc()).limit(1)).first()
        joins = row is not None and (batch.first_at - row.last_at <= window
                                     or (batch.resolved and not row.resolved))
        if row is None or not joins:
            row = EventGroupRow(env=env, namespace=namespace, service=service, kind=kind,
                                key=key, first_at=batch.first_at, last_at=batch.last_at,
                                count=0, callers="{}", codes="{}", severity=batch.severity,
                                title=batch.title, resolved=False)
            session.add(row)
            opened = True
        else:
            opened = False
        callers = Counter(_load(row.callers)) + batch.callers
        codes = Counter({int(c): n for c, n in _load(row.codes).items()}) + batch.codes
        row.first_at = min(row.first_at, batch.first_at)
        row.last_at = max(row.last_at, batch.last_at)
        row.count += batch.count
        row.callers = json.dumps(dict(callers))
        row.codes = json.dumps({str(c): n for c, n in codes.items()})
        row.severity = _worse(row.severity, batch.severity) if not opened else batch.severity
        row.title, row.resolved = batch.title or row.title, batch.resolved
        session.flush()
        return EventGroup(row.id, env, namespace, service, kind, key, row.first_at,
                          row.last_at, row.count, tuple(callers.most_common()),
                          tuple(codes.most_common()), row.severity, row.title,
                          row.resolved, added=batch.count, opened=opened)

    def find(self, query: EventQuery) -> tuple[list[GovernanceEvent], int]:
        """Matching events, most recent first, at most `query.limit`; and how many match."""
        wanted = select(GovernanceEventRow)
        for column, value in ((GovernanceEventRow.service, query.service),
                              (GovernanceEventRow.kind, query.kind),
                              (GovernanceEventRow.code, query.code),
                              (GovernanceEventRow.source_service, query.caller),
                              (GovernanceEventRow.env, query.env),
                              (GovernanceEventRow.namespace, query.namespace)):
            if value is not None:
                wanted = wanted.where(column == value)
        if query.since is not None:
            wanted = wanted.where(GovernanceEventRow.at >= query.since)
        if query.until is not None:
            wanted = wanted.where(GovernanceEventRow.at <= query.until)
        with self._transaction() as session:
            total = session.scalar(select(func.count()).select_from(wanted.subquery())) or 0
            rows = session.scalars(wanted.order_by(GovernanceEventRow.at.desc(),
                                                   GovernanceEventRow.id.desc())
                                   .limit(query.limit))
            return [_to_event(row) for row in rows], total

    def top(self, env: str, namespace: str, since: datetime, until: datetime,
            limit: int = 5) -> list[tuple[str, str, int]]:
        """The (service, kind, count) of env/namespace with the most events between `since`
        and `until`, counts added up, most first (the daily digest); ties by name."""
        total = func.sum(GovernanceEventRow.count)
        query = (select(GovernanceEventRow.service, GovernanceEventRow.kind, total)
                 .where(GovernanceEventRow.env == env,
                        GovernanceEventRow.namespace == namespace,
                        GovernanceEventRow.at >= since, GovernanceEventRow.at <= until)
                 .group_by(GovernanceEventRow.service, GovernanceEventRow.kind)
                 .order_by(total.desc(), GovernanceEventRow.service,
                           GovernanceEventRow.kind)
                 .limit(limit))
        with self._transaction() as session:
            return [(service, kind, int(count or 0))
                    for service, kind, count in session.execute(query)]

    def prune(self, before: datetime) -> int:
        """Delete events (and groups last seen) before `before`; how many events went."""
        with self._transaction() as session:
            gone = session.execute(delete(GovernanceEventRow)
                                   .where(GovernanceEventRow.at < before))
            session.execute(delete(EventGroupRow).where(EventGroupRow.last_at < before))
            return int(getattr(gone, "rowcount", 0) or 0)


def _load(text: str) -> dict[str, int]:
    value: Any = json.loads(text or "{}")
    return {str(k): int(v) for k, v in value.items()} if isinstance(value, dict) else {}


def _to_event(row: GovernanceEventRow) -> GovernanceEvent:
    return GovernanceEvent(
        kind=row.kind, env=row.env, namespace=row.namespace, service=row.service,
        at=row.at, count=row.count, window=row.window, code=row.code,
        source_service=row.source_service, source_namespace=row.source_namespace,
        severity=row.severity, title=row.title, key=row.key, resolved=row.resolved)
