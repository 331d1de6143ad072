"""The store's tables (SQLAlchemy 2 declarative mapping); `bot.store.sql` uses them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    Boolean,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # a naive datetime is taken as UTC: that is what every caller of this store means
        utc = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class ChangeRow(Base):
    __tablename__ = "changes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    env: Mapped[str] = mapped_column(String(63))
    namespace: Mapped[str] = mapped_column(String(63))
    service: Mapped[str] = mapped_column(String(63))
    path: Mapped[str] = mapped_column(String(512))
    action: Mapped[str] = mapped_column(String(63))
    summary: Mapped[str] = mapped_column(Text)
    requester: Mapped[str] = mapped_column(String(255))
    state: Mapped[str] = mapped_column(String(16), index=True)
    branch: Mapped[str] = mapped_column(String(255))
    base_sha: Mapped[str] = mapped_column(String(64))
    head_sha: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    diff: Mapped[str] = mapped_column(Text)
    intent: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    merged_sha: Mapped[str] = mapped_column(String(64), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    url: Mapped[str] = mapped_column(String(1024), default="")


class ApprovalRow(Base):
    __tablename__ = "approvals"
    __table_args__ = (UniqueConstraint("change_id", "approver", "content_hash"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))
    by: Mapped[str] = mapped_column("approver", String(255))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    content_hash: Mapped[str] = mapped_column(String(64))


class BreakGlassRow(Base):
    """The reason of a break-glass approval, beside the approval it belongs to."""

    __tablename__ = "break_glass"

    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id", ondelete="CASCADE"),
                                             primary_key=True)
    reason: Mapped[str] = mapped_column(Text)


class LockRow(Base):
    __tablename__ = "locks"

    env: Mapped[str] = mapped_column(String(63), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(63), primary_key=True)
    service: Mapped[str] = mapped_column(String(63), primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("changes.id", ondelete="CASCADE"))


class AppliedRow(Base):
    __tablename__ = "applied"

    target: Mapped[str] = mapped_column(String(255), primary_key=True)
    sha: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventSeenRow(Base):
    __tablename__ = "events_seen"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class ClaimRow(Base):
    """A short lease on one piece of work (e.g. `change:12`): who holds it, until when.

    One row per key, so two threads or replicas can never both hold it; an expired lease
    (its holder died) may be taken over."""

    __tablename__ = "claims"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    until: Mapped[datetime] = mapped_column(UtcDateTime())


class ExpiryRow(Base):
    """When what a target holds for a document stops being what main renders: the end of
    a time-boxed fault. Past it, the document is applied again."""

    __tablename__ = "expiries"

    target: Mapped[str] = mapped_column(String(255), primary_key=True)
    path: Mapped[str] = mapped_column(String(512), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ChatRefRow(Base):
    """Where a chat adapter posted a change's message and card (channel, ts, ...)."""

    __tablename__ = "chat_refs"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class GovernanceEventRow(Base):
    """One governance event as its source reported it: the audit log (`/events`)."""

    __tablename__ = "governance_events"
    __table_args__ = (
        Index("ix_governance_events_service_at", "service", "at"),
        Index("ix_governance_events_code_at", "code", "at"),
        Index("ix_governance_events_caller_at", "source_service", "at"),
        Index("ix_governance_events_kind_at", "kind", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    env: Mapped[str] = mapped_column(String(63))
    namespace: Mapped[str] = mapped_column(String(63))
    service: Mapped[str] = mapped_column(String(255))
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    count: Mapped[int] = mapped_column(Integer)
    window: Mapped[float] = mapped_column(Float)
    code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source_service: Mapped[str] = mapped_column(String(255))
    source_namespace: Mapped[str] = mapped_column(String(63))
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    key: Mapped[str] = mapped_column(String(255))
    resolved: Mapped[bool] = mapped_column(Boolean)


class EventGroupRow(Base):
    """Governance events of one (env, namespace, service, kind, key) close in time: what
    one chat message is about. `callers` and `codes` are JSON counts; where each channel's
    message went is a chat ref of the platform (`<platform>:notice:<channel>:<id>`)."""

    __tablename__ = "event_groups"
    __table_args__ = (
        Index("ix_event_groups_subject", "env", "namespace", "service", "kind", "key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    env: Mapped[str] = mapped_column(String(63))
    namespace: Mapped[str] = mapped_column(String(63))
    service: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(255))
    first_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    count: Mapped[int] = mapped_column(Integer)
    callers: Mapped[str] = mapped_column(Text)
    codes: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(Text)
    resolved: Mapped[bool] = mapped_column(Boolean)


class DeadlineRow(Base):
    """When the first time-boxed part (`for <d>`: a fault, a rate limit, a route, a canary
    weight) of a policy document on main ends: its revert is due then. The expiry job
    keeps it from the documents main changed since the commit it last read (the
    `applied` marker `govbot:deadlines`), so no tick reads every document."""

    __tablename__ = "deadlines"

    path: Mapped[str] = mapped_column(String(512), primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class ProgressivePlanRow(Base):
    """A live progressive canary of main (bot.store.plans): the plan (JSON of
    `release.progressive`), the weight main holds, when the next step is due, whether a
    person paused it, and whether the channel was told its gate has no data."""

    __tablename__ = "progressive_plans"

    env: Mapped[str] = mapped_column(String(63), primary_key=True)
    namespace: Mapped[str] = mapped_column(String(63), primary_key=True)
    service: Mapped[str] = mapped_column(String(63), primary_key=True)
    path: Mapped[str] = mapped_column(String(512))
    weight: Mapped[int] = mapped_column(Integer)
    plan: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    paused: Mapped[bool] = mapped_column(Boolean)
    paused_by: Mapped[str] = mapped_column(String(255))
    waiting: Mapped[bool] = mapped_column(Boolean)
