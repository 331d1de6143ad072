"""Exposure as rendering reads it: the external hosts a service answers at an ingress
gateway, and which gateway.

Called by the routing renderers of both modes (`policies.render_traffic`,
`policies.render_gateway`). `spec.exposed` is either the older boolean — `true` only says
that the whitelist keeps the ingress gateway, and routes nothing at the gateway — or a
mapping `{hosts: [user.example.com, …], gateway: istio-system/public}`; a mapping with
hosts routes the service's traffic policies (release, matches, timeout) at the gateway
too. The document checks (`policies.checks`) decide what a valid mapping is; rendering
refuses one it cannot read rather than guess a gateway.

Example:
    >>> exposure({"exposed": {"hosts": ["user.example.com"], "gateway": "istio-system/public"}})
    Exposure(hosts=('user.example.com',), namespace='istio-system', name='public')
    >>> exposure({"exposed": True}) is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

EXAMPLE = "{hosts: [user.example.com], gateway: istio-system/public}"


@dataclass(frozen=True)
class Exposure:
    """A service routed at an ingress gateway: its external hosts and the gateway."""

    hosts: tuple[str, ...]
    namespace: str
    name: str

    @property
    def gateway(self) -> str:
        """`<namespace>/<name>`, as a VirtualService's `gateways` names it."""
        return f"{self.namespace}/{self.name}"


def exposure(spec: Mapping[str, Any]) -> Exposure | None:
    """The gateway routing `spec` asks for; None when it asks for none (absent, a boolean,
    or no hosts). ValueError when the mapping cannot be read."""
    exposed = spec.get("exposed")
    if not isinstance(exposed, Mapping) or not exposed.get("hosts"):
        return None
    problem = problems(exposed)
    if problem:
        raise ValueError("; ".join(problem))
    namespace, _, name = str(exposed["gateway"]).partition("/")
    return Exposure(tuple(str(host) for host in exposed["hosts"]), namespace, name)


def problems(exposed: Mapping[str, Any]) -> list[str]:
    """What keeps rendering from reading an exposure mapping with hosts, each naming its
    field; [] when it can."""
    found = []
    hosts = exposed.get("hosts")
    if not isinstance(hosts, list) or not all(isinstance(h, str) and h for h in hosts):
        found.append(f"spec.exposed.hosts: must be a list of host names, e.g. {EXAMPLE}")
    gateway = exposed.get("gateway")
    namespace, _, name = str(gateway).partition("/")
    if not isinstance(gateway, str) or not namespace or not name or "/" in name:
        found.append(f"spec.exposed.gateway: {gateway!r} is not <namespace>/<name> of the "
                     f"ingress gateway, e.g. {EXAMPLE}")
    return found
