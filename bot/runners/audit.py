"""/events: the governance-event audit log, most recent first, at most EVENTS_SHOWN lines.

Scoped to the channel's env/namespace when it is bound (or `--env` / `--ns` name them);
an unbound channel (the default events channel, a direct message) sees every namespace.
"""

from __future__ import annotations

from bot.core.events import Answer, Event, GovernanceEvent
from bot.runners import Context
from bot.runners.notices import stamp
from bot.runners.queries import span
from bot.store.audit import EventQuery, caller_of
from policies.intents import ListEvents

EVENTS_SHOWN = 50


def events(ctx: Context, intent: ListEvents, env: str | None,
           namespace: str | None) -> list[Event]:
    since = ctx.clock() - span(intent.since) if intent.since else None
    found, total = ctx.store.events.find(EventQuery(
        service=intent.service, since=since, kind=intent.kind, code=intent.code,
        caller=intent.caller, env=env, namespace=namespace, limit=EVENTS_SHOWN))
    asked = _asked(intent, env, namespace)
    if not found:
        return [Answer(f"no governance events{asked}")]
    lines = [f"governance events{asked}, most recent first:"]
    lines += [line(event) for event in found]
    if total > len(found):
        lines.append(f"… and {total - len(found)} more; narrow it with since, kind, code "
                     "or from")
    return [Answer("\n".join(lines))]


def line(event: GovernanceEvent) -> str:
    """`2026-11-27 10:00:00 UTC circuit_break svc-user prod/demo 42× code 503 from svc-order`"""
    parts = [stamp(event.at), event.kind, event.service, f"{event.env}/{event.namespace}",
             f"{event.count}×"]
    if event.code is not None:
        parts.append(f"code {event.code}")
    if caller := caller_of(event):
        parts.append(f"from {caller}")
    if event.resolved:
        parts.append("resolved")
    if event.title:
        parts.append(f"— {event.title}")
    return " ".join(parts)


def _asked(intent: ListEvents, env: str | None, namespace: str | None) -> str:
    words = [f"of {intent.service}" if intent.service else "",
             f"in {env or '*'}/{namespace or '*'}" if env or namespace else "",
             f"since {intent.since}" if intent.since else "",
             f"kind {intent.kind}" if intent.kind else "",
             f"code {intent.code}" if intent.code is not None else "",
             f"from {intent.caller}" if intent.caller else ""]
    shown = " ".join(w for w in words if w)
    return f" {shown}" if shown else ""
