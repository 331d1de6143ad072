"""Reconcile: what main renders against what the apply target holds, level-based.

`Workflow.reconcile` runs this every GOVBOT_RECONCILE_SECONDS on the leader. It does not
look at what happened (a merge, a webhook) but at where things stand:

    apply   what main holds and the target lacks is applied (`merging.apply_main`: the
            commit the target last applied completely is kept in the store, so a merge
            that a crash or an outage left unapplied lands here, once; with nothing new
            it costs one read of the store)
    drift   with a cluster to read (GOVBOT_APPLY=kubernetes), each service whose live
            objects differ from what main renders (`drift.drifted`, what /drift says) is
            told to its namespace's channels with `/sync <svc>` — once per distinct
            drift: the key is a hash of the drift's text, claimed in the store. Drift
            that went away is forgotten without a word, so the same drift coming back is
            told again.

Example:
    events = run(ctx)     # [Answer("applied: …")], [EventsReported(…, "drift:…")]
"""

from __future__ import annotations

import hashlib
import logging

from bot.core.errors import GovbotError
from bot.core.events import Answer, Event
from bot.core.types import Scope
from bot.runners import Context, drift, merging, telling
from policies.document import parse_service_path

log = logging.getLogger("govbot.reconciling")

REPORTED = "drift:{}"  # chat ref of a scope: service → the key of the drift told


def run(ctx: Context) -> list[Event]:
    main = ctx.main()
    rolled = merging.apply_main(ctx, main)
    for problem in (*rolled.pending, *rolled.invalid):
        log.warning("reconciling %s: not applied: %s", main[:12], problem)
    events: list[Event] = [Answer(f"applied: {line}") for line in rolled.lines]
    if ctx.live.reads_cluster:
        for scope in scopes(ctx, main):
            events += _drift(ctx, main, scope)
    return events


def scopes(ctx: Context, main: str) -> list[Scope]:
    """Every env/namespace main has service documents in."""
    found: dict[Scope, None] = {}
    for path in ctx.repo.list_files(main, "services/"):
        parsed = parse_service_path(path)
        if parsed is not None:
            found[Scope(parsed[0], parsed[1])] = None
    return list(found)


def _drift(ctx: Context, main: str, scope: Scope) -> list[Event]:
    try:
        found = drift.drifted(ctx, main, scope)
    except GovbotError as error:
        log.warning("reading drift in %s: %s", scope, error)
        return []
    ref = REPORTED.format(scope)
    before = {str(k): str(v) for k, v in (ctx.store.chat_ref(ref) or {}).items()}
    now: dict[str, str] = {}
    events: list[Event] = []
    config = ctx.config(main)
    for service, text in found.items():
        digest = hashlib.sha256(text.encode()).hexdigest()[:24]
        key = f"drift:{scope}/{service}:{digest}"
        now[service] = key
        if ctx.store.claim_event(key):
            events += telling.tell(config, scope.env, scope.namespace, key,
                                   f"drift: {text}", "warning")
    for service, key in before.items():
        if now.get(service) != key:
            ctx.store.forget_event(key)  # gone or changed: the same drift again is news
    if now != before:
        ctx.store.set_chat_ref(ref, dict(now))
    return events
