"""The end of time boxes (`for <d>` on /fault, /ratelimit, /route, /canary): govbot's own
revert, merged at once, and the channel told.

Each tick (`Workflow.expire_due`, run by the scheduler on the leader):

1. the deadlines follow main: only the documents main changed since the commit read last
   are read again (`deadlines` in the store: each document's first `expires`), so a tick
   on 10,000 quiet services reads no document;
2. each document whose deadline has passed is taken by one worker at a time, across
   threads and replicas (a lease on `expiry:<path>`), and read again on main;
3. its ended parts become one `Expire` intent, opened as govbot (`open_as_govbot`):
   rego/rules/expiry.rego lets exactly that revert through without approval, so it merges
   and applies at once. A rate limit or canary weight goes back to what it was before the
   merged change that set that `expires` (the document at its merge's first parent);
4. the channel is told per part, under the key `expiry:<change>:<part>`, naming the
   change that set the time box, who asked for it and the revert.

A service locked by someone's open change waits: the channel is told once that the
revert waits for that change, and the next tick tries again. A revert the guard denies,
or that cannot be opened, is told once per reason and tried again every tick.

Example:
    events = due(ctx)   # [ChangeOpened, ChangeMerged, EventsReported, ...]
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.change import Change
from bot.config import RepoConfig
from bot.core.errors import InvalidDocument, TransientError, UserError
from bot.core.events import ChangeMerged, ChangeOpened, Event
from bot.core.types import Scope
from bot.rollout import BATCH, incident
from bot.runners import Context, telling
from bot.runners.automatic import AUTOMATON, open_as_govbot
from policies import intents, units
from policies.document import parse_service_path, plain
from policies.edits.expiry import TimeBox, time_boxes

log = logging.getLogger("govbot.expiring")
SCAN = "govbot:deadlines"  # the `applied` marker: the commit of main the deadlines follow
# the intent that sets each part's time box
SETS = {"fault": intents.Fault, "rateLimit": intents.RateLimit, "release": intents.Canary,
        "routes": intents.Route}


def due(ctx: Context) -> list[Event]:
    """Revert every time box that ended; the events of each revert and the news told."""
    follow(ctx, ctx.main())
    events: list[Event] = []
    for path in ctx.store.deadlines_due(ctx.clock()):
        try:
            with ctx.holding_key(f"expiry:{path}", f"the expiry of {path}", wait=0):
                events += _end(ctx, path)
        except TransientError:
            log.info("the expiry of %s is handled elsewhere", path)
        except Exception:  # one document's trouble never stops the others' reverts
            log.exception("incident %s ending the time boxes of %s", incident(), path)
    return events


def follow(ctx: Context, main: str) -> None:
    """Bring the deadlines up to `main`: the documents changed since the last commit read,
    or all of them the first time (or when history was rewritten)."""
    last = ctx.store.applied(SCAN)
    if last == main:
        return
    if last is not None and ctx.repo.is_ancestor(last, main):
        paths = ctx.repo.changed_paths(last, main)
    else:
        paths = ctx.repo.list_files(main, "services/")
    documents = [p for p in paths if parse_service_path(p) is not None]
    for start in range(0, len(documents), BATCH):
        chunk = documents[start:start + BATCH]
        texts = ctx.repo.read_many(main, chunk)
        ctx.store.set_deadlines({p: _first(_boxes(texts.get(p), p)) for p in chunk})
    ctx.store.set_applied(SCAN, main, old=last)


def _boxes(text: str | None, path: str) -> list[TimeBox]:
    if text is None:
        return []
    try:
        spec = plain(text, path).get("spec")
    except InvalidDocument:  # a document that does not parse has no time box govbot can end
        log.warning("%s does not parse; its time boxes are not followed", path)
        return []
    return time_boxes(spec) if isinstance(spec, dict) else []


def _first(boxes: Sequence[TimeBox]) -> datetime | None:
    return min((box.at for box in boxes), default=None)


def _end(ctx: Context, path: str) -> list[Event]:
    """Revert what ended in one document, as it is on main now."""
    env, namespace, service = parse_service_path(path) or ("", "", "")
    main, now = ctx.main(), ctx.clock()
    boxes = _boxes(ctx.repo.read(main, path), path)
    ended = [box for box in boxes if box.at <= now]
    if not ended:  # reverted meanwhile, or changed since: follow what main holds now
        ctx.store.set_deadlines({path: _first(boxes)})
        return []
    scope, config = Scope(env, namespace), ctx.config(main)
    setters = {box: _setter(ctx, scope, service, box) for box in ended}
    intent = _intent(ctx, service, path, setters)
    return _revert(ctx, scope, intent, _News(config, scope, service, setters))


def _revert(ctx: Context, scope: Scope, intent: intents.Expire, news: _News) -> list[Event]:
    """Open (and merge) the revert as govbot; the news of how it went."""
    try:
        opened = open_as_govbot(ctx, scope, intent)
    except UserError as error:
        reason = " ".join(str(error).split())
        return news.once(ctx, f"failed:{_digest(reason)}",
                         f"the revert cannot be made: {reason}; govbot tries again at each "
                         "tick", "warning")
    if opened is None:
        holder = ctx.store.holder(scope.env, scope.namespace, intent.service)
        if holder is None or holder.requester == AUTOMATON.id:
            return []  # govbot's own revert is open: told when it was opened
        return news.once(ctx, f"waits:{holder.id}",
                         f"the revert waits for #{holder.id} ({holder.requester}) to close")
    merged = next((e for e in opened if isinstance(e, ChangeMerged)), None)
    if merged is not None:
        return opened + news.tell(f"reverted by #{merged.change.id}"
                                  + (f" {merged.change.url}" if merged.change.url else ""))
    waiting = next((e for e in opened if isinstance(e, ChangeOpened)), None)
    if waiting is None:
        return opened
    return opened + news.once(ctx, f"opened:{waiting.change.id}",
                              f"the revert #{waiting.change.id} waits for approval"
                              + (f" {waiting.change.url}" if waiting.change.url else ""),
                              "warning")


def _setter(ctx: Context, scope: Scope, service: str, box: TimeBox) -> Change | None:
    """The merged change that set this time box (None: the document was written by
    hand): the last one of the service whose intent carries that `expires`."""
    kind = SETS[box.part]
    for change in reversed(ctx.store.changes("merged", scope.env, scope.namespace, service)):
        intent = change.intent
        if isinstance(intent, kind) and getattr(intent, "expires", None) == box.expires:
            return change
    return None


def _before(ctx: Context, setter: Change | None, path: str) -> dict[str, Any]:
    """The spec before the change that set a time box: at its merge's first parent."""
    if setter is None or not setter.merged_sha:
        return {}
    parents = ctx.repo.parents(setter.merged_sha)
    text = ctx.repo.read(parents[0], path) if parents else None
    spec = plain(text, path).get("spec") if text is not None else None
    return spec if isinstance(spec, dict) else {}


