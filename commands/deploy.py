"""/deploy <app> from store [version <v>] [as <name>] [set <k>=<v> …] — run a store app.

The change adds `apps/<env>/<namespace>/<name>.yaml`, an AppDeployment with the app's
version and every parameter (the catalog's defaults, then each `set`); it is guarded and
reviewed like any change, and applied once merged. The name is the app's unless `as`
gives another. `/store <app>` shows the parameters and their bounds; secrets are never
set here (the Kubernetes target generates them when it applies the app).

Alias: 部署
Examples:
    /deploy redis from store
    /deploy mysql from store version 8.4.3 as orders-db set storage=50Gi memory=2Gi
    部署 redis from store as cache --env dev
"""

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Deploy

USAGE = kinds.DEPLOY.usage
_OPTIONS = ("version", "as", "set")
_EXAMPLE = "/deploy redis from store as cache set memory=1Gi"


def parse(words: list[str]) -> Deploy:
    if not words:
        raise grammar.missing("the app's name, like /deploy redis from store (/store lists them)")
    app = grammar.app(words[0])
    if words[1:3] != ["from", "store"]:
        raise UsageError(f"missing \"from store\" after {app}: govbot deploys only apps of "
                         "its store's catalog", example=f"/deploy {app} from store")
    rest = words[3:]
    version: str | None = None
    name = app
    settings: list[str] = []
    seen: set[str] = set()
    at = 0
    while at < len(rest):
        option = grammar.keyword(rest[at], _OPTIONS, "version, as or set")
        if option in seen and option != "set":  # `set a=1 set b=2` is one list
            raise UsageError(f"{option} is given twice; give it once", example=_EXAMPLE)
        seen.add(option)
        if at + 1 == len(rest):
            raise grammar.missing(f"what follows {option}, like {_sample(option)}")
        if option == "version":
            version = _tag(rest[at + 1])
            at += 2
        elif option == "as":
            name = _name(rest[at + 1])
            at += 2
        else:
            at += 1
            while at < len(rest) and rest[at] not in _OPTIONS:
                settings.append(_setting(rest[at], settings))
                at += 1
    return Deploy(name, app, version, tuple(settings))


def _sample(option: str) -> str:
    return {"version": "version 7.4.2", "as": "as cache", "set": "set memory=1Gi"}[option]


def _tag(word: str) -> str:
    if not word or len(word) > 128 or not all(c.isascii() and (c.isalnum() or c in "._-")
                                               for c in word):
        raise UsageError(f"{grammar.show(word)} is not a version tag: use letters, digits, "
                         "'.', '_' and '-', like 7.4.2", example="/deploy redis from store "
                         "version 7.4.2")
    return word


def _name(word: str) -> str:
    try:
        return grammar.service(word)
    except UsageError:
        raise UsageError(f"{grammar.show(word)} is not a name for an app: use a DNS-1123 label "
                         "(lowercase letters, digits and \"-\", starting with a letter)",
                         example="/deploy redis from store as cache") from None


def _setting(word: str, given: list[str]) -> str:
    key, equals, value = word.partition("=")
    if not equals or not key or not value:
        raise UsageError(f"{grammar.show(word)} is not <parameter>=<value>",
                         example="/deploy redis from store set memory=1Gi")
    if any(g.partition("=")[0] == key for g in given):
        # the value is not repeated: it may be a secret's, which is refused later
        raise UsageError(f"{key} is set twice; set each parameter once",
                         example="/deploy redis from store set memory=1Gi")
    return word


SPEC = CommandSpec.from_doc("deploy", __doc__, usage=USAGE, parse=parse, mutating=True)
