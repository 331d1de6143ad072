"""/unexpose <svc> — stop routing a service's external hosts at the ingress gateway.

The service's `spec.exposed` goes: it is reached from inside the mesh only, and its
canary, routes, faults and timeouts govern mesh traffic alone. The whitelist is left as
it is; take the gateway off it with /whitelist <svc> remove <gateway> when it should no
longer call the service.

Alias: 取消暴露
Examples:
    /unexpose svc-user
    取消暴露 svc-user --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Unexpose

USAGE = kinds.UNEXPOSE.usage


def parse(words: list[str]) -> Unexpose:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Unexpose(service)


SPEC = CommandSpec.from_doc("unexpose", __doc__, usage=USAGE, parse=parse, mutating=True)
