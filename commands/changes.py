"""/changes — list the open changes, with who asked and what they still need.

Examples:
    /changes
    /changes --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import ListChanges

USAGE = "/changes"


def parse(words: list[str]) -> ListChanges:
    if words:
        raise grammar.unexpected(words)
    return ListChanges()


SPEC = CommandSpec.from_doc("changes", __doc__, usage=USAGE, parse=parse, mutating=False)
