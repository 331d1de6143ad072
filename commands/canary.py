"""/canary <svc> <0-100>% [to <version>] | promote | abort — steer traffic to the canary version.

A percent sends that share of the service's requests to its canary version; `to v3`
makes v3 the canary version in the same change, so a new build starts taking traffic
in one step. `promote` makes the canary the stable version, `abort` sends all traffic
back to stable.

Alias: 灰度
Examples:
    /canary svc-user 20%
    /canary svc-user 10% to v3
    /canary svc-user promote
    /canary svc-user abort
    灰度 svc-user 50% --env prod
"""

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Canary

USAGE = kinds.CANARY.usage
_STEPS = ("promote", "abort")


def parse(words: list[str]) -> Canary:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("the weight: a percent like 20%, or promote or abort")
    intent = _step(service, words[1])
    if len(words) == 2:
        return intent
    if intent.step != "set":
        raise grammar.unexpected(words[2:])
    return Canary(service, "set", intent.weight, version=_to(words[2:]))


def _step(service: str, word: str) -> Canary:
    # Anything with a digit or a sign is meant as a percent; say what is wrong with it.
    if any(char.isdigit() or char in "%-+." for char in word):
        return Canary(service, "set", weight=grammar.percent(word))
    if word.lower() == "to":
        raise UsageError("the weight comes before to: write the percent first, like 20% to v3")
    if grammar.keyword(word, _STEPS, "a percent, promote or abort") == "promote":
        return Canary(service, "promote")
    return Canary(service, "abort")


def _to(words: list[str]) -> str:
    """`to <version>` after the weight: the version that becomes the canary."""
    # Only a word close to "to" gets a did-you-mean; anything else is just extra.
    if words[0].lower() != "to" and not grammar.suggestion(words[0], ("to",)):
        raise grammar.unexpected(words)
    grammar.keyword(words[0], ("to",), 'the word "to"')
    if len(words) == 1:
        raise grammar.missing("the version after to, like to v3")
    if len(words) > 2:
        raise grammar.unexpected(words[2:])
    return grammar.version(words[1])


SPEC = CommandSpec.from_doc("canary", __doc__, usage=USAGE, parse=parse, mutating=True)
