"""/show <id> — one change in full: the policy diff, what it changes in the cluster, the
verdict with its rule ids, the approvals given and who may still approve.

Alias: 详情
Examples:
    /show 12
    /show #12
    详情 12
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Show

USAGE = "/show <id>"


def parse(words: list[str]) -> Show:
    if not words:
        raise grammar.missing("the change id, like #12")
    change = grammar.change_id(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Show(change)


SPEC = CommandSpec.from_doc("show", __doc__, usage=USAGE, parse=parse, mutating=False)
