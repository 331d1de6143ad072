"""Make-before-break: order a service's objects so no request meets a missing backend.

Called by the rollout after a merge with the document before and after it. Istio's
traffic-management best practice: a new subset must exist in the DestinationRule before
a VirtualService routes to it, and a VirtualService must stop routing to a subset before
the DestinationRule drops it. The plan is the list of objects in the order they are
applied; the objects themselves are exactly what `policies.render` gives for `after`,
so what the target holds is a function of main alone, whatever changes led there.

- A change that adds a subset applies the DestinationRule first.
- One that drops a subset applies the VirtualService (which no longer routes to it) first.
- One that adds a subset and drops another has no safe order with two objects: the plan
  applies a DestinationRule with both the old and the new subsets first, then the
  VirtualService, then the DestinationRule as rendered. The last one of a kind and name
  is what stays.
- In an ambient namespace the backends are Services, one per version: they always come
  first, before the HTTPRoute that uses them, and one the route no longer uses is pruned
  after the apply, when the route already stopped using it.

`steps` splits a change of the routing kind — before renders a VirtualService and after
an HTTPRoute, or the other way, as when a namespace switches between sidecar and ambient
mode — into two applies, because one apply cannot be safe: a VirtualService and an
HTTPRoute on one host is undefined in Istio, and the old route must not outlive the
backends it uses.

1. after's objects except its route, with before's backends kept: the DestinationRule
   with the old subsets merged in, and the version Services of both. The old route of
   the mesh host is not in the step, so the target prunes it after the new backends
   exist; until step 2, Kubernetes routes the Service to all its pods. An exposed
   service keeps before's route bound only to its ingress gateway (a VirtualService with
   `gateways: [<gw>]` and the external hosts, or an HTTPRoute with only its Gateway
   parentRef), so ingress traffic keeps its route while nothing routes the mesh host.
2. after, as `plan` orders it; the old backends it leaves out, and the gateway-only
   route, are pruned.

A `before` that cannot be rendered (a fault govbot.yaml no longer allows in its
namespace, say) is planned as no document at all: one step, after's objects, and the
target prunes the stale ones. The old document's problems never block applying the new.

Example:
    >>> from policies.document import new_document, plain
    >>> path = "services/prod/demo/svc-user.yaml"
    >>> after = plain(new_document("prod", "demo", "svc-user"))
    >>> after["spec"]["release"] = {"strategy": "canary", "canaryWeight": 20}
    >>> [o["kind"] for o in plan(None, after, path)]
    ['DestinationRule', 'VirtualService']
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from bot.core.errors import InvalidDocument
from policies.render import RenderContext, render
from policies.render_exposure import Exposure, exposure

_ROUTES = ("VirtualService", "HTTPRoute")
_BACKENDS = ("DestinationRule", "Service")


def plan(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    path: str,
    context: RenderContext | None = None,
    before_context: RenderContext | None = None,
) -> list[dict[str, Any]]:
    """The objects of `after` in apply order; [] when `after` is None (the document was
    deleted). A transitional DestinationRule may come first (see above). `before` is
    rendered with `before_context` (default `context`)."""
    if after is None:
        return []
    objects = render(after, path, context)
    previous = _rendered(before, path, before_context or context)
    old, new = _subsets(previous), _subsets(objects)
    added, dropped = set(new) - set(old), set(old) - set(new)
    services = _of(objects, "Service")
    rest = [obj for obj in objects if obj["kind"] not in (*_ROUTES, *_BACKENDS)]
    rule = _of(objects, "DestinationRule")
    routes = [obj for obj in objects if obj["kind"] in _ROUTES]
    if dropped and not added:
        return services + routes + rule + rest
    if dropped and rule:
        return [*services, _with_subsets(rule[0], [old[name] for name in sorted(dropped)]),
                *routes, *rule, *rest]
    return services + rule + routes + rest


def steps(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    path: str,
    context: RenderContext | None = None,
    before_context: RenderContext | None = None,
) -> list[list[dict[str, Any]]]:
    """The applies that take a service from `before` (rendered with `before_context`,
    default `context`) to `after`: each step is a whole list of the document's objects in
    apply order, and what a step leaves out is deleted after it. One step, `plan`, unless
    the routing kind changes (see above)."""
    final = plan(before, after, path, context, before_context)
    previous = _rendered(before, path, before_context or context)
    old_routes = {obj["kind"] for obj in previous if obj["kind"] in _ROUTES}
    new_routes = {obj["kind"] for obj in final if obj["kind"] in _ROUTES}
    if not old_routes or not new_routes or old_routes == new_routes:
        return [final]
    exposed = exposure(before["spec"]) if before is not None else None
    return [[*_handover(previous, final), *_ingress_only(previous, exposed)], final]


def _ingress_only(previous: list[dict[str, Any]],
                  exposed: Exposure | None) -> list[dict[str, Any]]:
    """Step 1's route of an exposed service: before's, bound only to the ingress gateway,
    so external traffic keeps its route while nothing routes the mesh host."""
    if exposed is None:
        return []
    kept = []
    for obj in copy.deepcopy(previous):
        spec = obj["spec"]
        if obj["kind"] == "VirtualService" and exposed.gateway in (spec.get("gateways") or []):
            spec["gateways"], spec["hosts"] = [exposed.gateway], list(exposed.hosts)
            kept.append(obj)
        elif obj["kind"] == "HTTPRoute":
            gateways = [ref for ref in spec.get("parentRefs") or [] if ref.get("kind") == "Gateway"]
            if gateways:
                spec["parentRefs"] = gateways
                kept.append(obj)
    return kept


def _handover(previous: list[dict[str, Any]], final: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Step 1 of a routing-kind switch: no route of the mesh host; after's other objects;
    before's backends kept (version Services of both, the DestinationRule with every
    subset)."""
    services = {obj["metadata"]["name"]: obj for obj in _of(previous, "Service")}
    services.update({obj["metadata"]["name"]: obj for obj in _of(final, "Service")})
    rules = _of(final, "DestinationRule") or _of(previous, "DestinationRule")
    kept = []
    if rules:
        have = set(_subsets(rules[:1]))
        old = _subsets(previous)
        kept = [_with_subsets(rules[0], [old[name] for name in old if name not in have])]
    rest = [obj for obj in final if obj["kind"] not in (*_ROUTES, *_BACKENDS)]
    return [*services.values(), *kept, *rest]


def _rendered(data: Mapping[str, Any] | None, path: str,
              context: RenderContext | None) -> list[dict[str, Any]]:
    """What `data` renders; [] when there is none or it cannot be rendered (the old
    document may hold what govbot.yaml no longer allows: planning from nothing still
    applies `after` whole, and the target prunes what `after` leaves out)."""
    if data is None:
        return []
    try:
        return render(data, path, context)
    except InvalidDocument:
        return []


def _of(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def _subsets(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        str(subset["name"]): subset
        for obj in objects
        if obj["kind"] == "DestinationRule"
        for subset in obj["spec"].get("subsets") or []
    }


def _with_subsets(rule: dict[str, Any], subsets: list[dict[str, Any]]) -> dict[str, Any]:
    """A copy of `rule` that also keeps the subsets `before` had and `after` dropped."""
    kept = copy.deepcopy(rule)
    if not subsets:
        return kept
    kept["spec"]["subsets"] = [*(kept["spec"].get("subsets") or []), *copy.deepcopy(subsets)]
    return kept
