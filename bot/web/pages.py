"""What each dashboard page shows, read through the same store and repository ports, and
the same status words, as the chat commands (/status, /policies, /changes, /show,
/events). `bot.web.app` checks who asks and which namespace they may see first; these
functions only read.

A namespace page lists the files under `services/<env>/<ns>/` only and reads the
documents of the one page shown (PAGE_SIZE), so its cost follows the page, not the
repository.

Example:
    page = namespace(ctx, "dev", "demo", query="user", page=1)
    page.rows[0].service, page.rows[0].status   # ("svc-user", ["release: …", …])
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.change import Change
from bot.core.errors import UserError
from bot.core.events import GovernanceEvent
from bot.core.types import ChangeView, Scope
from bot.runners import Context
from bot.runners.views import manifest_diff, manifests, view
from bot.store.audit import EventQuery
from bot.web.chart import Chart, timeline
from policies.document import parse_service_path, plain, service_path
from policies.status import status as status_text

PAGE_SIZE = 50
EVENTS_SHOWN = 500
SERVICE_EVENTS_SPAN = timedelta(days=1)
# ASCII digits only, and few enough that int() and timedelta() never overflow:
# str.isdigit() also takes "²", which int() refuses.
NUMBER = re.compile(r"[0-9]{1,9}")


def number_of(text: str) -> int | None:
    """`text` as a small non-negative number, or None when it is not one."""
    return int(text) if NUMBER.fullmatch(text) else None


@dataclass(frozen=True)
class Row:
    service: str
    status: list[str]
    open_change: Change | None
    last_change: Change | None


@dataclass(frozen=True)
class NamespacePage:
    scope: Scope
    rows: list[Row]
    total: int
    page: int
    pages: int
    query: str


def namespace(ctx: Context, env: str, ns: str, query: str, page: int) -> NamespacePage:
    """One page of a namespace's services whose name holds `query`."""
    main = ctx.main()
    names = [where[2] for p in ctx.repo.list_files(main, f"services/{env}/{ns}/")
             if (where := parse_service_path(p)) is not None]
    names = [n for n in names if query.lower() in n.lower()]
    pages = max(1, -(-len(names) // PAGE_SIZE))
    page = min(max(1, page), pages)
    shown = names[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]
    texts = ctx.repo.read_many(main, [service_path(env, ns, n) for n in shown])
    history = _latest(ctx.store.changes(None, env, ns))
    now = ctx.clock()
    rows = []
    for name in shown:
        opened, last = history.get(name, (None, None))
        rows.append(Row(name, _status(texts.get(service_path(env, ns, name)), now), opened,
                        last))
    return NamespacePage(Scope(env, ns), rows, len(names), page, pages, query)


def _status(text: str | None, now: datetime) -> list[str]:
    if text is None:
        return ["no policy document"]
    try:
        return status_text(plain(text), now=now).split("\n")
    except UserError as error:
        return [f"unreadable: {error}"]


def _latest(changes: Sequence[Change]) -> dict[str, tuple[Change | None, Change | None]]:
    """Per service: its open change, and its last merged or rejected one."""
    found: dict[str, tuple[Change | None, Change | None]] = {}
    for change in sorted(changes, key=lambda c: c.updated_at):
        opened, last = found.get(change.service, (None, None))
        if change.state == "open":
            opened = change
        else:
            last = change
        found[change.service] = (opened, last)
    return found


@dataclass(frozen=True)
class ServicePage:
    scope: Scope
    service: str
    document: str | None
    status: list[str]
    manifests: dict[str, str]
    changes: list[Change]
    events: list[GovernanceEvent]
    chart: Chart
    approved_by: dict[int, list[str]]
    render_problem: str = ""
    cut: bool = False


def service(ctx: Context, env: str, ns: str, name: str) -> ServicePage | None:
    """The service page, or None when the service has no document and no change."""
    main = ctx.main()
    path = service_path(env, ns, name)
    text = ctx.repo.read(main, path)
    changes = sorted(ctx.store.changes(None, env, ns, name), key=lambda c: c.id, reverse=True)
    if text is None and not changes:
        return None
    problem = ""
    objects: dict[str, str] = {}
    if text is not None:
        try:
            objects = manifests(ctx, main, path)
        except UserError as error:
            problem = str(error)
    approved = {c.id: [a.by for a in ctx.store.approvals(c.id, c.content_hash)]
                for c in changes}
    now = ctx.clock()
    # the table shows the chart's day; /ui/events?service= reaches older ones
    found, total = ctx.store.events.find(EventQuery(
        service=name, env=env, namespace=ns, since=now - SERVICE_EVENTS_SPAN,
        limit=EVENTS_SHOWN))
    return ServicePage(Scope(env, ns), name, text, _status(text, now) if text else [],
                       objects, changes, found, timeline(found, now), approved, problem,
                       cut=total > EVENTS_SHOWN)


@dataclass(frozen=True)
class OpenChange:
    change: Change
    card: ChangeView
    manifest_diff: str
    missing: int = field(default=0)


def open_changes(ctx: Context, scopes: Sequence[Scope]) -> list[OpenChange]:
    """The open changes of the namespaces in `scopes`, with what a reviewer reads."""
    seen = set(scopes)
    found = []
    for change in ctx.store.changes("open"):
        if Scope(change.env, change.namespace) not in seen:
            continue
        card = view(ctx, change)
        found.append(OpenChange(change, card, manifest_diff(ctx, change),
                                max(0, card.approvals_required - len(card.approved_by))))
    return found


@dataclass(frozen=True)
class EventFilter:
    service: str = ""
    kind: str = ""
    code: int | None = None
    caller: str = ""
    since: datetime | None = None
    until: datetime | None = None


def events(ctx: Context, scopes: Sequence[Scope], wanted: EventFilter,
           limit: int = EVENTS_SHOWN) -> tuple[list[GovernanceEvent], bool]:
    """Audit rows of the namespaces in `scopes` that match, most recent first; and
    whether more matched than `limit` (the newest `limit` are shown)."""
    found: list[GovernanceEvent] = []
    matched = 0
    for scope in scopes:
        # `until` goes into the query: applied after the limit, older matches would vanish
        rows, total = ctx.store.events.find(EventQuery(
            service=wanted.service or None, since=wanted.since, until=wanted.until,
            kind=wanted.kind or None, code=wanted.code, caller=wanted.caller or None,
            env=scope.env, namespace=scope.namespace, limit=limit))
        found += rows
        matched += total
    return sorted(found, key=lambda e: e.at, reverse=True)[:limit], matched > limit


def since_of(text: str, now: datetime) -> datetime | None:
    """`7d`, `24h`, `30m` back from `now`, or None for anything else (a span reaching
    before year 1 included)."""
    amount = number_of(text[:-1])
    if amount is None or text[-1:] not in ("d", "h", "m"):
        return None
    try:
        return now - {"d": timedelta(days=amount), "h": timedelta(hours=amount),
                      "m": timedelta(minutes=amount)}[text[-1]]
    except (OverflowError, ValueError):
        return None
