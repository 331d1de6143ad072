"""`SqlStore`: change requests and their approvals in SQLite or PostgreSQL (SQLAlchemy 2).

Tables: `changes` (one row per change request), `approvals` (bound to a content hash),
`locks` (one open change per env/namespace/service, held from open to merge or reject),
`claims` (short leases on one piece of work, e.g. one change while it is approved or
merged), `applied` (the last commit each apply target applied), `events_seen` (platform
delivery ids, so retries do nothing), `chat_refs` (where a chat adapter posted a card),
`deadlines` (when each document's first time box ends);
`governance_events` and `event_groups` through `SqlStore.events` (bot.store.audit);
`progressive_plans` through `SqlStore.plans` (bot.store.plans).

The schema is Alembic's: opening a store brings the database to the newest revision
(bot.store.schema, docs/database.md).

Change ids are integers from 1, allocated in the same transaction that takes the
service's lock, so a refused command allocates nothing. Uniqueness is left to the
database (primary keys and a unique constraint), so racing threads or replicas each
count once without any lock of ours. On SQLite a transaction that writes starts with
`BEGIN IMMEDIATE` (writers queue instead of failing mid-way), and the writers of one
store queue on a lock of the process before they begin, so a burst of commands waits its
turn in order instead of polling in SQLite's busy handler (which sleeps up to 100 ms
between tries); the busy timeout still orders writers of other processes. A transaction
that only reads (`_reading`) begins deferred and, in WAL, waits for no writer. Commits
are not fsynced one by one (`synchronous=NORMAL`, see `_sqlite_connect`).

Called by the runners and the local forge.

Example:
    store = SqlStore("sqlite:///" + str(home / "govbot.db"))
    change = store.open_change(change_set, "alice", main, decision)   # Locked when held
    store.add_approval(change.id, Approval("bob", now, change.content_hash))
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar, get_args

from sqlalchemy import (
    create_engine,
    delete,
    event,
    func,
    select,
)
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot import logs
from bot.change import Change, ChangeSet, intent_from_json, intent_to_json
from bot.core.errors import ConfigError, Conflict, Locked, NotFound, TransientError
from bot.core.redact import redact
from bot.core.types import Approval, ChangeState, Decision
from bot.store import schema
from bot.store.audit import AuditLog
from bot.store.plans import Plans
from bot.store.tables import (
    AppliedRow,
    ApprovalRow,
    BreakGlassRow,
    ChangeRow,
    ChatRefRow,
    ClaimRow,
    DeadlineRow,
    EventSeenRow,
    ExpiryRow,
    LockRow,
)

ATTEMPTS = 8  # each lost id race means another change got in; replicas are few
READ_ONLY = "govbot_read_only"  # execution option of a transaction that only reads
T = TypeVar("T")


class SqlStore:
    def __init__(self, url: str, clock: Callable[[], datetime] | None = None) -> None:
        """Connect and bring the schema to the newest revision (bot.store.schema; SQLite
        files and folders are created). `clock` stamps every record (the app's one clock;
        UTC now by default). Raises ConfigError for a database a newer govbot migrated."""
        self._clock = clock or _utcnow
        self._engine = open_engine(url)
        try:
            schema.upgrade(self._engine)
        except BaseException:
            self._engine.dispose()
            raise
        self._sessions = sessionmaker(self._engine, expire_on_commit=False)
        sqlite = self._engine.dialect.name == "sqlite"
        # an in-memory database is one connection shared by every thread: reads queue too
        shared = sqlite and isinstance(self._engine.pool, StaticPool)
        self._reads = self._sessions if shared else sessionmaker(
            self._engine, expire_on_commit=False, execution_options={READ_ONLY: True})
        # reentrant: a nested transaction would wait on SQLite's busy timeout, as before
        self._writing: AbstractContextManager[object] = (
            threading.RLock() if sqlite else nullcontext())
        self.events = AuditLog(self._transaction)
        self.plans = Plans(self._transaction)

    def dispose(self) -> None:
        """Close every pooled connection (at shutdown, and between tests)."""
        self._engine.dispose()

    def ping(self) -> None:
        """Ask the database a trivial query (`/readyz`); raises when it does not answer."""
        with self._engine.connect() as connection:
            connection.execute(select(1))

    def open_change(self, change_set: ChangeSet, requester: str, base_sha: str,
                    verdict: Decision) -> Change:
        """Allocate the next id, take the service's lock, insert the change as `open` with
        branch `change/<id>-<service>` and an empty head_sha.

        Raises bot.core.errors.Locked (with the open change's id and requester) when the
        (env, namespace, service) already has an open change; nothing is written then.
        """
        for _ in range(ATTEMPTS):
            try:
                with self._transaction() as session:
                    self._refuse_locked(session, change_set)
                    opened = _to_change(_insert_change(session, change_set, requester,
                                                       base_sha, verdict, self._clock()))
                logs.transition(opened.id, "opened #%d for %s by %s", opened.id,
                                change_set.service, requester)
                return opened
            except IntegrityError:
                # another writer took the same id or the same lock first; look again
                with self._transaction() as session:
                    self._refuse_locked(session, change_set)
        raise TransientError(f"opening a change of {change_set.service}: "
                             "change ids kept colliding")

    def holder(self, env: str, namespace: str, service: str) -> Change | None:
        """The open change that holds the service's lock, if any."""
        query = (select(ChangeRow).join(LockRow, LockRow.change_id == ChangeRow.id)
                 .where(LockRow.env == env, LockRow.namespace == namespace,
                        LockRow.service == service))
        with self._reading() as session:
            row = session.scalars(query).first()
            return _to_change(row) if row is not None else None

    def discard(self, change_id: int) -> None:
        """Forget a change whose branch could not be created (row, approvals and lock)."""
        with self._transaction() as session:
            session.execute(delete(LockRow).where(LockRow.change_id == change_id))
            session.execute(delete(ApprovalRow).where(ApprovalRow.change_id == change_id))
            session.execute(delete(ChangeRow).where(ChangeRow.id == change_id))

    def get(self, change_id: int) -> Change:
        """The change; raises bot.core.errors.NotFound naming the id when absent."""
        with self._reading() as session:
            return _to_change(_row(session, change_id))

    def published(self, change_id: int, head_sha: str, url: str = "") -> Change:
        """The change's branch was written at `head_sha` (and opened as `url`)."""
        def write(row: ChangeRow) -> None:
            row.head_sha, row.url = head_sha, url or row.url
        return self._update_open(change_id, write)

    def rebased(self, change_id: int, old_head: str, base_sha: str, head_sha: str,
                change_set: ChangeSet) -> Change:
        """The change was replayed on a newer main: new base, head and content.

        Compare-and-set on the head: Conflict when someone else moved it meanwhile."""
        def write(row: ChangeRow) -> None:
            if row.head_sha != old_head:
                raise Conflict(f"rebasing change #{change_id}: its head moved meanwhile")
            row.base_sha, row.head_sha = base_sha, head_sha
            row.content_hash, row.diff = change_set.content_hash, change_set.diff
            row.summary = change_set.summary
        return self._update_open(change_id, write)

    def judged(self, change_id: int, verdict: Decision) -> Change:
        """Record the guard's latest verdict on the change."""
        def write(row: ChangeRow) -> None:
            row.verdict = _dump(verdict.to_json())
        return self._update_open(change_id, write)

    def _update_open(self, change_id: int, write: Callable[[ChangeRow], None]) -> Change:
        """Change an open change in one transaction; Conflict when it is no longer open
        (merged or rejected meanwhile)."""
        with self._transaction() as session:
            row = _row(session, change_id, for_update=True)
            if row.state != "open":
                raise Conflict(f"updating change #{change_id}: it is already {row.state}")
            write(row)
            row.updated_at = self._clock()
            return _to_change(row)

    def close(self, change_id: int, state: ChangeState, *, reason: str = "",
              merged_sha: str = "") -> Change:
        """Mark a change merged or rejected and release its service lock, in one transaction.

        Closing a change that is not open raises bot.core.errors.Conflict, so two racing
        closers cannot both succeed.
        """
        if state not in ("merged", "rejected"):
            raise ValueError(f"closing change #{change_id}: {state!r} is not merged or rejected")
        with self._transaction() as session:
            row = _row(session, change_id, for_update=True)
            if row.state != "open":
                raise Conflict(f"closing change #{change_id}: it is already {row.state}")
            row.state, row.reason, row.merged_sha, row.updated_at = (
                state, reason, merged_sha, self._clock())
            session.execute(delete(LockRow).where(LockRow.change_id == change_id))
            closed = _to_change(row)
        if state == "merged":
            logs.transition(change_id, "merged #%d as %s", change_id, merged_sha[:12])
        else:
            logs.transition(change_id, "rejected #%d (closed without merging): %s",
                            change_id, reason or "no reason given")
        return closed

    def changes(self, state: ChangeState | None = "open", env: str | None = None,
                namespace: str | None = None, service: str | None = None) -> list[Change]:
        """Changes by id, filtered."""
        query = select(ChangeRow).order_by(ChangeRow.id)
        for column, value in ((ChangeRow.state, state), (ChangeRow.env, env),
                              (ChangeRow.namespace, namespace), (ChangeRow.service, service)):
            if value is not None:
                query = query.where(column == value)
        with self._reading() as session:
            return [_to_change(row) for row in session.scalars(query)]

    def count_by_state(self) -> dict[str, int]:
        """How many changes each state holds, 0 for a state none is in (for /metrics,
        asked at each scrape)."""
        query = select(ChangeRow.state, func.count()).group_by(ChangeRow.state)
        with self._reading() as session:
            found = {str(state): int(number) for state, number in session.execute(query)}
        return {**dict.fromkeys(get_args(ChangeState), 0), **found}

    def add_approval(self, change_id: int, approval: Approval) -> bool:
        """Record an approval; False (and nothing written) when this person already
        approved this content of the change. Racing approvers each count once."""
        try:
            with self._transaction() as session:
                _row(session, change_id)
                row = ApprovalRow(change_id=change_id, by=approval.by, at=approval.at,
                                  content_hash=approval.content_hash)
                session.add(row)
                if approval.break_glass:
                    session.flush()
                    session.add(BreakGlassRow(approval_id=row.id, reason=approval.break_glass))
        except IntegrityError:
            return False
        logs.transition(change_id, "approved #%d by %s%s", change_id, approval.by,
                        " (break glass)" if approval.break_glass else "")
        return True

    def approvals(self, change_id: int, content_hash: str) -> list[Approval]:
        """Approvals of a change bound to `content_hash`, oldest first."""
        query = (select(ApprovalRow, BreakGlassRow.reason)
                 .outerjoin(BreakGlassRow, BreakGlassRow.approval_id == ApprovalRow.id)
                 .where(ApprovalRow.change_id == change_id,
                        ApprovalRow.content_hash == content_hash)
                 .order_by(ApprovalRow.at, ApprovalRow.id))
        with self._reading() as session:
            return [Approval(row.by, row.at, row.content_hash, reason or "")
                    for row, reason in session.execute(query)]

    def applied(self, target: str) -> str | None:
        """The commit of main that apply target `target` last applied completely."""
        with self._reading() as session:
            row = session.get(AppliedRow, target)
            return row.sha if row else None

    def set_applied(self, target: str, sha: str, old: str | None = None) -> bool:
        """Record that `target` applied commit `sha` of main completely, unless the marker
        is no longer `old` (someone recorded a newer apply meanwhile): then False."""
        def write(session: Session) -> bool:
            row = session.get(AppliedRow, target, with_for_update=True)
            if row is not None and old is not None and row.sha != old:
                return False
            session.merge(AppliedRow(target=target, sha=sha, at=self._clock()))
            return True
        # two replicas recording a first apply race on the primary key; the second updates
        return self._retry_integrity(write)

    def set_expiries(self, target: str, expiries: Mapping[str, datetime | None]) -> None:
        """Remember when `target`'s objects of each path expire (None: they do not), in
        one transaction."""
        if not expiries:
            return

        def write(session: Session) -> None:
            session.execute(delete(ExpiryRow).where(ExpiryRow.target == target,
                                                    ExpiryRow.path.in_(list(expiries))))
            session.add_all(ExpiryRow(target=target, path=path, at=at)
                            for path, at in expiries.items() if at is not None)
        self._retry_integrity(write)

    def expired(self, target: str, now: datetime) -> list[str]:
        """Documents whose objects on `target` expired by `now`."""
        query = (select(ExpiryRow.path).where(ExpiryRow.target == target, ExpiryRow.at <= now)
                 .order_by(ExpiryRow.path))
        with self._reading() as session:
            return list(session.scalars(query))

    def set_deadlines(self, deadlines: Mapping[str, datetime | None]) -> None:
        """Remember when the first time box of each document ends (None: it has none),
        in one transaction."""
        if not deadlines:
            return

        def write(session: Session) -> None:
            session.execute(delete(DeadlineRow).where(DeadlineRow.path.in_(list(deadlines))))
            session.add_all(DeadlineRow(path=path, at=at)
                            for path, at in deadlines.items() if at is not None)
        self._retry_integrity(write)

    def deadlines_due(self, now: datetime) -> list[str]:
        """Documents with a time box that ended by `now`, the earliest first."""
        query = (select(DeadlineRow.path).where(DeadlineRow.at <= now)
                 .order_by(DeadlineRow.at, DeadlineRow.path))
        with self._reading() as session:
            return list(session.scalars(query))

    def claim(self, key: str, holder: str, seconds: float) -> bool:
        """Take the lease `key` for `seconds` (or renew it when `holder` has it); False
        while someone else holds an unexpired lease."""
        now = self._clock()
        until = now + timedelta(seconds=seconds)
        try:
            with self._transaction() as session:
                row = session.get(ClaimRow, key, with_for_update=True)
                if row is None:
                    session.add(ClaimRow(key=key, holder=holder, until=until))
                elif row.holder == holder or row.until <= now:
                    row.holder, row.until = holder, until
                else:
                    return False
        except IntegrityError:
            return False
        return True

    def release(self, key: str, holder: str) -> None:
        """Give the lease `key` back, if `holder` still has it."""
        with self._transaction() as session:
            session.execute(delete(ClaimRow).where(ClaimRow.key == key,
                                                   ClaimRow.holder == holder))

    def claim_event(self, key: str) -> bool:
        """True the first time `key` (a platform delivery id) is seen, False after."""
        try:
            with self._transaction() as session:
                session.add(EventSeenRow(key=key, at=self._clock()))
        except IntegrityError:
            return False
        return True

    def forget_event(self, key: str) -> None:
        """Un-see `key`: its handling failed for a reason worth retrying."""
        with self._transaction() as session:
            session.execute(delete(EventSeenRow).where(EventSeenRow.key == key))

    def chat_ref(self, key: str) -> dict[str, Any] | None:
        """What a chat adapter remembered under `key` (e.g. the message of a change)."""
        with self._reading() as session:
            row = session.get(ChatRefRow, key)
            value = json.loads(row.value) if row else None
            return value if isinstance(value, dict) else None

    def set_chat_ref(self, key: str, value: dict[str, Any]) -> None:
        """Remember `value` under `key`, replacing what was there."""
        def write(session: Session) -> None:
            session.merge(ChatRefRow(key=key, value=_dump(value), at=self._clock()))
        self._retry_integrity(write)

    def keep_chat_ref(self, key: str, value: dict[str, Any]) -> dict[str, Any] | None:
        """Remember `value` under `key` only if nothing is there yet (a plain INSERT: the
        primary key refuses a second one), then return what is kept: of processes racing
        to write, every one reads the same winner."""
        try:
            with self._transaction() as session:
                session.add(ChatRefRow(key=key, value=_dump(value), at=self._clock()))
        except IntegrityError:
            pass  # another process wrote first: its value is the one kept
        return self.chat_ref(key)

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        """A transaction that may write; on SQLite, one at a time per store."""
        with self._writing, self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A transaction that only reads: on SQLite it takes no write lock and sees the
        last commit."""
        with self._reads() as session, session.begin():
            yield session

    def _retry_integrity(self, work: Callable[[Session], T]) -> T:
        for _ in range(ATTEMPTS - 1):
            try:
                with self._transaction() as session:
                    return work(session)
            except IntegrityError:
                continue
        with self._transaction() as session:
            return work(session)

    @staticmethod
    def _refuse_locked(session: Session, change_set: ChangeSet) -> None:
        holder = session.execute(
            select(ChangeRow.id, ChangeRow.requester)
            .join(LockRow, LockRow.change_id == ChangeRow.id)
            .where(LockRow.env == change_set.env, LockRow.namespace == change_set.namespace,
                   LockRow.service == change_set.service)).first()
        if holder is not None:
            raise Locked(holder.id, holder.requester, change_set.service)


def _insert_change(session: Session, change_set: ChangeSet, requester: str, base_sha: str,
                   verdict: Decision, now: datetime) -> ChangeRow:
    change_id = (session.scalar(select(func.max(ChangeRow.id))) or 0) + 1
    row = ChangeRow(
        id=change_id, env=change_set.env, namespace=change_set.namespace,
        service=change_set.service, path=change_set.path, action=change_set.action,
        summary=change_set.summary, requester=requester, state="open",
        branch=f"change/{change_id}-{change_set.service}", base_sha=base_sha, head_sha="",
        content_hash=change_set.content_hash, diff=change_set.diff,
        intent=_dump(intent_to_json(change_set.intent)), verdict=_dump(verdict.to_json()),
        created_at=now, updated_at=now, merged_sha="", reason="", url="")
    session.add(row)
    session.flush()  # the id first: the lock row refers to it
    session.add(LockRow(env=change_set.env, namespace=change_set.namespace,
                        service=change_set.service, change_id=change_id))
    session.flush()
    return row


def _row(session: Session, change_id: int, *, for_update: bool = False) -> ChangeRow:
    row = session.get(ChangeRow, change_id, with_for_update=for_update)
    if row is None:
        raise NotFound(f"there is no change #{change_id}")
    return row


def _to_change(row: ChangeRow) -> Change:
    return Change(
        id=row.id, env=row.env, namespace=row.namespace, service=row.service, path=row.path,
        action=row.action, summary=row.summary, requester=row.requester,
        state=_state(row.state), branch=row.branch, base_sha=row.base_sha,
        head_sha=row.head_sha, content_hash=row.content_hash, diff=row.diff,
        intent=intent_from_json(json.loads(row.intent)),
        verdict=Decision.from_json(json.loads(row.verdict)),
        created_at=row.created_at, updated_at=row.updated_at, merged_sha=row.merged_sha,
        reason=row.reason, url=row.url)


def _state(value: str) -> ChangeState:
    match value:
        case "open" | "merged" | "rejected":
            return value
    raise ValueError(f"reading a change: unknown state {value!r} in the store")


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=_plain)


def _plain(value: Any) -> Any:
    """Mappings and sequences that json does not know (e.g. MappingProxyType, tuples)."""
    if hasattr(value, "items"):
        return dict(value.items())
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"storing a change: {type(value).__name__} is not JSON data")


def _utcnow() -> datetime:
    return datetime.now(UTC)


DRIVERS = ("sqlite", "postgresql+psycopg")


def store_url(url: str) -> URL:
    """The store URL parsed, `postgresql://` meaning psycopg 3; ConfigError when it does
    not parse or names a driver that is not installed (`govbot config --check` asks too)."""
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise ConfigError(f"GOVBOT_DATABASE_URL={redact(url)!r} is not a SQLAlchemy URL; "
                          "write it like postgresql+psycopg://govbot@db/govbot or "
                          "sqlite:////var/lib/govbot/govbot.db") from error
    if parsed.drivername == "postgresql":  # SQLAlchemy would pick psycopg2, which we do not ship
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        parsed.get_dialect().import_dbapi()
    except (NoSuchModuleError, ImportError) as error:
        raise ConfigError(f"GOVBOT_DATABASE_URL: the driver {parsed.drivername} is not "
                          f"installed; the installed ones are {', '.join(DRIVERS)}") from error
    return parsed


def open_engine(url: str) -> Engine:
    """An engine for a store URL: `postgresql://` means psycopg 3; a SQLite file gets its
    folder, WAL, a busy timeout and `BEGIN IMMEDIATE` transactions."""
    parsed = store_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True)
    memory = parsed.database in (None, "", ":memory:")
    if not memory:
        Path(str(parsed.database)).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(parsed, connect_args={"check_same_thread": False, "timeout": 30},
                           **({"poolclass": StaticPool} if memory else {}))
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)
    return engine


def absent_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite store URL when it does not exist yet (opening it creates it);
    None for any other URL."""
    parsed = store_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(str(parsed.database)).expanduser()
    return None if path.exists() else path


def _sqlite_connect(connection: Any, _record: object) -> None:
    # let SQLAlchemy, not the sqlite3 module, decide when a transaction begins
    connection.isolation_level = None
    # synchronous=NORMAL: in WAL a commit is written but not fsynced (the WAL is, at each
    # checkpoint). A commit survives a crash of govbot; one from the last moments before
    # a power loss may roll back — as the policy repository's git objects and refs may,
    # which git does not fsync either. An fsync per commit (3 ms here) under the write
    # lock capped a burst at a few hundred store writes a second.
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000",
                   "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")


def _sqlite_begin(connection: Connection) -> None:
    # a writer takes the write lock up front: max(id)+1 and the lock check then see a
    # stable table; a reader begins deferred and, in WAL, never waits for a writer
    if connection.get_execution_options().get(READ_ONLY):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
