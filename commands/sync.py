"""/sync <svc> — apply main's policy of a service to the cluster again, undoing drift.

A change reviewed like any other: it stamps the service's document with the time it was
asked for, and once merged the apply target re-applies the document's objects, taking
back every field /drift lists.

Alias: 同步
Examples:
    /sync svc-user
    同步 svc-user --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Sync

USAGE = kinds.SYNC.usage


def parse(words: list[str]) -> Sync:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Sync(service)


SPEC = CommandSpec.from_doc("sync", __doc__, usage=USAGE, parse=parse, mutating=True)
