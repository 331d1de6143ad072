"""/expose <svc> host <h>[,<h>…] [gateway <ns/name>] — route external hosts to a service at the ingress gateway.

The service's canary, routes, faults and timeouts then apply to requests through the
gateway as well as inside the mesh. Hosts are DNS names (a leading `*.` wildcard is
allowed), without scheme, path or port; more hosts may follow, separated by commas or
spaces. Without `gateway`, the exposure keeps the gateway it has, else govbot.yaml's
`ingressGateway.gateway`. /unexpose undoes it.

Alias: 暴露
Examples:
    /expose svc-user host user.example.com
    /expose svc-user host user.example.com,api.example.com gateway istio-system/public
    暴露 svc-user host *.shop.example.com gateway edge/public --env prod
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

import re

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import hosts, kinds
from policies.intents import Expose

USAGE = kinds.EXPOSE.usage
_EXAMPLE = f"/expose svc-user host {hosts.EXAMPLE_HOST}"
_WITH_GATEWAY = f"{_EXAMPLE} gateway {hosts.EXAMPLE_GATEWAY}"
# "、" is how Chinese text lists things; NFKC has already turned "，" into ",".
_SEPARATORS = re.compile(r"[,、]")


def parse(words: list[str]) -> Expose:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    rest = words[1:]
    if not rest:
        raise _usage("missing host <h> after the service name")
    first = rest[0].lower()
    if first == "gateway":
        raise _usage("name the hosts first: host <h> comes before gateway")
    if first != "host":
        named = "." in rest[0] and hosts.host_problem(rest[0]) is None
        like = rest[0] if named else hosts.EXAMPLE_HOST
        raise UsageError(f"write host before the host name, like /expose {service} host "
                         f"{like}", USAGE, f"/expose {service} host {like}")
    names, gateway = _split(rest[1:])
    if not names:
        raise _usage("missing the host name after host")
    return Expose(service, _hosts(names), gateway)


def _split(words: list[str]) -> tuple[list[str], str | None]:
    """The host words, and the gateway after `gateway` (None without one)."""
    lowered = [word.lower() for word in words]
    if "gateway" not in lowered:
        return words, None
    at = lowered.index("gateway")
    after = words[at + 1:]
    if not after:
        raise _usage(f"missing <namespace>/<name> after gateway, like "
                     f"gateway {hosts.EXAMPLE_GATEWAY}", _WITH_GATEWAY)
    if len(after) > 1:
        raise grammar.unexpected(after[1:])
    problem = hosts.gateway_problem(after[0])
    if problem:
        raise _usage(problem, _WITH_GATEWAY)
    return words[:at], after[0]


def _hosts(words: list[str]) -> tuple[str, ...]:
    """Each host once, in the order given; the first mistake, said specifically."""
    names = [name for word in words for name in _SEPARATORS.split(word) if name]
    for name in names:
        problem = hosts.host_problem(name)
        if problem:
            raise _usage(problem)
    return tuple(dict.fromkeys(names))


def _usage(problem: str, example: str = _EXAMPLE) -> UsageError:
    return UsageError(problem, USAGE, example)


SPEC = CommandSpec.from_doc("expose", __doc__, usage=USAGE, parse=parse, mutating=True)
