"""/approve <id> [break-glass <reason>] — approve an open change; it merges once it has the approvals it needs.

The id is the number shown as `#12` on the change's card; `12` works too. Your own
change does not count: someone else approves it. The one exception is break-glass: where
the guardrails allow it (an sre turning a risk off in an emergency), the requester may
approve their own de-escalation with a reason, which is announced in the channel and
recorded in the merge commit.

Alias: 批准
Examples:
    /approve 12
    /approve #12
    批准 #7
    /approve 12 break-glass checkout errors at 30%, aborting the canary now
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Approve

USAGE = "/approve <id> [break-glass <reason>]"
BREAK_GLASS = ("break-glass", "breakglass")


def parse(words: list[str]) -> Approve:
    if not words:
        raise grammar.missing("the change id, like #12")
    change = grammar.change_id(words[0])
    if len(words) == 1:
        return Approve(change)
    if words[1].lower() not in BREAK_GLASS:
        raise grammar.unexpected(words[1:])
    reason = " ".join(words[2:]).strip()
    if not reason:
        raise UsageError("a break-glass approval needs its reason, for the channel and the "
                         "merge commit", usage=USAGE,
                         example="/approve 12 break-glass checkout errors, aborting the canary")
    return Approve(change, break_glass=reason)


SPEC = CommandSpec.from_doc("approve", __doc__, usage=USAGE, parse=parse, mutating=False)
