"""/store [<app>] — what the app store offers: its apps and versions, or one app's parameters.

The catalog is main's `catalog/` of the policy repository: each organisation curates its
own. `/store <app>` shows the app's versions, and each parameter with its default and
bounds, as `/deploy … set <k>=<v>` takes them.

Alias: 应用商店
Examples:
    /store
    /store redis
    应用商店 mysql
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import StoreQuery

USAGE = "/store [<app>]"


def parse(words: list[str]) -> StoreQuery:
    if not words:
        return StoreQuery()
    app = grammar.app(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return StoreQuery(app)


SPEC = CommandSpec.from_doc("store", __doc__, usage=USAGE, parse=parse, mutating=False)
