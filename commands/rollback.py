"""/rollback <change> | <svc> — undo a merged change through a new pull request.

A change id (`12` or `#12`) undoes that change; a service name undoes the last merged
change to that service. The undo is a change like any other: it is checked, reviewed
and applied, and its diff is the exact inverse of the original.

Alias: 回滚
Examples:
    /rollback 12
    /rollback #12
    /rollback svc-user
    回滚 svc-user --env prod
"""

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Rollback

USAGE = "/rollback <change> | <svc>"


def parse(words: list[str]) -> Rollback:
    if not words:
        raise grammar.missing("the change id (like #12) or the service name")
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    word = words[0]
    # Service names start with a letter, so a number is always a change id.
    if word[:1].isdigit() or word.startswith("#"):
        return Rollback(change_id=grammar.change_id(word))
    try:
        return Rollback(service=grammar.service(word))
    except UsageError:
        raise UsageError(
            f"{grammar.show(word)} is neither a change id (like #12) nor a service name "
            '(lowercase letters, digits and "-", starting with a letter)'
        ) from None


SPEC = CommandSpec.from_doc("rollback", __doc__, usage=USAGE, parse=parse, mutating=False)
