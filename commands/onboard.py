"""/onboard <svc> [port <p>] [versions <v1>,<v2>] [account <sa>] — give a service its policy document.

Every other policy command works on a service that has a document; this one makes it,
as a change reviewed like any other. Without options the service listens on 8080, has a
stable version v1 and a canary version v2 (its pods' `version` labels), and runs as the
service account named like the service. `versions v1` alone leaves no canary.

Alias: 接入
Examples:
    /onboard svc-cart
    /onboard svc-cart port 9090 versions v1,v2 account cart
    /onboard svc-cart versions v3
    接入 svc-cart port 8080 --env dev
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Onboard

USAGE = kinds.ONBOARD.usage
_KEYS = ("port", "versions", "account")
_SAMPLE = {"port": "8080", "versions": "v1,v2", "account": "svc-cart"}


def parse(words: list[str]) -> Onboard:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    given: dict[str, str] = {}
    rest = words[1:]
    for at in range(0, len(rest), 2):
        key = grammar.keyword(rest[at], _KEYS, "port, versions or account")
        if key in given:
            raise UsageError(f"{key} is given twice; give it once")
        if at + 1 == len(rest):
            raise grammar.missing(f"the value after {key}, like {key} {_SAMPLE[key]}")
        given[key] = rest[at + 1]
    port = grammar.count(given["port"], "a port", high=65535) if "port" in given else None
    versions = _versions(given["versions"]) if "versions" in given else None
    account = _account(given["account"]) if "account" in given else None
    return Onboard(service, port, versions, account)


def _versions(word: str) -> tuple[str, ...]:
    """`v1,v2` (stable, then canary) or `v1`."""
    names = tuple(grammar.version(name) for name in word.split(","))
    if len(names) > 2:
        raise UsageError(f"{grammar.show(word)} names {len(names)} versions: give the stable "
                         "and at most one canary, like versions v1,v2")
    if len(set(names)) != len(names):
        raise UsageError(f"{grammar.show(word)}: the stable and the canary version differ, "
                         "like versions v1,v2")
    return names


def _account(word: str) -> str:
    try:
        return grammar.service(word)
    except UsageError:
        raise UsageError(
            f'{grammar.show(word)} is not a service account name: use lowercase letters, '
            'digits and "-", starting with a letter (at most 63)') from None


SPEC = CommandSpec.from_doc("onboard", __doc__, usage=USAGE, parse=parse, mutating=True)
