"""Reminders: a change that waits for approval is asked about again, then closed as stale.

`Workflow.remind` runs this every minute on the leader (bot.scheduler). A change waits
for approval when main's rules allow it and its approvals do not suffice yet; one that
waits for anything else (a freeze window that denies it now, a review that requested
changes, a merge the forge refused) is not reminded about. Ages count from the
change's `created_at`, when it was asked for:

    after            reminder 1 to the channel it was asked in (the namespace's channels
                     when that is not known): who asked, what, what it needs
    approvers_after  reminder 2 to the namespace's channels and the asking channel, naming
                     who may still approve (groups with their members, or people)
    stale_after      closed as rejected like /reject closes it (its pull request closed
                     with a comment, its branch deleted, the service's lock released), and
                     the channels told how to ask again

Each reminder is told once per change and content: its key `remind:<id>:<content
hash>:<n>` is claimed in the store before it is told, so a second run, a restart or
another replica says nothing more; a replay that changes the content voids the
approvals, and asks again. Only the latest reminder due is told (govbot stopped for a
day tells reminder 2, not both).

Example:
    events = run(ctx, timedelta(hours=4), timedelta(hours=24), timedelta(days=7))
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta

from bot.change import Change
from bot.config import RepoConfig
from bot.core.errors import Conflict, GovbotError, TransientError
from bot.core.events import ChangeRejected, Event, EventsReported
from bot.core.types import Decision
from bot.rollout import incident
from bot.runners import Context, describing, telling
from bot.runners.notices import duration
from bot.runners.views import needs, view

log = logging.getLogger("govbot.reminding")

KEY = "remind:{}:{}:{}"


def run(ctx: Context, after: timedelta, approvers_after: timedelta,
        stale_after: timedelta) -> list[Event]:
    """Remind about, or close, every open change that waits for approval too long."""
    now = ctx.clock()
    events: list[Event] = []
    for change in ctx.store.changes("open"):
        # a change being opened has no branch yet; one approved at its last judgement
        # waits for the sweep's merge, not for people
        if not change.head_sha or change.verdict.mergeable:
            continue
        age = now - change.created_at
        try:
            if age >= stale_after:
                events += close_stale(ctx, change, stale_after)
            elif age >= approvers_after:
                events += _remind(ctx, change, 2, age, stale_after)
            elif age >= after:
                events += _remind(ctx, change, 1, age, stale_after)
        except TransientError as error:  # busy: someone approves or merges it right now
            log.info("reminding about #%s: %s; tried again at the next run", change.id, error)
        except Exception:
            # one change that cannot be judged or closed must not keep the others waiting
            log.exception("incident %s reminding about #%s; tried again at the next run",
                          incident(), change.id)
    return events


def waiting(decision: Decision) -> bool:
    """Allowed by main's rules, and approvals still missing."""
    return decision.allow and not decision.mergeable


def _remind(ctx: Context, change: Change, stage: int, age: timedelta,
            stale_after: timedelta) -> list[Event]:
    key = KEY.format(change.id, change.content_hash, stage)
    if not ctx.store.claim_event(key):
        return []
    try:
        decision = ctx.decide(ctx.change_set(change), change.requester, ctx.approvals(change))
        if not waiting(decision):
            # not waiting for people now (a freeze denies it, or it just got approved):
            # due again once it is
            ctx.store.forget_event(key)
            return []
        config = ctx.config(ctx.main())
        if stage == 1:
            return _told(key, first(change, decision, age),
                         _origin(ctx, change) or telling.channels(config, change.env,
                                                                  change.namespace))
        places = [*telling.channels(config, change.env, change.namespace),
                  *_origin(ctx, change)]
        return _told(key, second(change, decision, age, stale_after, config), places)
    except BaseException:
        ctx.store.forget_event(key)
        raise


def first(change: Change, decision: Decision, age: timedelta) -> str:
    """Reminder 1: what waits, since when, and what it needs."""
    return (f"reminder: #{change.id} {change.summary} ({change.scope}), asked by "
            f"{change.requester} {duration(age.total_seconds())} ago, still needs "
            f"{needs(decision)}. /approve {change.id} or /reject {change.id} <reason>; "
            f"/show {change.id} shows the diff")


