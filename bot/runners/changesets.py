"""Change sets: what a change does to one policy document, computed on a given main.

The same functions open a change and replay it when main moved, so a replay is exactly
the original request applied to the newer document:

- a policy intent is applied to the document (`policies.edit.apply`); a time-boxed
  intent (and a /sync's stamp) carries its absolute time, resolved once when the command
  was given, so a replay keeps the same time;
- a command on a service onboarded from the cluster applies to the /onboard document of
  what runs; its replay, while main still has no document, is the document it made;
- a rollback restores the document as it was before the merged change it reverts, and is
  refused when the document changed since that merge (roll back the later change first).
"""

from __future__ import annotations

from datetime import datetime

from bot.change import ROLLBACK, Change, ChangeSet
from bot.core.errors import NotFound, UserError
from bot.core.types import Scope
from bot.repo.git import PolicyRepo
from bot.runners import appchanges
from bot.store.sql import SqlStore
from policies import intents
from policies.document import service_path
from policies.edit import apply as apply_intent


def for_intent(repo: PolicyRepo, intent: intents.PolicyIntent, scope: Scope, main: str,
               now: datetime, created: intents.Onboard | None = None,
               live_owner: str | None = None) -> ChangeSet:
    """The intent applied to its document on `main`. `now` resolves a time-boxed intent
    once; an intent already resolved (a replay) keeps the time it was asked with. Where
    main has no document, `created` (the cluster's /onboard) makes it first; `live_owner`
    is the controller the cluster shows steering the service."""
    if isinstance(intent, intents.Deploy | intents.Undeploy):
        return appchanges.for_app(repo, intent, scope, main)
    resolved = intents.resolve(intent, now)
    path = service_path(scope.env, scope.namespace, intent.service)
    before = start = repo.read(main, path)
    made = ""
    if before is None and created is not None:
        onboarded = apply_intent(created, None, scope.env, scope.namespace)
        start, made = onboarded.after_text, f"; {onboarded.summary}, read from the cluster"
    edit = apply_intent(resolved, start, scope.env, scope.namespace, live_owner)
    return ChangeSet(scope.env, scope.namespace, intent.service, path, intent.action,
                     edit.summary + made, before, edit.after_text, resolved)


def commit_message(change_set: ChangeSet, change_id: int, requester: str) -> str:
    """The change branch's commit: summary, the diff, and the change's trailers."""
    return (f"{change_set.summary}\n\n{change_set.diff}\n"
            f"Govbot-Change: {change_id}\nRequested-by: {requester}\n")


def rollback_target(store: SqlStore, scope: Scope, change_id: int | None,
                    service: str | None) -> Change:
    """The merged change a `/rollback` names: by id, or the last merged one of a service."""
    if change_id is not None:
        original = store.get(change_id)
        if original.state != "merged":
            raise UserError(f"#{change_id} is {original.state}, not merged: only a merged "
                            "change can be rolled back (/reject closes an open one)")
        return original
    merged = store.changes("merged", scope.env, scope.namespace, service)
    if not merged:
        raise NotFound(f"{service} has no merged change in {scope} to roll back")
    return merged[-1]


def for_rollback(repo: PolicyRepo, original: Change, main: str) -> ChangeSet:
    """The exact inverse of a merged change, if the document still is what it left."""
    current = repo.read(main, original.path)
    left = repo.read(original.head_sha, original.path)
    if current != left:
        raise UserError(
            f"{original.service} changed after #{original.id} was merged, so its exact "
            f"inverse would undo later work too; roll back the later change first "
            f"(/rollback {original.service} takes the last one)")
    restored = repo.read(original.base_sha, original.path)
    if isinstance(original.intent, intents.Rollback):  # undoing a rollback re-applies it
        what = f"re-applies #{original.intent.change_id}"
    else:
        what = "deletes the document it created" if restored is None else original.summary
    return ChangeSet(original.env, original.namespace, original.service, original.path,
                     ROLLBACK, f"rollback #{original.id} ({what})", current, restored,
                     intents.Rollback(change_id=original.id))


def replay(repo: PolicyRepo, store: SqlStore, change: Change, main: str,
           now: datetime) -> ChangeSet:
    """The change recomputed on `main` (after main moved since the branch was cut)."""
    intent = change.intent
    if isinstance(intent, intents.Rollback):
        return for_rollback(repo, store.get(int(intent.change_id or 0)), main)
    if (not isinstance(intent, intents.Onboard) and repo.read(main, change.path) is None
            and repo.read(change.base_sha, change.path) is None):
        # it made its document from what the cluster ran: the same document again
        made = repo.read(change.head_sha, change.path)
        return ChangeSet(change.env, change.namespace, change.service, change.path,
                         change.action, change.summary, None, made, intent)
    return for_intent(repo, intent, change.scope, main, now)
