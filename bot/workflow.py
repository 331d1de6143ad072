"""The workflow: one chat command in, events out.

    Command ─ who (access.yaml of main) ─ parse (commands) ─ where (channel binding, flags)
      └─ one `match` from the intent to its runner (bot/runners/):
           policy intent, /rollback → opening      /approve → approving
           /reject → rejecting                     /status, /policies, /changes, /help → queries
           /drift → drift                          /events → audit
           /freeze → freezes                       /template → templates
           /mesh → meshes
           /store, /deploy, /undeploy, /status <app> → apps
    Governance events (Prometheus, Alertmanager, Kubernetes) → `ingest` → the funnel
      (bot/runners/funnel.py): stored, grouped, routed; `EventsReported` out

Every chat adapter calls `Workflow.handle`; it never raises. A `UserError` becomes an
answer to the person; anything else is logged with a short incident id that the answer
names, and no traceback or exception text reaches the channel. There is no lock here:
the store locks per service and per change, so commands on different services run in
parallel, in one process or several.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta

import commands
from bot import logs, metrics
from bot.config import same_id
from bot.core.errors import ConfigError, Denied, GovbotError, TransientError, UserError
from bot.core.events import AboutChange, Answer, Event, EventsReported, GovernanceEvent
from bot.core.types import Command
from bot.forge import Comment, Hook, Pull
from bot.rollout import incident
from bot.runners import (
    Context,
    approving,
    apps,
    audit,
    dashboard,
    digest,
    drift,
    expiring,
    freezes,
    funnel,
    merging,
    meshes,
    opening,
    pausing,
    progressive,
    pulls,
    queries,
    reconciling,
    recovery,
    rejecting,
    reminding,
    templates,
    whatif,
)
from bot.runners.reviews import same_login
from commands import grammar
from policies import intents

log = logging.getLogger("govbot.workflow")
UNRECORDED_KEPT = 100_000  # events held while the store is down, retried with the next ones


def _command_line(text: str) -> str:
    """The first line of a comment that is `/approve …` or `/reject …`, spaces folded."""
    for line in text.splitlines():
        words = " ".join(line.split())
        if words.split(" ", 1)[0] in ("/approve", "/reject"):
            return words
    return ""


def _command_name(text: str) -> str:
    """The registered name of the command in `text`, or `unknown`: a metric label must
    take few values, whatever people type."""
    try:
        first = grammar.words(grammar.normalise(text))[:1]
    except UserError:
        return "unknown"
    spec = commands.lookup(first[0]) if first else None
    return spec.name if spec else "unknown"


class Workflow:
    def __init__(self, context: Context) -> None:
        self.context = context
        self._unrecorded: list[GovernanceEvent] = []
        self._unrecorded_lock = threading.Lock()

    def handle(self, command: Command) -> list[Event]:
        """Run one command; always returns events, never raises."""
        delivery = f"{command.platform}:{command.event_id}"
        if command.event_id and not self.context.store.claim_event(delivery):
            log.info("dropping repeated delivery %s", command.event_id)
            return []
        try:
            # a change the command marks (logs.working_on) ends with the command
            return logs.isolated(self._answer, command)
        except TransientError as error:
            log.warning("transient problem handling %r: %s", command.text[:200], error)
            return [Answer(f"{error}; please try again in a moment", ok=False)]

    def _answer(self, command: Command) -> list[Event]:
        """Run a command: a person's mistake, a configuration problem or a bug becomes an
        answer; only TransientError is raised, for the caller to retry or report. Each
        command is counted by name and outcome (govbot_commands_total)."""
        outcome = "error"
        try:
            events = self._run(command)
            outcome = "ok"
            return events
        except UserError as error:
            outcome = "denied" if isinstance(error, Denied) else "refused"
            return [Answer(str(error), ok=False)]
        except ConfigError as error:
            outcome = "misconfigured"
            log.error("configuration problem handling %r: %s", command.text[:200], error)
            return [Answer(f"govbot cannot do this until its configuration is fixed: {error}",
                           ok=False)]
        except TransientError:
            outcome = "transient"
            raise
        except Exception:
            number = incident()
            log.exception("incident %s handling %r from %s", number, command.text[:200],
                          command.user)
            return [Answer(f"something went wrong on govbot's side (incident {number}); "
                           "the operators can find what happened by that id in govbot's "
                           "log. /changes shows what is open.", ok=False)]
        finally:
            metrics.command(_command_name(command.text), outcome)

    def _run(self, command: Command) -> list[Event]:
        ctx = self.context
        config = ctx.config(ctx.main())
        person = config.person(command.platform, command.user, command.team,
                               ctx.matchers.get(command.platform, same_id))
        parsed = commands.parse(command.text)
        match parsed.intent:
            case intents.Help(command=name):
                return queries.help(name)
            case intents.Dashboard():
                return dashboard.link(ctx, person)
            case intents.Approve(change_id=change_id, break_glass=reason):
                return approving.run(ctx, person, change_id, reason)
            case intents.Reject(change_id=change_id, reason=reason):
                return rejecting.run(ctx, person, change_id, reason)
            case intents.ListChanges() as listing:
                return queries.changes(ctx, listing, parsed.env, parsed.namespace)
            case intents.Show(change_id=change_id):
                return queries.show(ctx, change_id)
            case intents.ListEvents() as listing:
                bound = config.binding(command.platform, command.channel)
                return audit.events(ctx, listing,
                                    parsed.env or (bound.env if bound else None),
                                    parsed.namespace or (bound.namespace if bound else None))
            case intents.ListFreezes():
                bound = config.binding(command.platform, command.channel)
                return freezes.run(ctx, parsed.env or (bound.env if bound else None))
            case intents.TemplateList():
                return templates.listing(ctx)
            case intents.TemplateShow(name=name):
                return templates.show(ctx, name)
            case intents.MeshQuery(namespace=namespace):
                bound = config.binding(command.platform, command.channel)
                return meshes.query(ctx, meshes.where(config, bound, parsed.env,
                                                      namespace or parsed.namespace))
            case intents.MeshSwitch(namespace=namespace) as switching:
                bound = config.binding(command.platform, command.channel)
                return meshes.switch(ctx, person, meshes.where(config, bound, parsed.env,
                                                               namespace), switching,
                                     (command.platform, command.channel))
        scope = config.scope(command.platform, command.channel, parsed.env, parsed.namespace)
        origin = (command.platform, command.channel)
        match parsed.intent:
            case intents.StoreQuery() as query:
                return apps.store(ctx, query)
            case intents.Status(service=service) if apps.exists(ctx, scope, service):
                return apps.status(ctx, scope, service)
            case intents.Status(service=service):
                return queries.status(ctx, scope, service)
            case intents.ListPolicies():
                return queries.policies(ctx, scope)
            case intents.Drift(service=service):
                return drift.run(ctx, scope, service)
            case intents.WhatIf() as what_if:
                return whatif.run(ctx, scope, what_if)
            case intents.Rollback() as rollback:
                return opening.rollback(ctx, person, scope, rollback, origin)
            case intents.CanaryControl() as control:
                return pausing.control(ctx, person, scope, control, origin)
            case intents.TemplateSave() as saving:
                return templates.save(ctx, person, scope, saving, origin)
            case intents.TemplateApplyMany() as applying:
                return templates.apply(ctx, person, scope, applying, origin)
            case intents.Deploy() | intents.Undeploy() as app_change:
                return apps.change(ctx, person, scope, app_change, origin)
            case intent if isinstance(intent, intents.PolicyIntent):
                return opening.run(ctx, person, scope, intent, origin)
        raise UserError(f"/{parsed.spec.name} is not handled here yet")

    @logs.scoped
    def sweep(self) -> list[Event]:
        """Merge open changes whose approvals suffice, apply what is still pending, and
        apply again what expired (`govbot serve` runs this periodically, so nothing
        approved stays unmerged or unapplied after a failure or a stop, and a time-boxed
        fault leaves the cluster on time)."""
        try:
            funnel.prune(self.context)
        except Exception:
            log.exception("incident %s deleting governance events past their retention",
                          incident())
        try:
            return (recovery.merge_ready(self.context) + recovery.catch_up(self.context)
                    + recovery.expire(self.context))
        except Exception:
            log.exception("incident %s sweeping approved changes", incident())
            return []

    # -- scheduled work (bot.scheduler runs these on the leader) ---------------------------

    @logs.scoped
    def expire_due(self) -> list[Event]:
        """Time-boxed policies (`for <d>`) whose end has come: each reverted through a
        change govbot opens and merges, the channel told with a link to the original."""
        try:
            return expiring.due(self.context)
        except Exception:
            log.exception("incident %s ending time boxes", incident())
            return []

    @logs.scoped
    def progress(self) -> list[Event]:
        """Progressive canaries: the next step where it is due and the gate holds on
        Prometheus; an abort to 0 % where the gate fails."""
        try:
            return progressive.run(self.context)
        except Exception:
            log.exception("incident %s stepping progressive canaries", incident())
            return []

    @logs.scoped
    def remind(self, after: timedelta, approvers_after: timedelta,
               stale_after: timedelta) -> list[Event]:
        """Changes waiting for approval: posted again to their channel after `after`,
        to their approvers after `approvers_after`, closed as stale after `stale_after`
        (bot/runners/reminding.py); each told once, on any replica. Never raises."""
        return self._scheduled("reminding about changes that wait for approval",
                               functools.partial(reminding.run, self.context, after,
                                                 approvers_after, stale_after))

    @logs.scoped
    def digest(self, since: timedelta) -> list[Event]:
        """Per channel: what was merged, pending and rejected, and the top governance
        events, over the last `since` (bot/runners/digest.py); one message per channel
        and day, on any replica. Never raises."""
        return self._scheduled("building the digest",
                               functools.partial(digest.run, self.context, since))

    @logs.scoped
    def reconcile(self) -> list[Event]:
        """Level-based: apply what main renders where the target lacks it, and report
        drift between the cluster and main (Kubernetes target), once per distinct drift
        (bot/runners/reconciling.py). Never raises."""
        return self._scheduled("reconciling main with the apply target",
                               functools.partial(reconciling.run, self.context))

    @staticmethod
    def _scheduled(what: str, work: Callable[[], list[Event]]) -> list[Event]:
        """Run scheduled work; a failure is logged with an incident id, never raised into
        the scheduler (the next run tries again)."""
        try:
            return work()
        except Exception:
            log.exception("incident %s %s", incident(), what)
            return []

    # -- governance events ----------------------------------------------------------------

    @logs.scoped
    def ingest(self, events: Sequence[GovernanceEvent]) -> list[Event]:
        """The one funnel for governance events from every source: stored in the audit
        log, grouped, routed; returns an `EventsReported` per group and channel to tell
        (`ServedChat.announce` posts or updates its message). Never raises. Events the
        store could not take are kept here and recorded with the next call."""
        with self._unrecorded_lock:
            batch = [*self._unrecorded, *(e.fitted() for e in events)]
            self._unrecorded = []
        for event in events:
            metrics.EVENTS_INGESTED.labels(kind=event.kind).inc()
        if not batch:
            return []
        try:
            self.context.store.events.record(batch)
        except Exception:
            batch = self._record_each(batch)
            if not batch:
                return []
        try:
            reported = funnel.report(self.context, batch)
            for notice in reported:
                if isinstance(notice, EventsReported):
                    metrics.EVENT_NOTICES.labels(platform=notice.platform).inc()
            return reported
        except Exception:
            log.exception("incident %s grouping %d governance events (they are in the audit "
                          "log)", incident(), len(batch))
            return []

    def _record_each(self, batch: list[GovernanceEvent]) -> list[GovernanceEvent]:
        """After a batch failed: record its events one by one. A store that takes none
        is down — all are kept for the next call; an event it refuses while it takes
        others can never be stored and is dropped, loudly, instead of blocking the rest."""
        stored: list[GovernanceEvent] = []
        refused: list[GovernanceEvent] = []
        for event in batch:
            try:
                self.context.store.events.record([event])
                stored.append(event)
            except Exception:
                refused.append(event)
        if not stored:
            log.exception("incident %s recording %d governance events; kept for the next "
                          "ones", incident(), len(batch))
            with self._unrecorded_lock:
                self._unrecorded = [*batch, *self._unrecorded][-UNRECORDED_KEPT:]
            return []
        for event in refused:
            log.error("incident %s: a governance event the store refuses was dropped: %r",
                      incident(), event)
        return stored

    # -- the forge ------------------------------------------------------------------------

    @logs.scoped
    def forge_event(self, hook: Hook) -> list[Event]:
        """A verified webhook delivery: handled once per delivery id, whatever happens."""
        kind = self.context.forge.kind
        if not self.context.store.claim_event(f"{kind}:delivery:{hook.delivery}"):
            log.info("dropping repeated %s delivery %s", kind, hook.delivery)
            return []
        return self._forge(f"{kind} delivery {hook.delivery}",
                           functools.partial(self._hook, hook))

    @logs.scoped
    def poll(self) -> list[Event]:
        """What webhooks would have said, asked of the forge: every open pull request's
        new comments, reviews and pushes, and main applied. `govbot serve` runs it every
        GOVBOT_FORGE_POLL_SECONDS, and at start to catch up after downtime."""
        if self.context.forge.kind == "local":
            return []
        try:
            open_pulls = self.context.forge.pulls()
        except GovbotError as error:
            log.warning("polling %s: %s", self.context.forge.name, error)
            return []
        found: list[Event] = []
        for pull in open_pulls:
            found += self._forge(f"pull request {pull.number}",
                                 functools.partial(self._poll_pull, pull))
        found += self._forge("changes closed on the forge",
                             functools.partial(recovery.reconcile, self.context))
        return found + self._forge("applying main", self._apply_main)

    def _poll_pull(self, pull: Pull) -> list[Event]:
        events: list[Event] = []
        for comment in self.context.forge.comments(pull.number):
            events += self._comment(pull.number, comment)
        return events + self._pull(pull)

    def _apply_main(self) -> list[Event]:
        rolled = merging.apply_main(self.context, self.context.main())
        return [Answer(f"applied: {line}") for line in rolled.lines]

    def _hook(self, hook: Hook) -> list[Event]:
        ctx = self.context
        if hook.event == "comment" and hook.number is not None and hook.comment is not None:
            return self._comment(hook.number, hook.comment)
        if hook.event in ("pull", "review") and hook.number is not None:
            pull = ctx.forge.pull(hook.number)
            # a pull request closed or merged by a person: its change is closed with it
            return self._pull(pull) if pull is not None else recovery.reconcile(ctx)
        if hook.event == "push":
            return self._apply_main()
        return []

    def _pull(self, pull: Pull) -> list[Event]:
        change = pulls.govbot_change(self.context, pull)
        if change is not None:
            return recovery.reviewed(self.context, change.id)
        return pulls.refresh(self.context, pull)

    def _comment(self, number: int, comment: Comment) -> list[Event]:
        """`/approve` or `/reject <reason>` commented on a pull request (the comment's
        first line that starts with one), once per comment; the answer is a reply on the
        pull request. A forge that fails meanwhile un-sees the comment, so the next poll
        runs it again."""
        ctx = self.context
        text = _command_line(comment.text)
        if not text:
            return []
        key = f"{ctx.forge.kind}:comment:{comment.id}"
        if not ctx.store.claim_event(key):
            return []
        try:
            events = self._comment_command(number, comment, text)
        except TransientError as error:
            ctx.store.forget_event(key)
            log.warning("comment %s on pull request %s: %s; tried again at the next poll",
                        comment.id, number, error)
            return []
        reply = "\n\n".join(e.text for e in events if isinstance(e, Answer | AboutChange))
        if reply:
            try:
                ctx.forge.comment(number, f"@{comment.login} {reply}")
            except GovbotError as error:
                log.warning("replying on pull request %s: %s", number, error)
        return events

    def _comment_command(self, number: int, comment: Comment, text: str) -> list[Event]:
        ctx = self.context
        pull = ctx.forge.pull(number)
        if pull is None:
            return []
        change = pulls.govbot_change(ctx, pull)
        if change is None:
            try:
                return self._hand_command(pull, comment.login, text)
            except UserError as error:
                return [Answer(str(error), ok=False)]
        verb, _space, rest = text.partition(" ")
        named = rest.split(" ", 1)[0].lstrip("#")
        if named.isdigit():
            if int(named) != change.id:
                return [Answer(f"this pull request is change #{change.id}; a comment here "
                               f"approves or rejects only it: write {verb} without a number "
                               f"(use chat for #{named})", ok=False)]
            rest = rest.split(" ", 1)[1] if " " in rest else ""
        return self._answer(Command(ctx.forge.kind, comment.login, f"pull/{number}",
                                    f"{verb} {change.id} {rest}".strip()))

    def _hand_command(self, pull: Pull, login: str, text: str) -> list[Event]:
        ctx = self.context
        person = ctx.config(ctx.main()).person(ctx.forge.kind, login, matches=same_login)
        return pulls.command(ctx, pull, person, text)

    def _forge(self, what: str, work: Callable[[], list[Event]]) -> list[Event]:
        """Run forge-driven work; a person's mistake becomes an answer, anything else is
        logged, never raised into the server or the poller."""
        try:
            return work()
        except UserError as error:
            return [Answer(str(error), ok=False)]
        except Exception:
            log.exception("incident %s: %s", incident(), what)
            return []

    @logs.scoped
    def sync(self, full: bool = False) -> list[Event]:
        """Finish what a stop interrupted and apply what main holds and the target lacks
        (everything with `full`); at start and from `govbot sync`."""
        return recovery.sync(self.context, full)
