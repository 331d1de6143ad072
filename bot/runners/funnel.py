"""The one funnel of governance events: stored → routed → grouped → told.

    record     every event in the audit log, first and in one transaction, so nothing
               after it can lose one
    fold       alike events (env, namespace, service, kind, key) within govbot.yaml's
               `events.groupWindow` into one group, kept in the store
    threshold  a group below its kind's `events.kinds.<kind>.threshold` stays unposted
    route      to every channel bound to the namespace (govbot.yaml `channels:`), or
               `events.defaultChannel` when none is
    link       the message names the last merged change that set the policy section the
               kind reports on, and the obvious next command

`Workflow.ingest` records the events, then calls `report`; the chat adapters post or
update one message per group and channel (`EventsReported.key`). `prune` runs from the
sweep.

Example:
    reported = report(ctx, [GovernanceEvent("circuit_break", "prod", "demo", "svc-user", now,
                                            count=42, source_service="svc-order")])
    reported[0].text   # "[warning] circuit breaker on svc-user (prod/demo) tripped 42× …"
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

from bot.change import Change
from bot.config import EventRules, RepoConfig
from bot.core.events import Event, EventsReported, GovernanceEvent
from bot.runners import Context
from bot.runners.notices import SECTIONS, Responsible, is_live_canary, text
from bot.store.audit import EventGroup
from policies.intents import RateLimit

log = logging.getLogger("govbot.events")
Subject = tuple[str, str, str]  # env, namespace, service


def report(ctx: Context, events: Sequence[GovernanceEvent]) -> list[Event]:
    """Fold recorded `events` into their groups and say what each channel should now
    show of each group that reached its threshold."""
    config = ctx.config(ctx.main())
    rules = config.event_rules()
    groups = ctx.store.events.fold(events, timedelta(seconds=rules.group_window_s))
    merged: dict[Subject, list[Change]] = {}
    reported: list[Event] = []
    for group in groups:
        rule = rules.kind(group.kind)
        if group.count < rule.threshold:
            continue
        channels = _channels(config, rules, group)
        if not channels:
            log.info("%s events of %s in %s/%s: no channel is bound there and govbot.yaml "
                     "names no events.defaultChannel; stored only", group.kind,
                     group.service, group.env, group.namespace)
            continue
        history = _history(ctx, merged, group)
        severity = rule.severity or group.severity
        release = _last(history, ("canary", "bluegreen"))
        message = text(group, severity, _responsible(ctx, history, group.kind),
                       release is not None and is_live_canary(release.intent))
        reported += [EventsReported(platform, channel, f"events:{group.id}", message,
                                    group.count, severity, group.resolved)
                     for platform, channel in channels]
    return reported


def _channels(config: RepoConfig, rules: EventRules,
              group: EventGroup) -> list[tuple[str, str]]:
    owners = config.owners(group.env, group.namespace)
    if owners:
        return owners
    return [rules.default_channel] if rules.default_channel else []


def _history(ctx: Context, cache: dict[Subject, list[Change]],
             group: EventGroup) -> list[Change]:
    """The service's merged changes, oldest first (read once per ingest and service)."""
    subject = (group.env, group.namespace, group.service)
    if subject not in cache:
        cache[subject] = ctx.store.changes("merged", *subject)
    return cache[subject]


def _last(history: Sequence[Change], actions: Sequence[str]) -> Change | None:
    return next((c for c in reversed(history) if c.action in actions), None)


def _responsible(ctx: Context, history: Sequence[Change], kind: str) -> Responsible | None:
    """The last merged change that set the section `kind` reports on, its approvers, and
    the last rate limit set with numbers (an `enforce` or `on` change carries none)."""
    change = _last(history, SECTIONS.get(kind, ()))
    if change is None:
        return None
    limit = next((c.intent for c in reversed(history) if isinstance(c.intent, RateLimit)
                  and c.intent.requests), None)
    return Responsible(change, tuple(a.by for a in ctx.store.approvals(change.id,
                                                                        change.content_hash)),
                       limit)


def prune(ctx: Context) -> int:
    """Delete events older than the retention (GOVBOT_EVENTS_RETENTION_DAYS)."""
    return ctx.store.events.prune(ctx.clock() - ctx.events_retention)
