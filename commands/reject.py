"""/reject <id> [reason] — close an open change without merging it.

Everything after the id is the reason, kept with the change and shown on its card.

Alias: 驳回
Examples:
    /reject 12
    /reject #3 too risky today
    驳回 #7 周五不发布
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Reject

USAGE = "/reject <id> [reason]"


def parse(words: list[str]) -> Reject:
    if not words:
        raise grammar.missing("the change id, like #12")
    return Reject(grammar.change_id(words[0]), reason=" ".join(words[1:]))


SPEC = CommandSpec.from_doc("reject", __doc__, usage=USAGE, parse=parse, mutating=False)
