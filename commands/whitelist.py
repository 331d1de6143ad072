"""/whitelist <svc> allow <svc>[,<ns>/<svc>…] | remove <svc> | off | on — let only the listed callers in.

Callers are services of the same namespace (`svc-index`) or of another one
(`istio-system/istio-ingressgateway`); they may be separated by commas or spaces.
`allow` adds callers to the list, `remove` takes one off; `off` keeps the list but lets
every caller in, `on` enforces it again.

Alias: 白名单
Examples:
    /whitelist svc-user allow svc-index
    /whitelist svc-user allow svc-index,svc-order,istio-system/istio-ingressgateway
    /whitelist svc-user remove svc-order
    /whitelist svc-user off
    /whitelist svc-user on
    白名单 svc-user allow svc-index、svc-order --env prod
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

import re

from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Whitelist

USAGE = kinds.WHITELIST.usage
_MODES = ("allow", "remove", "off", "on")
# "、" is how Chinese text lists things; NFKC has already turned "，" into ",".
_SEPARATORS = re.compile(r"[,、]")


def parse(words: list[str]) -> Whitelist:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("allow <callers>, remove <caller>, off or on")
    match grammar.keyword(words[1], _MODES, "allow, remove, off or on"):
        case "allow":
            return Whitelist(service, "allow", _callers(words[2:]))
        case "remove":
            return Whitelist(service, "remove", (_one_caller(words[2:]),))
        case "off":
            _nothing_after(words[2:])
            return Whitelist(service, "off")
    _nothing_after(words[2:])
    return Whitelist(service, "on")


def _callers(words: list[str]) -> tuple[str, ...]:
    """The callers after `allow`, in the order given, each once."""
    names = [name for word in words for name in _SEPARATORS.split(word) if name]
    if not names:
        raise grammar.missing("the callers after allow, like allow svc-index,istio-system/gw")
    return tuple(dict.fromkeys(grammar.caller(name) for name in names))


def _one_caller(words: list[str]) -> str:
    if not words:
        raise grammar.missing("the caller after remove, like remove svc-index")
    _nothing_after(words[1:])
    return grammar.caller(words[0])


def _nothing_after(words: list[str]) -> None:
    if words:
        raise grammar.unexpected(words)


SPEC = CommandSpec.from_doc("whitelist", __doc__, usage=USAGE, parse=parse, mutating=True)
