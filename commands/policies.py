"""/policies — list the services of this namespace with their policies and whether each is on.

Alias: 策略
Examples:
    /policies
    策略 --env prod --ns demo
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import ListPolicies

USAGE = "/policies"


def parse(words: list[str]) -> ListPolicies:
    if words:
        raise grammar.unexpected(words)
    return ListPolicies()


SPEC = CommandSpec.from_doc("policies", __doc__, usage=USAGE, parse=parse, mutating=False)
