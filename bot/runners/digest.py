"""The daily digest: per chat channel, what happened to its changes and its services.

`Workflow.digest` runs this once a day on the leader (GOVBOT_DIGEST_AT in
GOVBOT_TIMEZONE). Each channel bound in govbot.yaml by name (`channels:`; the console's
`*` is its one conversation, so it counts) gets one message covering every env/namespace
it is bound to, over the last `since`:

    merged     changes merged in the window: id, service, summary, who asked
    pending    changes open now: id, service, summary, who or what they wait for
    rejected   changes rejected or closed in the window, with the reason
    events     the five services and kinds with the most governance events in the window

A channel with nothing in any section gets no message. The message is told once per
channel and day (UTC): the key `digest:<platform>:<channel>:<date>` is claimed in the
store first, so a second run, a restart or another replica says nothing more.

Example:
    >>> lines(Section(Scope("dev", "demo"), merged=(), pending=(), rejected=(), events=()))
    []
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.change import Change
from bot.config import RepoConfig
from bot.core.events import Event, EventsReported
from bot.core.types import Scope
from bot.runners import Context
from bot.runners.views import needs, when

TOP_EVENTS = 5


@dataclass(frozen=True)
class Section:
    """What one env/namespace has to say in a digest."""

    scope: Scope
    merged: tuple[Change, ...]
    pending: tuple[Change, ...]
    rejected: tuple[Change, ...]
    events: tuple[tuple[str, str, int], ...]  # service, kind, count


def run(ctx: Context, since: timedelta) -> list[Event]:
    """One `EventsReported` per channel with something to say, each told once a day."""
    now = ctx.clock()
    start = now - since
    config = ctx.config(ctx.main())
    merged = _closed_between(ctx.store.changes("merged"), start, now)
    rejected = _closed_between(ctx.store.changes("rejected"), start, now)
    pending = [c for c in ctx.store.changes("open") if c.head_sha]
    sections: dict[Scope, Section] = {}
    told: list[Event] = []
    for (platform, channel), scopes in channels(config).items():
        body: list[str] = []
        for scope in scopes:
            if scope not in sections:
                sections[scope] = Section(
                    scope, _in(merged, scope), _in(pending, scope), _in(rejected, scope),
                    tuple(ctx.store.events.top(scope.env, scope.namespace, start, now,
                                               TOP_EVENTS)))
            body += lines(sections[scope], named=len(scopes) > 1)
        if not body:
            continue  # a quiet day is no news
        date = now.date().isoformat()
        if not ctx.store.claim_event(f"digest:{platform}:{channel}:{date}"):
            continue
        text = "\n".join([f"govbot digest, {when(start)} to {when(now)}:", *body])
        told.append(EventsReported(platform, channel, f"digest:{date}", text, 1, "info"))
    return told


def channels(config: RepoConfig) -> dict[tuple[str, str], list[Scope]]:
    """Each channel bound by name, with the env/namespaces it is bound to, in
    govbot.yaml's order."""
    found: dict[tuple[str, str], list[Scope]] = {}
    for bound in config.bindings():
        if bound.channel == "*" and bound.platform != "console":
            continue  # a wildcard binding names no channel to post to
        scopes = found.setdefault((bound.platform, bound.channel), [])
        scope = Scope(bound.env, bound.namespace)
        if scope not in scopes:
            scopes.append(scope)
    return found


def lines(section: Section, named: bool = False) -> list[str]:
    """The digest's lines for one env/namespace; none when it has nothing to say.
    `named` heads them with the env/namespace (a channel bound to several)."""
    body: list[str] = []
    if section.merged:
        body.append(f"merged ({len(section.merged)}):")
        body += [f"  #{c.id} {c.service}: {c.summary}, asked by {c.requester}"
                 for c in section.merged]
    if section.pending:
        body.append(f"pending ({len(section.pending)}):")
        body += [f"  #{c.id} {c.service}: {c.summary}, asked by {c.requester}; "
                 f"{waits_for(c)}" for c in section.pending]
    if section.rejected:
        body.append(f"rejected or closed ({len(section.rejected)}):")
        body += [f"  #{c.id} {c.service}: {c.summary}, asked by {c.requester}; "
                 f"{c.reason or 'no reason given'}"
                 for c in section.rejected]
    if section.events:
        body.append("top governance events:")
        body += [f"  {kind} on {service}: {count}×"
                 for service, kind, count in section.events]
    if body and named:
        return [f"{section.scope}:", *(f"  {line}" for line in body)]
    return body


def waits_for(change: Change) -> str:
    """Who or what an open change waits for, by its last verdict."""
    verdict = change.verdict
    if not verdict.allow:
        return "main's rules deny it now: " + "; ".join(verdict.deny)
    if verdict.mergeable:
        return "approved, waits for its merge"
    return f"waits for {needs(verdict)}"


def _closed_between(changes: Sequence[Change], start: datetime,
                    end: datetime) -> list[Change]:
    """Changes closed (merged or rejected: their last update) in [start, end]."""
    return [c for c in changes if start <= c.updated_at <= end]


def _in(changes: Sequence[Change], scope: Scope) -> tuple[Change, ...]:
    return tuple(c for c in changes if c.scope == scope)
