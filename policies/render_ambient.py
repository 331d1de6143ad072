"""What a service renders in an ambient namespace, and the routing renderers of both modes.

Called by `policies.render` through the renderers `policies.kinds` lists: each routing
renderer here builds the sidecar object (`policies.render_traffic`) or the ambient one, by
the namespace's mode (`Target.mesh`). In ambient mode (ztunnel + waypoints, Istio 1.30):

- routing is a Gateway API HTTPRoute attached to the Service (`policies.render_gateway`);
- each version the route sends traffic to is a Service `<svc>-<version>` selecting the
  service's `selector` plus `version: <v>`, on the document's port, forwarding to its
  `targetPort` (default: the port). They are labelled
  like every object govbot renders, so the apply target prunes one the route no longer
  uses, after the route stopped using it;
- a DestinationRule only for an enabled circuit breaker, its `trafficPolicy` without
  subsets (waypoints ignore subsets);
- no VirtualService, except the alpha fault path (`ambient: {faultInjection: alpha}` in
  govbot.yaml): a VirtualService holding only the fault, routed to the host without
  subsets, for a service that renders no HTTPRoute. A VirtualService and an HTTPRoute on
  one host is undefined in Istio, so a document that would render both is refused with
  `[mesh.mixed_routes]`;
- what the mode cannot carry (`policies.mesh.unsupported`: rate limits, faults without
  the alpha path, retries without the experimental channel) is refused with
  `[mesh.unsupported]`, never rendered into an object the data plane ignores (waypoints
  ignore EnvoyFilters). A `retryOn` condition an HTTPRoute cannot state is refused too.

The whitelist and autoscaling render as in sidecar mode (`policies.render_security`,
`policies.render_scale`): ztunnel enforces an AuthorizationPolicy with a `selector` and
only L4 attributes (`source.principals`); `targetRefs` to the waypoint is needed only for
L7 conditions, which the whitelist does not have. (Traffic a waypoint forwards reaches
ztunnel with the waypoint's identity, so a whitelisted service behind a waypoint lists the
waypoint among its callers; docs/rendering-ambient.md.)

Example:
    >>> from policies.mesh import AMBIENT, Mesh
    >>> refusals({"rateLimit": {"requests": 5, "per": "1s"}}, Mesh(AMBIENT))[0][:40]
    '[mesh.unsupported] spec.rateLimit: local'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies import mesh as meshes
from policies.render_exposure import exposure
from policies.render_gateway import backend_versions, http_route, retry_codes, version_service
from policies.render_traffic import (
    WEIGHTS_OWNER,
    destination_rule_for,
    fault_active,
    fault_injection,
    traffic_policy,
    versions,
    virtual_service_for,
)
from policies.rendering import Renderer, Target, enabled, nothing

_SERVICE_NAME = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")
MIXED_ROUTES = (
    "[mesh.mixed_routes] spec.fault: the alpha fault path renders a VirtualService and the "
    "service's routing (release, routes, timeout, retries or exposure) an HTTPRoute on the "
    "same host, which is undefined in Istio; turn the fault off (/fault <svc> off) before "
    "routing the service, or test the fault in a sidecar namespace")


def refusals(spec: Mapping[str, Any], mesh: meshes.Mesh) -> list[str]:
    """Why `mesh` cannot carry `spec`, each starting with its rule id; [] when it can."""
    found = [f"[mesh.unsupported] {refusal.text()}" for refusal in meshes.unsupported(spec, mesh)]
    retries = spec.get("retries")
    if mesh.mode == meshes.AMBIENT and retries and not found:
        _, unknown = retry_codes(str(retries.get("retryOn", "")))
        if unknown:
            found.append(
                f"[mesh.unsupported] spec.retries.retryOn: {', '.join(unknown)} has no "
                "Gateway API equivalent (an HTTPRoute retries on status codes, and Istio adds "
                "connect-failure, refused-stream, unavailable and cancelled); use codes, 5xx, "
                "gateway-error or retriable-4xx, e.g. retryOn: 5xx")
    return found


def version_name_problems(target: Target) -> list[str]:
    """Versions whose Service name `<svc>-<version>` the API server would refuse (a
    DNS-1035 label: lowercase letters, digits and '-', at most 63 characters); [] outside
    ambient mode or when every name is valid."""
    if target.mesh.mode != meshes.AMBIENT or http_route_for(target) is None:
        return []
    found = []
    for key, version in target.spec["versions"].items():
        name = version_service(target.service, str(version))
        if str(version) in backend_versions(target.spec, target.manager) and \
                not (len(name) <= 63 and _SERVICE_NAME.fullmatch(name)):
            found.append(
                f"spec.versions.{key}: {version!r} cannot name the version's Service "
                f"{name!r} in an ambient namespace (a Service name is lowercase letters, "
                "digits and '-', at most 63 characters); use a version label like v1-2")
    return found


def http_route_for(target: Target) -> dict[str, Any] | None:
    """The HTTPRoute when the service routes or is exposed; never under Flagger."""
    exposed = exposure(target.spec)
    if target.manager == "flagger" or not (_routes(target) or exposed):
        return None
    obj = http_route(target, exposed)
    if target.manager == "argo-rollouts":
        obj["metadata"]["annotations"][WEIGHTS_OWNER] = target.manager
    return obj


def destination_rule_ambient(target: Target) -> dict[str, Any] | None:
    """The circuit breaker's DestinationRule, without subsets; else None."""
    breaker = target.spec.get("circuitBreaker")
    if target.manager == "flagger" or not enabled(breaker):
        return None
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": target.meta(),
        "spec": {"host": target.host, "trafficPolicy": traffic_policy(breaker)},
    }


