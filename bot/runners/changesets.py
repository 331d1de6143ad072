"""Change sets: what a change does to one policy document, computed on a given main.

The same functions open a change and replay it when main moved, so a replay is exactly
the original request applied to the newer document:

- a policy intent is applied to the document (`policies.edit.apply`); a time-boxed
  intent (and a /sync's stamp) carries its absolute time, resolved once when the command
  was given, so a replay keeps the same time;
- a command on a service onboarded from the cluster applies to the /onboard document of
  what runs; its replay, while main still has no document, is the document it made;
- a rollback restores the document as it was before the merged change it reverts, and is
  refused when the document changed since that merge (roll back the later change first);
- a /template save writes `templates/<name>.yaml` from the service's document on main
  (`for_template_save`), refused once a template of that name exists;
- a /mesh switch sets one namespace's `mesh` in govbot.yaml (`for_mesh`), the rest of
  the file kept as written.
"""

from __future__ import annotations

from datetime import datetime

import yaml

from bot.change import MESH, ROLLBACK, TEMPLATE_SAVE, Change, ChangeSet
from bot.config import RepoConfig
from bot.core.errors import ConfigError, InvalidDocument, NotFound, UserError
from bot.core.types import Scope
from bot.repo.git import PolicyRepo
from bot.runners import appchanges
from bot.store.sql import SqlStore
from policies import dataplane, intents, templates
from policies.document import plain, service_path
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


def template_lock(name: str) -> str:
    """What a template's change locks in place of a service: `templates/<name>`, which
    no service can be called."""
    return f"{templates.FOLDER}{name}"


def for_template_save(repo: PolicyRepo, intent: intents.TemplateSave, scope: Scope,
                      main: str, saved_by: str) -> ChangeSet:
    """The new file `templates/<name>.yaml` holding the governance sections of the
    service's document on `main`; UserError when a template of that name exists, the
    service has no document, or it holds nothing a template keeps."""
    name, service = intent.name, intent.service
    file = templates.path(name)
    if repo.object_id(main, file):
        taken = {n for p in repo.list_files(main, templates.FOLDER)
                 if (n := templates.name_of(p)) is not None}
        free = next(f"{name[:templates.MAX_NAME - 3]}-{i}" for i in range(2, 100)
                    if f"{name[:templates.MAX_NAME - 3]}-{i}" not in taken)
        raise UserError(f"a template named {name} exists already (/template show {name}); "
                        f"save under another name, like /template save {free} from {service}")
    source_path = service_path(scope.env, scope.namespace, service)
    source = repo.read(main, source_path)
    if source is None:
        raise NotFound(f"{service} is not governed in {scope}, so it has no policies to "
                       "save; /policies lists the services of the namespace")
    try:
        spec = plain(source, source_path).get("spec")
    except InvalidDocument as error:
        raise UserError(f"{source_path} cannot be read: {'; '.join(error.problems)}") from None
    sections = templates.extract(spec if isinstance(spec, dict) else {})
    if not sections:
        raise UserError(f"{service} in {scope} has none of the sections a template keeps "
                        f"({', '.join(templates.SECTIONS)}); set some first, e.g. "
                        f"/timeout {service} 2s retries 3 per 500ms on 5xx")
    after = templates.text(name, sections, f"{service} in {scope}", saved_by)
    held = ", ".join(k for k in templates.SECTIONS if k in sections)
    return ChangeSet(scope.env, scope.namespace, template_lock(name), file, TEMPLATE_SAVE,
                     f"template {name} saved from {service} ({held})", None, after, intent)


def for_mesh(repo: PolicyRepo, intent: intents.MeshSwitch, env: str, main: str) -> ChangeSet:
    """govbot.yaml of `main` with `intent.namespace` of `env` switched to `intent.mode`;
    empty (nothing to change) when main already has it in that mode. Its lock is
    `govbot.yaml` in the namespace, so one switch of a namespace is open at a time."""
    text = repo.read(main, dataplane.CONFIG)
    if text is None:
        raise ConfigError("the policy repository has no govbot.yaml on main")
    try:
        current = RepoConfig.parse(yaml.safe_load(text), {}).mesh(env, intent.namespace).mode
        after = text if current == intent.mode else dataplane.switch(
            text, env, intent.namespace, intent.mode)
    except (InvalidDocument, yaml.YAMLError) as error:
        raise ConfigError(f"reading govbot.yaml on main to switch {intent.namespace}: "
                          f"{error}") from error
    return ChangeSet(env, intent.namespace, dataplane.CONFIG, dataplane.CONFIG, MESH,
                     dataplane.summary(intent.namespace, env, current, intent.mode), text,
                     after, intent)


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
    if isinstance(intent, intents.TemplateSave):
        return for_template_save(repo, intent, change.scope, main, change.requester)
    if isinstance(intent, intents.MeshSwitch):
        return for_mesh(repo, intent, change.env, main)
    if (not isinstance(intent, intents.Onboard) and repo.read(main, change.path) is None
            and repo.read(change.base_sha, change.path) is None):
        # it made its document from what the cluster ran: the same document again
        made = repo.read(change.head_sha, change.path)
        return ChangeSet(change.env, change.namespace, change.service, change.path,
                         change.action, change.summary, None, made, intent)
    return for_intent(repo, intent, change.scope, main, now)
