"""Read-only commands: /status, /policies, /changes, /help. They change nothing."""

from __future__ import annotations

from bot.core.errors import UserError
from bot.core.events import Answer, Event
from bot.core.types import Scope
from bot.runners import Context
from bot.runners.views import progress
from commands.help import help_text
from policies.document import plain, service_path
from policies.status import overview
from policies.status import status as status_text

POLICIES_SHOWN = 50


def help(command: str | None) -> list[Event]:
    return [Answer(help_text(command))]


def changes(ctx: Context) -> list[Event]:
    open_changes = ctx.store.changes("open")
    if not open_changes:
        return [Answer("no open changes")]
    return [Answer("\n".join(f"#{c.id} {c.summary} ({c.env}/{c.namespace}) by {c.requester}, "
                             f"{progress(ctx, c)}" for c in open_changes))]


def status(ctx: Context, scope: Scope, service: str) -> list[Event]:
    text = ctx.repo.read(ctx.main(), service_path(scope.env, scope.namespace, service))
    if text is None:
        return [Answer(f"{service} has no policy document in {scope} yet; "
                       f"a command such as /canary {service} 10% creates it")]
    lines = [status_text(plain(text), now=ctx.clock())]
    held = ctx.store.holder(scope.env, scope.namespace, service)
    if held is not None:
        lines.append(f"open change #{held.id}: {held.summary} by {held.requester}")
    return [Answer("\n".join(lines))]


def policies(ctx: Context, scope: Scope) -> list[Event]:
    """One line per service of the namespace (a read-only listing: it reads them all)."""
    main = ctx.main()
    paths = ctx.repo.list_files(main, f"services/{scope.env}/{scope.namespace}/")
    if not paths:
        return [Answer(f"no services in {scope} yet")]
    shown = paths[:POLICIES_SHOWN]
    now = ctx.clock()
    lines = [f"services in {scope}:"]
    for path, text in sorted(ctx.repo.read_many(main, shown).items()):
        try:
            lines.append(overview(plain(text), now=now))
        except UserError as error:
            lines.append(f"{path}: unreadable ({error})")
    if len(paths) > len(shown):
        lines.append(f"… and {len(paths) - len(shown)} more; /status <svc> shows one")
    return [Answer("\n".join(lines))]
