"""The workflow: one chat command in, events out.

    Command ─ who (access.yaml of main) ─ parse (commands) ─ where (channel binding, flags)
      └─ one `match` from the intent to its runner (bot/runners/):
           policy intent, /rollback → opening      /approve → approving
           /reject → rejecting                     /status, /policies, /changes, /help → queries

Every chat adapter calls `Workflow.handle`; it never raises. A `UserError` becomes an
answer to the person; anything else is logged with a short incident id that the answer
names, and no traceback or exception text reaches the channel. There is no lock here:
the store locks per service and per change, so commands on different services run in
parallel, in one process or several.
"""

from __future__ import annotations

import logging

import commands
from bot.config import same_id
from bot.core.errors import ConfigError, TransientError, UserError
from bot.core.events import Answer, Event
from bot.core.types import Command
from bot.rollout import incident
from bot.runners import Context, approving, opening, queries, recovery, rejecting
from policies import intents

log = logging.getLogger("govbot.workflow")


class Workflow:
    def __init__(self, context: Context) -> None:
        self.context = context

    def handle(self, command: Command) -> list[Event]:
        """Run one command; always returns events, never raises."""
        delivery = f"{command.platform}:{command.event_id}"
        if command.event_id and not self.context.store.claim_event(delivery):
            log.info("dropping repeated delivery %s", command.event_id)
            return []
        try:
            return self._run(command)
        except UserError as error:
            return [Answer(str(error), ok=False)]
        except ConfigError as error:
            log.error("configuration problem handling %r: %s", command.text[:200], error)
            return [Answer(f"govbot cannot do this until its configuration is fixed: {error}",
                           ok=False)]
        except TransientError as error:
            log.warning("transient problem handling %r: %s", command.text[:200], error)
            return [Answer(f"{error}; please try again in a moment", ok=False)]
        except Exception:
            number = incident()
            log.exception("incident %s handling %r from %s", number, command.text[:200],
                          command.user)
            return [Answer(f"something went wrong on govbot's side (incident {number}); "
                           "the operators can find what happened by that id in govbot's "
                           "log. /changes shows what is open.", ok=False)]

    def _run(self, command: Command) -> list[Event]:
        ctx = self.context
        config = ctx.config(ctx.main())
        person = config.person(command.platform, command.user, command.team,
                               ctx.matchers.get(command.platform, same_id))
        parsed = commands.parse(command.text)
        match parsed.intent:
            case intents.Help(command=name):
                return queries.help(name)
            case intents.Approve(change_id=change_id, break_glass=reason):
                return approving.run(ctx, person, change_id, reason)
            case intents.Reject(change_id=change_id, reason=reason):
                return rejecting.run(ctx, person, change_id, reason)
            case intents.ListChanges() as listing:
                return queries.changes(ctx, listing, parsed.env, parsed.namespace)
            case intents.Show(change_id=change_id):
                return queries.show(ctx, change_id)
        scope = config.scope(command.platform, command.channel, parsed.env, parsed.namespace)
        match parsed.intent:
            case intents.Status(service=service):
                return queries.status(ctx, scope, service)
            case intents.ListPolicies():
                return queries.policies(ctx, scope)
            case intents.Rollback() as rollback:
                return opening.rollback(ctx, person, scope, rollback)
            case intent if isinstance(intent, intents.PolicyIntent):
                return opening.run(ctx, person, scope, intent)
        raise UserError(f"/{parsed.spec.name} is not handled here yet")

    def sweep(self) -> list[Event]:
        """Merge open changes whose approvals suffice, and apply again what expired
        (`govbot serve` runs this periodically, so nothing approved stays unmerged after a
        failure or a stop, and a time-boxed fault leaves the cluster on time)."""
        try:
            return recovery.merge_ready(self.context) + recovery.expire(self.context)
        except Exception:
            log.exception("incident %s sweeping approved changes", incident())
            return []

    def sync(self, full: bool = False) -> list[Event]:
        """Finish what a stop interrupted and apply what main holds and the target lacks
        (everything with `full`); at start and from `govbot sync`."""
        return recovery.sync(self.context, full)
