"""/dashboard — a link to the read-only web dashboard, sent only to you.

The link signs you in for a limited time (GOVBOT_DASHBOARD_LINK_TTL, 12h by default);
the dashboard shows the namespaces your grants in access.yaml cover: each service's
policies, open changes with their diffs, the change history and the governance events.

Alias: 看板
Examples:
    /dashboard
    看板
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Dashboard

USAGE = "/dashboard"


def parse(words: list[str]) -> Dashboard:
    if words:
        raise grammar.unexpected(words)
    return Dashboard()


SPEC = CommandSpec.from_doc("dashboard", __doc__, usage=USAGE, parse=parse, mutating=False)