def _intent(ctx: Context, service: str, path: str,
            setters: dict[TimeBox, Change | None]) -> intents.Expire:
    fault = limit = limit_before = release = None
    weight, routes = 0, []
    for box, setter in setters.items():
        match box.part:
            case "fault":
                fault = box.expires
            case "routes":
                routes.append(box.expires)
            case "rateLimit":
                limit = box.expires
                earlier = _before(ctx, setter, path).get("rateLimit")
                limit_before = json.dumps(earlier) if isinstance(earlier, dict) else None
            case "release":
                release = box.expires
                earlier = _before(ctx, setter, path).get("release")
                found = earlier.get("canaryWeight", 0) if isinstance(earlier, dict) else 0
                weight = found if isinstance(found, int) else 0
    set_by = sorted({setter.id for setter in setters.values() if setter is not None})
    return intents.Expire(service, fault, limit, limit_before, release, weight, tuple(routes),
                          tuple(set_by))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class _News:
    """What the channel is told of one document's ended parts: a message per part, keyed
    by the change that set it, so a later message updates the earlier one."""

    def __init__(self, config: RepoConfig, scope: Scope, service: str,
                 setters: dict[TimeBox, Change | None]) -> None:
        self.config, self.scope, self.service, self.setters = config, scope, service, setters

    def tell(self, outcome: str, severity: str = "info") -> list[Event]:
        told: list[Event] = []
        for box, setter in self.setters.items():
            origin = (f"as set by #{setter.id} ({setter.requester})" if setter is not None
                      else "as the document set it")
            text = (f"⏱ {box.what} on {self.service} ({self.scope}) ended at "
                    f"{units.utc_text(box.at)} {origin}; {outcome}")
            told += telling.tell(self.config, self.scope.env, self.scope.namespace,
                                 self.key(box, setter), text, severity)
        return told

    def once(self, ctx: Context, what: str, outcome: str,
             severity: str = "info") -> list[Event]:
        """`tell`, only the first time this outcome happens to these parts."""
        parts = ",".join(sorted(f"{b.part}@{b.expires}" for b in self.setters))
        key = f"expiry:{what}:{self.scope}/{self.service}:{_digest(parts)}"
        return self.tell(outcome, severity) if ctx.store.claim_event(key) else []

    def key(self, box: TimeBox, setter: Change | None) -> str:
        origin = str(setter.id) if setter is not None else f"{self.scope}/{self.service}"
        return f"expiry:{origin}:{box.part}" + (f"@{box.expires}" if box.part == "routes"
                                                else "")
