"""/undeploy <name> [purge] — remove a store app; its data volumes are kept unless purge.

The change deletes `apps/<env>/<namespace>/<name>.yaml`, so the app's objects are pruned
once it is merged; its PersistentVolumeClaims stay (the StatefulSet retains them), and a
later `/deploy` under the same name finds its data again. `purge` also deletes the
volumes: the document becomes a tombstone that lists them, and the guardrails ask for
more approvals in prod.

Alias: 下线
Examples:
    /undeploy cache
    /undeploy orders-db purge --env dev
    下线 cache
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Undeploy

USAGE = kinds.UNDEPLOY.usage


def parse(words: list[str]) -> Undeploy:
    if not words:
        raise grammar.missing("the app's name (/policies and /status show them)")
    name = grammar.service(words[0])
    if len(words) == 1:
        return Undeploy(name)
    grammar.keyword(words[1], ("purge",), "purge")
    if len(words) > 2:
        raise grammar.unexpected(words[2:])
    return Undeploy(name, purge=True)


SPEC = CommandSpec.from_doc("undeploy", __doc__, usage=USAGE, parse=parse, mutating=True)
