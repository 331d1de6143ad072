"""Change sets: what a change does to one policy document, computed on a given main.

The same functions open a change and replay it when main moved, so a replay is exactly
the original request applied to the newer document:

- a policy intent is applied to the document (`policies.edit.apply`), with the clock of
  the change's creation, so a time-boxed fault keeps the same expiry when replayed;
- a rollback restores the document as it was before the merged change it reverts, and is
  refused when the document changed since that merge (roll back the later change first).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.core.errors import NotFound, UserError
from bot.core.types import Change, ChangeSet, Scope
from bot.repo.git import PolicyRepo
from bot.store.sql import SqlStore
from policies import intents
from policies.document import service_path
from policies.edit import apply as apply_intent

ROLLBACK = "rollback"


def for_intent(repo: PolicyRepo, intent: intents.PolicyIntent, scope: Scope, main: str,
               now: datetime) -> ChangeSet:
    path = service_path(scope.env, scope.namespace, intent.service)
    before = repo.read(main, path)
    edit = apply_intent(intent, before, scope.env, scope.namespace, now=now)
    return ChangeSet(scope.env, scope.namespace, intent.service, path, intent.action,
                     edit.summary, before, edit.after_text, intents.to_json(intent))


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
    if original.action == ROLLBACK:  # undoing a rollback re-applies what it undid
        what = f"re-applies #{original.intent.get('change_id')}"
    else:
        what = "deletes the document it created" if restored is None else original.summary
    return ChangeSet(original.env, original.namespace, original.service, original.path,
                     ROLLBACK, f"rollback #{original.id} ({what})", current, restored,
                     {"action": ROLLBACK, "change_id": original.id})


def replay(repo: PolicyRepo, store: SqlStore, change: Change, main: str) -> ChangeSet:
    """The change recomputed on `main` (after main moved since the branch was cut)."""
    data: dict[str, Any] = dict(change.intent)
    if data.get("action") == ROLLBACK:
        return for_rollback(repo, store.get(int(data["change_id"])), main)
    intent = intents.from_json(data)
    return for_intent(repo, intent, Scope(change.env, change.namespace), main,
                      change.created_at)
