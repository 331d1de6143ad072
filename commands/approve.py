"""/approve <id> — approve an open change; it merges once it has the approvals it needs.

The id is the number shown as `#12` on the change's card; `12` works too. Your own
change does not count: someone else approves it.

Alias: 批准
Examples:
    /approve 12
    /approve #12
    批准 #7
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Approve

USAGE = "/approve <id>"


def parse(words: list[str]) -> Approve:
    if not words:
        raise grammar.missing("the change id, like #12")
    change = grammar.change_id(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Approve(change)


SPEC = CommandSpec.from_doc("approve", __doc__, usage=USAGE, parse=parse, mutating=False)
