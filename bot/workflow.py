"""The workflow: one chat command in, replies out.

    Command ─ who (access.yaml of main) ─ parse (commands) ─ where (channel binding, flags)
      ├─ policy intent → edit the document (policies) → guard → store + branch → PR
      ├─ /approve     → guard with the candidate approval → store → merge when it suffices
      ├─ /reject      → close the PR, release the service
      └─ queries      → /changes, /status, /help

Every chat adapter calls `Workflow.handle`; it never raises. A `UserError` becomes a
reply to the person; anything else is logged with a short incident id that the reply
names, and no traceback reaches the channel.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import datetime

import commands
from bot import changesets
from bot.config import RepoConfig
from bot.core.errors import (
    ConfigError,
    Denied,
    Locked,
    NotAllowed,
    TransientError,
    UserError,
)
from bot.core.events import (
    Answer,
    ApprovalRecorded,
    ChangeMerged,
    ChangeOpened,
    ChangeRejected,
    Event,
)
from bot.core.types import (
    Change,
    ChangeDraft,
    ChangeSet,
    ChangeView,
    Command,
    Person,
    Reply,
    Scope,
)
from bot.repo.git import MAIN, PolicyRepo
from bot.review import Review
from bot.rules import MainRules
from bot.store.sql import SqlStore
from commands.help import help_text
from policies import intents
from policies.document import plain, service_path
from policies.status import overview
from policies.status import status as status_text

log = logging.getLogger("govbot.workflow")
POLICIES_SHOWN = 50


class Workflow:
    def __init__(self, repo: PolicyRepo, store: SqlStore, rules: MainRules, review: Review,
                 clock: Callable[[], datetime]) -> None:
        self._repo = repo
        self._store = store
        self._rules = rules
        self._review = review
        self._clock = clock
        self._lock = threading.RLock()

    def handle(self, command: Command) -> list[Event]:
        """Run one command; always returns events, never raises."""
        return [self._event(reply) for reply in self._replies(command)]

    def _event(self, reply: Reply) -> Event:
        if reply.change_id is None or reply.kind in ("info", "error"):
            return Answer(reply.text, reply.ok, reply.change_id)
        view = self.view(reply.change_id)
        match reply.kind:
            case "opened":
                return ChangeOpened(view, reply.text, reply.ok)
            case "approved":
                return ApprovalRecorded(view, reply.text, reply.ok)
            case "merged":
                return ChangeMerged(view, reply.text, ok=reply.ok)
        return ChangeRejected(view, reply.text, reply.ok)

    def _replies(self, command: Command) -> list[Reply]:
        delivery = f"{command.platform}:{command.event_id}"
        if command.event_id and not self._store.claim_event(delivery):
            log.info("dropping repeated delivery %s", command.event_id)
            return []
        try:
            with self._lock:
                return self._handle(command)
        except UserError as error:
            return [Reply(str(error), ok=False)]
        except ConfigError as error:
            log.error("configuration problem handling %r: %s", command.text[:200], error)
            return [Reply(f"govbot cannot do this until its configuration is fixed: {error}",
                          ok=False)]
        except TransientError as error:
            log.warning("transient problem handling %r: %s", command.text[:200], error)
            return [Reply(f"{error}; please try again in a moment", ok=False)]
        except Exception:
            incident = uuid.uuid4().hex[:8]
            log.exception("incident %s handling %r from %s", incident, command.text[:200],
                          command.user)
            return [Reply(f"something went wrong on govbot's side (incident {incident}); "
                          "the operators can find what happened by that id in govbot's log. "
                          "/changes shows what is open.", ok=False)]

    def _handle(self, command: Command) -> list[Reply]:
        main = self._repo.head(MAIN)
        _rules, config = self._rules.at(main)
        person = config.person(command.platform, command.user, command.team)
        parsed = commands.parse(command.text)
        match parsed.intent:
            case intents.Help(command=name):
                return [Reply(help_text(name))]
            case intents.Approve(change_id=change_id):
                return [self._review.approve(person, change_id)]
            case intents.Reject(change_id=change_id, reason=reason):
                return [self._review.reject(person, change_id, reason)]
            case intents.ListChanges():
                return [self._changes()]
        scope = config.scope(command.platform, command.channel, parsed.env, parsed.namespace)
        intent = parsed.intent
        match intent:
            case intents.Status(service=service):
                return [self._status(scope, service)]
            case intents.ListPolicies():
                return [self._policies(scope, main)]
            case intents.Rollback(change_id=rollback_id, service=rollback_service):
                original = changesets.rollback_target(self._store, scope, rollback_id,
                                                      rollback_service)
                target = Scope(original.env, original.namespace)
                self._may_request(person, target, config)
                self._refuse_locked(target, original.service)
                return self._open(person, target, changesets.for_rollback(
                    self._repo, original, main), main, config)
        if isinstance(intent, intents.POLICY_INTENTS):
            self._may_request(person, scope, config)
            self._refuse_locked(scope, intent.service)
            change_set = changesets.for_intent(self._repo, intent, scope, main, self._clock())
            return self._open(person, scope, change_set, main, config)
        raise UserError(f"/{parsed.spec.name} is not handled here yet")

    @staticmethod
    def _may_request(person: Person, scope: Scope, config: RepoConfig) -> None:
        if not config.can(person, "request", scope):
            raise NotAllowed(f"{person.id} has no grant to request changes in {scope} "
                             "(access.yaml grants); ask someone who has, or the platform team")

    def _refuse_locked(self, scope: Scope, service: str) -> None:
        for held in self._store.changes("open", scope.env, scope.namespace, service):
            raise Locked(held.id, held.requester, service)

    def _open(self, person: Person, scope: Scope, change_set: ChangeSet, main: str,
              config: RepoConfig) -> list[Reply]:
        if change_set.empty:
            return [Reply(f"nothing to change: {change_set.summary}")]
        decision = self._review.decide(change_set, person.id, [])
        if not decision.allow:
            raise Denied(decision.deny, header=f"{change_set.summary} ({scope}) denied")
        change = self._store.open_change(ChangeDraft(
            scope.env, scope.namespace, change_set.service, change_set.path, change_set.action,
            change_set.summary, person.id, main, change_set.content_hash, change_set.diff,
            change_set.intent, decision.to_json()))
        change = self._review.publish(change, change_set, person)
        replies = [Reply(self._opened_text(change, decision.approvals_required,
                                           decision.approvers, decision.warn, config),
                         change_id=change.id, kind="opened")]
        if decision.mergeable:
            replies.append(self._review.merge(change))
        return replies

    @staticmethod
    def _opened_text(change: Change, required: int, approvers: tuple[str, ...],
                     warnings: tuple[str, ...], config: RepoConfig) -> str:
        env = change.env
        groups = [a for a in approvers if config.is_group(a)]
        needs = f"Needs {required} approval{'s' if required != 1 else ''}"
        if groups:
            needs += f" from {' or '.join(groups)}"
        summary = change.summary
        created = ", new document" if change.diff.startswith("--- /dev/null") else ""
        text = (f"change #{change.id} opened: {summary} ({env}/{change.namespace}{created}). "
                f"{needs}, not by {change.requester}.")
        return "\n".join([text, *(f"warning: {w}" for w in warnings)])

    def _changes(self) -> Reply:
        open_changes = self._store.changes("open")
        if not open_changes:
            return Reply("no open changes")
        lines = [f"#{c.id} {c.summary} ({c.env}/{c.namespace}) by {c.requester}, "
                 f"{self._review.progress(c)}" for c in open_changes]
        return Reply("\n".join(lines))

    def _status(self, scope: Scope, service: str) -> Reply:
        path = service_path(scope.env, scope.namespace, service)
        text = self._repo.read(MAIN, path)
        if text is None:
            return Reply(f"{service} has no policy document in {scope} yet; "
                         f"a command such as /canary {service} 10% creates it")
        lines = [status_text(plain(text), now=self._clock())]
        for held in self._store.changes("open", scope.env, scope.namespace, service):
            lines.append(f"open change #{held.id}: {held.summary} by {held.requester}")
        return Reply("\n".join(lines))

    def _policies(self, scope: Scope, main: str) -> Reply:
        """One line per service of the namespace (a read-only listing: it reads them all)."""
        paths = self._repo.list_files(main, f"services/{scope.env}/{scope.namespace}/")
        if not paths:
            return Reply(f"no services in {scope} yet")
        shown = paths[:POLICIES_SHOWN]
        now = self._clock()
        lines = [f"services in {scope}:"]
        for path, text in sorted(self._repo.read_many(main, shown).items()):
            try:
                lines.append(overview(plain(text), now=now))
            except UserError as error:
                lines.append(f"{path}: unreadable ({error})")
        if len(paths) > len(shown):
            lines.append(f"… and {len(paths) - len(shown)} more; /status <svc> shows one")
        return Reply("\n".join(lines))

    def view(self, change_id: int) -> ChangeView:
        """A change as an approval card shows it; raises NotFound for an unknown id."""
        with self._lock:
            return self._review.view(change_id)

    def sync(self, full: bool = False) -> list[Event]:
        """Apply what main holds and the target lacks (after a restart, a failed apply or a
        lost folder); `full` renders every service again."""
        with self._lock:
            return [self._event(reply) for reply in self._review.sync(full)]
