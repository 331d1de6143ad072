"""/bluegreen <svc> switch | to <version> — send all traffic to one version.

`switch` flips every request between the stable and the canary version (starting from
stable); `to v2` sends everything to the version named, which must be one of the
service's versions. `/canary <svc> <n>%` goes back to a weighted canary.

Alias: 蓝绿
Examples:
    /bluegreen svc-user switch
    /bluegreen svc-user to v2
    蓝绿 svc-user switch --env prod
"""

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import BlueGreen

USAGE = kinds.BLUEGREEN.usage
_MODES = ("switch", "to")


def parse(words: list[str]) -> BlueGreen:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("switch, or to and a version, like to v2")
    _check_mode(words[1])
    if grammar.keyword(words[1], _MODES, "switch or to") == "switch":
        intent, used = BlueGreen(service, "switch"), 2
    elif len(words) == 2:
        raise grammar.missing("the version after to, like to v2")
    else:
        intent, used = BlueGreen(service, "to", grammar.version(words[2])), 3
    if len(words) > used:
        raise grammar.unexpected(words[used:])
    return intent


def _check_mode(word: str) -> None:
    # `/bluegreen svc-user v2` names a version without "to": show the command it meant.
    is_mode = grammar.suggestion(word, _MODES) or word.lower() in _MODES
    if not is_mode and any(char.isdigit() for char in word):
        raise UsageError(f'write "to" before {grammar.show(word)}: to {word}')


SPEC = CommandSpec.from_doc("bluegreen", __doc__, usage=USAGE, parse=parse, mutating=True)
