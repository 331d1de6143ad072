"""/freeze [--env <env>] — list the change freezes of the environment, now and next.

The windows that hold now and the next ones of the channel's environment (or --env),
with start and end in their time zone and in UTC. Windows are declared per environment
in govbot.yaml (`environments.<env>.freezes`); during one, the guardrails deny every
change except de-escalations and break-glass (docs/freeze.md).

Alias: 封网
Examples:
    /freeze
    /freeze --env prod
    封网 --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import ListFreezes

USAGE = "/freeze [--env <env>]"


def parse(words: list[str]) -> ListFreezes:
    if words:
        raise grammar.unexpected(words)
    return ListFreezes()


SPEC = CommandSpec.from_doc("freeze", __doc__, usage=USAGE, parse=parse, mutating=False)