def fault_virtual_service(target: Target) -> dict[str, Any] | None:
    """The alpha fault path's VirtualService: only the fault, to the host without subsets.
    None without an active fault or the alpha opt-in (refused before), or when the
    service renders an HTTPRoute (`[mesh.mixed_routes]`, refused after)."""
    fault = target.spec.get("fault")
    if not (target.mesh.alpha_faults and isinstance(fault, Mapping)
            and fault_active(fault, target.context.now)):
        return None
    if target.manager == "flagger" or http_route_for(target) is not None:
        return None
    route = {"name": "default", "route": [{"destination": {"host": target.host}}],
             "fault": fault_injection(fault)}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": target.meta(),
        "spec": {"hosts": [target.host], "http": [route]},
    }


def mixed_routes(target: Target) -> list[str]:
    """`[mesh.mixed_routes]` when the alpha fault path and an HTTPRoute would both select
    the service's host; [] otherwise."""
    fault = target.spec.get("fault")
    if target.mesh.mode != meshes.AMBIENT or not target.mesh.alpha_faults:
        return []
    if isinstance(fault, Mapping) and fault_active(fault, target.context.now) \
            and http_route_for(target) is not None:
        return [MIXED_ROUTES]
    return []


def version_service_object(target: Target, version: str) -> dict[str, Any]:
    """The Service of one version: the service's pods of that `version` label."""
    name = version_service(target.service, version)
    port = target.spec["port"]
    pods = target.spec.get("targetPort", port)  # the pods often listen on another port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": target.meta(name),
        "spec": {
            "selector": {**target.spec["selector"], "version": version},
            "ports": [{"name": "http", "port": port, "targetPort": pods, "protocol": "TCP"}],
        },
    }


def _routes(target: Target) -> bool:
    """Whether the document holds anything an HTTPRoute carries: the alpha path's fault
    alone is not routing."""
    spec = target.spec
    if target.manager == "argo-rollouts":
        return True
    return bool(spec.get("release") or spec.get("routes") or "timeout" in spec
                or spec.get("retries"))


def _version_service_for(slot: int) -> Renderer:
    """The renderer of the Service of the `slot`-th version (0 stable, 1 canary)."""
    def build(target: Target) -> dict[str, Any] | None:
        route = http_route_for(target)
        names = versions(target.spec)
        if route is None or slot >= len(names):
            return None
        if names[slot] not in backend_versions(target.spec, target.manager):
            return None
        return version_service_object(target, names[slot])
    return Renderer("versions", nothing, build)


STABLE_SERVICE = _version_service_for(0)
CANARY_SERVICE = _version_service_for(1)
DESTINATION_RULE = Renderer("versions", destination_rule_for, destination_rule_ambient)
HTTP_ROUTE = Renderer("release", nothing, http_route_for)
VIRTUAL_SERVICE = Renderer("release", virtual_service_for, fault_virtual_service)
__all__ = ["CANARY_SERVICE", "DESTINATION_RULE", "HTTP_ROUTE", "STABLE_SERVICE",
           "VIRTUAL_SERVICE", "mixed_routes", "refusals", "version_name_problems"]