def second(change: Change, decision: Decision, age: timedelta, stale_after: timedelta,
           config: RepoConfig) -> str:
    """Reminder 2: the same, naming who may still approve and when it goes stale."""
    left = max(stale_after - age, timedelta(0))
    return "\n".join([
        f"reminder to approvers: #{change.id} {change.summary} ({change.scope}), asked by "
        f"{change.requester}, has waited {duration(age.total_seconds())} for "
        f"{needs(decision)}",
        f"may approve: {approvers(decision, config, change.requester)}",
        f"/approve {change.id} or /reject {change.id} <reason>; without approval it is "
        f"closed as stale in {duration(left.total_seconds())}"])


def approvers(decision: Decision, config: RepoConfig, requester: str) -> str:
    """The decision's approvers: a group with its members (not the requester), a person
    by id; `anyone with an approve grant in <scope>` when the rules name none."""
    groups = config.access.get("groups")
    named: list[str] = []
    for name in decision.approvers:
        members = groups.get(name) if isinstance(groups, Mapping) else None
        if isinstance(members, Sequence) and not isinstance(members, str):
            people = [str(m) for m in members if str(m) != requester]
            named.append(f"{name} ({', '.join(people)})" if people else name)
        else:
            named.append(name)
    return ", ".join(named) or "anyone with an approve grant here"


def close_stale(ctx: Context, change: Change, stale_after: timedelta) -> list[Event]:
    """Close a change that waited `stale_after` for approval, as /reject closes one."""
    # the sweep may be deciding the same change at this moment (both jobs run on the
    # leader, often at the same instant): wait for it rather than skip the change
    with ctx.holding(change.id, wait=STALE_WAIT):
        change = ctx.store.get(change.id)
        if change.state != "open":
            return []
        decision = ctx.decide(ctx.change_set(change), change.requester, ctx.approvals(change))
        if not waiting(decision):
            return []
        note = stale_note(change, stale_after)
        pull = ctx.forge.pull_of(change) if ctx.forge.kind != "local" else None
        ctx.forge.close(change)
        # after the close: a forge that refuses it leaves no comment to repeat next time
        if pull is not None:
            _comment(ctx, pull.number, f"Closed by govbot: {note}.")
        try:
            closed = ctx.store.close(change.id, "rejected", reason=note)
        except Conflict:
            return []
    text = f"#{change.id} {change.summary} ({change.scope}) {note}. " \
           f"{change.service} is free for a new change."
    config = ctx.config(ctx.main())
    places = [*telling.channels(config, change.env, change.namespace), *_origin(ctx, change)]
    return [ChangeRejected(view(ctx, closed), text),
            *_told(f"stale:{change.id}", text, places)]


def _comment(ctx: Context, number: int, text: str) -> None:
    try:
        ctx.forge.comment(number, text)
    except GovbotError as error:
        log.warning("commenting on pull request %s on %s: %s", number, ctx.forge.name, error)


STALE_WAIT = 10.0  # seconds a stale change's closing waits for another holder of it

# actions whose command is not `/<action> <service> …`
ASK_AGAIN = {"rollback": "/rollback …", "template-save": "/template save … from …",
             "template": "/template apply … to {service}", "expire": ""}


def stale_note(change: Change, stale_after: timedelta) -> str:
    flags = f"--env {change.env} --ns {change.namespace}"
    command = ASK_AGAIN.get(change.action, f"/{change.action} {{service}} …")
    if not command:
        return (f"closed as stale: no approval in {duration(stale_after.total_seconds())}")
    again = f"{command.format(service=change.service)} {flags}"
    return (f"closed as stale: no approval in {duration(stale_after.total_seconds())}; ask "
            f"again with {again} if it is still wanted")


def _origin(ctx: Context, change: Change) -> list[tuple[str, str]]:
    """The chat channel the change was asked in, when govbot knows it."""
    found = ctx.store.chat_ref(describing.ORIGIN.format(change.id)) or {}
    platform, channel = str(found.get("platform", "")), str(found.get("channel", ""))
    if not platform or not channel:
        return []
    # the console is one conversation, bound as `*`
    return [(platform, "*" if platform == "console" else channel)]


def _told(key: str, text: str, places: Sequence[tuple[str, str]]) -> list[Event]:
    return [EventsReported(platform, channel, key, text, 1, "info")
            for platform, channel in dict.fromkeys(places)]
