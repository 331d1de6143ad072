"""/mesh [<ns>] [sidecar|ambient] [--env <env>] — a namespace's data plane, or switch it.

With a mode, opens one change of govbot.yaml that sets the namespace's
`mesh` (judged like any change of the guardrails: governance approvals); once merged,
every service of the namespace is rendered again for the new data plane and applied
make-before-break. Without one, answers the namespace's mode (the channel's namespace
when none is named), the Gateway API channel and what the mode cannot carry
(docs/ambient.md).

Alias: 网格
Examples:
    /mesh demo ambient --env prod
    /mesh demo sidecar --env prod
    /mesh demo
    /mesh
    网格 demo ambient --env dev
"""

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies.intents import MeshQuery, MeshSwitch
from policies.mesh import MODES

USAGE = "/mesh [<ns>] [sidecar|ambient] [--env <env>]"


def parse(words: list[str]) -> MeshSwitch | MeshQuery:
    match words:
        case []:
            return MeshQuery()
        case [namespace]:
            return MeshQuery(_namespace(namespace))
        case [namespace, mode]:
            return MeshSwitch(_namespace(namespace), _mode(mode))
    raise grammar.unexpected(words[2:])


def _namespace(word: str) -> str:
    """A namespace: a DNS-1123 label (whether govbot.yaml declares it is the runner's)."""
    if word.lower() in MODES:
        raise UsageError(f"missing the namespace before {grammar.show(word)}")
    try:
        return grammar.service(word)
    except UsageError:
        raise UsageError(f"{grammar.show(word)} is not a namespace name: use lowercase "
                         'letters, digits and "-", starting with a letter') from None


def _mode(word: str) -> str:
    """sidecar or ambient, the two data planes of policies.mesh."""
    return grammar.keyword(word, MODES, "a mesh mode (sidecar or ambient)")


SPEC = CommandSpec.from_doc("mesh", __doc__, usage=USAGE, parse=parse, mutating=True)
