"""Read-only commands: /status, /policies, /changes, /help. They change nothing.

/status adds a line when the cluster drifted from main (`bot.runners.drift`)."""

from __future__ import annotations

from datetime import timedelta

from bot.change import Change
from bot.core.errors import UserError
from bot.core.events import Answer, Event
from bot.core.types import Scope
from bot.runners import Context, progressive
from bot.runners.drift import drift_line
from bot.runners.views import frozen_only, manifest_diff, progress, view, when
from commands.help import help_text
from policies.document import plain, service_path
from policies.intents import ListChanges
from policies.status import overview, plane, unavailable
from policies.status import status as status_text

POLICIES_SHOWN = 50
CHANGES_SHOWN = 50


def help(command: str | None) -> list[Event]:
    return [Answer(help_text(command))]


def changes(ctx: Context, intent: ListChanges, env: str | None = None,
            namespace: str | None = None) -> list[Event]:
    """Open changes with what they still need; merged and rejected ones as history;
    only those of `env` / `namespace` when the command named them."""
    found = ctx.store.changes(None if intent.state == "all" else intent.state, env, namespace)
    if intent.since is not None:
        start = ctx.clock() - span(intent.since)
        found = [c for c in found if c.updated_at >= start]
    if not found:
        since = f" since {intent.since}" if intent.since else ""
        which = "" if intent.state == "all" else f"{intent.state} "
        return [Answer(f"no {which}changes{since}")]
    return [Answer("\n".join(_line(ctx, c) for c in found[-CHANGES_SHOWN:]))]


def _line(ctx: Context, change: Change) -> str:
    where = f"#{change.id} {change.summary} ({change.env}/{change.namespace}) by {change.requester}"
    match change.state:
        case "open":
            return f"{where}, {progress(ctx, change)}"
        case "merged":
            return f"{where}, merged {when(change.updated_at)}"
    return f"{where}, rejected {when(change.updated_at)}: {change.reason}"


def span(since: str) -> timedelta:
    """`7d`, `24h`, `30m` as a timedelta."""
    amount, unit = int(since[:-1]), since[-1]
    return timedelta(days=amount) if unit == "d" else (
        timedelta(hours=amount) if unit == "h" else timedelta(minutes=amount))


def show(ctx: Context, change_id: int) -> list[Event]:
    """/show: everything a reviewer needs before approving."""
    change = ctx.store.get(change_id)
    card = view(ctx, change)
    lines = [f"#{change.id} {change.summary} ({change.env}/{change.namespace}), "
             f"{change.state}, requested by {change.requester} {when(change.created_at)}"]
    if change.url:
        lines.append(f"pull request: {change.url}")
    verdict = "denied" if card.deny else "allowed"
    if change.state == "open" and frozen_only(change.verdict):
        verdict = "waits for the change freeze"
    lines.append(f"verdict: {verdict}")
    lines += [f"  deny {reason}" for reason in card.deny]
    lines += [f"  warning {reason}" for reason in card.warn]
    lines.append(f"approvals: {', '.join(card.approved_by) or 'none yet'} "
                 f"({len(card.approved_by)} of {card.approvals_required})")
    if change.state == "open" and card.approvals_missing:
        lines.append(f"may still approve: {', '.join(card.approvers) or 'nobody'}")
    if change.state == "rejected":
        lines.append(f"rejected: {change.reason}")
    lines += ["policy diff:", change.diff.rstrip("\n") or "(none)",
              "manifest diff:", manifest_diff(ctx, change).rstrip("\n") or "(no object changes)"]
    return [Answer("\n".join(lines), change_id=change.id)]


def status(ctx: Context, scope: Scope, service: str) -> list[Event]:
    text = ctx.repo.read(ctx.main(), service_path(scope.env, scope.namespace, service))
    held = ctx.store.holder(scope.env, scope.namespace, service)
    pending = (f"open change #{held.id}: {held.summary} by {held.requester}, "
               f"{progress(ctx, held)}" if held is not None else "")
    if text is None and pending:
        return [Answer(f"{service} has no policy document in {scope} on main yet; {pending} "
                       "would create it")]
    if text is None:
        return [Answer(f"{service} has no policy document in {scope} yet; "
                       f"a command such as /canary {service} 10% creates it")]
    drifted = drift_line(ctx, scope, service, text)
    lines = status_text(plain(text), now=ctx.clock()).split("\n")
    stepping = progressive.state_line(ctx, scope, service, text)
    if stepping:  # right after the release line it belongs to
        at = next((i + 1 for i, n in enumerate(lines) if n.startswith("release:")), len(lines))
        lines.insert(at, stepping)
    return [Answer("\n".join(n for n in (*lines, drifted, pending) if n))]


def policies(ctx: Context, scope: Scope) -> list[Event]:
    """The namespace's data plane and what it cannot carry, then one line per service
    (a read-only listing: it reads them all)."""
    main = ctx.main()
    paths = ctx.repo.list_files(main, f"services/{scope.env}/{scope.namespace}/")
    data_plane = ctx.config(main).mesh(scope.env, scope.namespace)
    if not paths:
        return [Answer("\n".join([f"no services in {scope} yet ({plane(data_plane)})",
                                  *unavailable(data_plane)]))]
    shown = paths[:POLICIES_SHOWN]
    now = ctx.clock()
    lines = [f"services in {scope} ({plane(data_plane)}):", *unavailable(data_plane)]
    for path, text in sorted(ctx.repo.read_many(main, shown).items()):
        try:
            lines.append(overview(plain(text), now=now))
        except UserError as error:
            lines.append(f"{path}: unreadable ({error})")
    if len(paths) > len(shown):
        lines.append(f"… and {len(paths) - len(shown)} more; /status <svc> shows one")
    return [Answer("\n".join(lines))]
