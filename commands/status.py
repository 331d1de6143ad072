"""/status <svc> — show a service's governance settings and its open change.

Alias: 状态
Examples:
    /status svc-user
    状态 svc-user --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Status

USAGE = "/status <svc>"


def parse(words: list[str]) -> Status:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Status(service)


SPEC = CommandSpec.from_doc("status", __doc__, usage=USAGE, parse=parse, mutating=False)
