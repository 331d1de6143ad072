"""Changes govbot makes on its own: an expiry's revert, the next step (or the abort) of a
progressive canary.

They go through the same loop as a person's change — edit, render check, guard, pull
request, merge, apply — with `govbot` as the requester. The guard lets them merge without
an approval only under a rule that names them (`automatic` in a rule package of rego/,
e.g. the revert of a time-boxed policy that has ended); anything else waits for
approvals like any change. A service that has an open change keeps it: the automatic
change is tried again at the next tick.

Example:
    events = open_as_govbot(ctx, Scope("prod", "demo"), Fault("svc-user", "off"))
"""

from __future__ import annotations

import logging

from bot.core.errors import Locked
from bot.core.events import Event
from bot.core.types import Person, Scope
from bot.runners import Context, opening
from policies import intents

log = logging.getLogger("govbot.automatic")
# the requester of govbot's own changes; access.yaml may not name a person `govbot`
AUTOMATON = Person("govbot", "govbot", "govbot@localhost", ())


def open_as_govbot(ctx: Context, scope: Scope, intent: intents.PolicyIntent
                   ) -> list[Event] | None:
    """Open (and, where the guard allows it without approval, merge) the change; None
    while another change holds the service (try again later). Denied and other
    UserErrors are raised for the caller to report."""
    try:
        return opening.run(ctx, AUTOMATON, scope, intent)
    except Locked as held:
        log.info("%s in %s waits: #%s is open", intent.service, scope, held.change_id)
        return None
