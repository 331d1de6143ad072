"""Mesh modes: which data plane a namespace runs, and which policies each one can carry.

A namespace runs Istio's sidecars (`sidecar`, the default) or ambient mode (`ambient`:
ztunnel for L4, waypoint proxies for L7), as govbot.yaml says under
`environments.<env>.namespaces.<ns>.mesh`. One policy document renders to either: the
sidecar renderers write VirtualService + DestinationRule subsets, the ambient ones a
Gateway API HTTPRoute attached to the Service with one Service per version
(docs/ambient.md). What a mode cannot carry is refused, never rendered into an object the
data plane would ignore: `unsupported` says what and why, and the guardrail
`[mesh.unsupported]` (rego/rules/mesh.rego) holds the same matrix — a test keeps the two
in step.

`Mesh` is what rendering knows of a namespace's data plane: its mode, the Gateway API
channel the cluster installed (`gatewayApi.channel`: retries need `experimental`) and
whether govbot.yaml opted in to the alpha VirtualService path for faults in ambient
namespaces (`ambient.faultInjection: alpha`), and the name of the namespace's waypoint
(`environments.<env>.namespaces.<ns>.waypoint`, default `waypoint`), whose service account
the whitelist lets through to the pods.

Example:
    >>> [s.section for s in unsupported({"fault": {"abort": {"httpStatus": 503, "percent": 10}}},
    ...                                  Mesh(AMBIENT))]
    ['fault']
    >>> unsupported({"retries": {"attempts": 3}}, Mesh(AMBIENT, channel=EXPERIMENTAL))
    []
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

SIDECAR = "sidecar"
AMBIENT = "ambient"
MODES = (SIDECAR, AMBIENT)
STANDARD = "standard"
EXPERIMENTAL = "experimental"
CHANNELS = (STANDARD, EXPERIMENTAL)
ALPHA = "alpha"  # ambient.faultInjection: the alpha VirtualService path on the waypoint
WAYPOINT = "waypoint"  # a namespace's waypoint, as `istioctl waypoint apply` names it


@dataclass(frozen=True)
class Mesh:
    """The data plane of one namespace, as rendering and the guardrails see it."""

    mode: str = SIDECAR
    channel: str = STANDARD
    alpha_faults: bool = False
    waypoint: str = WAYPOINT  # the namespace's waypoint, whose account the whitelist allows


@dataclass(frozen=True)
class Refusal:
    """A policy section a mode cannot carry: why, and what to do instead."""

    section: str
    reason: str
    alternatives: str

    def text(self) -> str:
        return f"spec.{self.section}: {self.reason}; {self.alternatives}"


# The capability matrix (policy × mode), as the README shows it. A section absent here is
# carried by both modes. rego/rules/mesh.rego holds the same table.
_FAULT = Refusal(
    "fault",
    "fault injection has no ambient-supported API in Istio 1.30 (Gateway API has no fault "
    "field; a VirtualService on a waypoint is alpha)",
    "test the fault in a sidecar namespace, or opt in to the alpha path with "
    "`ambient: {faultInjection: alpha}` in govbot.yaml")
_RATE_LIMIT = Refusal(
    "rateLimit",
    "local rate limiting needs an EnvoyFilter, which waypoints ignore silently, and "
    "Istio 1.30 has no other rate-limit API in ambient mode",
    "limit the rate at the ingress gateway or in the service itself, or keep the namespace "
    "in sidecar mode (`mesh: sidecar`)")
_RETRIES = Refusal(
    "retries",
    "HTTPRoute retries are in Gateway API's experimental channel, and govbot.yaml says the "
    "cluster has the standard one",
    "install the experimental channel's CRDs and set `gatewayApi: {channel: experimental}` "
    "in govbot.yaml, or keep the timeout without retries")

CAPABILITIES: tuple[tuple[str, str, str], ...] = (
    # (policy, sidecar, ambient) — the README's matrix
    ("canary / blue-green (release)", "VirtualService + DestinationRule subsets",
     "HTTPRoute backendRefs to one Service per version"),
    ("header / cookie routes", "VirtualService matches", "HTTPRoute matches"),
    ("timeout", "VirtualService timeout", "HTTPRoute timeouts.request"),
    ("retries", "VirtualService retries",
     "HTTPRoute retry (experimental channel only, else refused)"),
    ("circuit breaker", "DestinationRule trafficPolicy",
     "DestinationRule trafficPolicy without subsets"),
    ("whitelist", "AuthorizationPolicy (selector)",
     "AuthorizationPolicy on the Service (waypoint) + one on the pods allowing the callers "
     "and the waypoint (ztunnel)"),
    ("autoscale", "HorizontalPodAutoscaler", "HorizontalPodAutoscaler"),
    ("fault", "VirtualService fault",
     "refused (alpha VirtualService on the waypoint only with faultInjection: alpha)"),
    ("rate limit", "EnvoyFilter (local rate limit)", "refused (waypoints ignore EnvoyFilter)"),
    ("exposed (ingress)", "VirtualService gateways: [mesh, <gateway>] + external hosts",
     "HTTPRoute second parentRef to the Gateway"),
)


def _enabled(section: Any) -> TypeGuard[Mapping[str, Any]]:
    return isinstance(section, Mapping) and section.get("enabled", True) is True


def unsupported(spec: Mapping[str, Any], mesh: Mesh) -> list[Refusal]:
    """The sections of `spec` that `mesh` cannot carry ([] in sidecar mode)."""
    if mesh.mode != AMBIENT:
        return []
    found: list[Refusal] = []
    fault = spec.get("fault")
    if _enabled(fault) and ("abort" in fault or "delay" in fault) and not mesh.alpha_faults:
        found.append(_FAULT)
    if _enabled(spec.get("rateLimit")):
        found.append(_RATE_LIMIT)
    if spec.get("retries") and mesh.channel != EXPERIMENTAL:
        found.append(_RETRIES)
    return found


def refusal_for(action: str, mesh: Mesh) -> Refusal | None:
    """The refusal of a policy command's action (`fault`, `ratelimit`, `timeout` with
    retries is decided on the document) in `mesh`, for `/policies`; None when it applies."""
    if mesh.mode != AMBIENT:
        return None
    if action == "fault" and not mesh.alpha_faults:
        return _FAULT
    if action == "ratelimit":
        return _RATE_LIMIT
    return None
