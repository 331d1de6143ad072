"""/drift [<svc>] — compare what the cluster runs with what main renders, field by field.

Without a service it checks every service of the namespace. A field someone changed in
the cluster (`kubectl edit`, another controller) is listed with its live value and main's;
/sync <svc> puts main's back. Only an apply target that reads the cluster
(GOVBOT_APPLY=kubernetes) can answer.

Alias: 漂移
Examples:
    /drift svc-user
    /drift
    漂移 svc-user --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Drift

USAGE = "/drift [<svc>]"


def parse(words: list[str]) -> Drift:
    if not words:
        return Drift()
    service = grammar.service(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Drift(service)


SPEC = CommandSpec.from_doc("drift", __doc__, usage=USAGE, parse=parse, mutating=False)
