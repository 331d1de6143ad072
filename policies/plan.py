"""Make-before-break: order a service's objects so no request meets a missing subset.

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

from policies.render import RenderContext, render

_ROUTING = ("DestinationRule", "VirtualService")


def plan(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    path: str,
    context: RenderContext | None = None,
) -> list[dict[str, Any]]:
    """The objects of `after` in apply order; [] when `after` is None (the document was
    deleted). A transitional DestinationRule may come first (see above)."""
    if after is None:
        return []
    objects = render(after, path, context)
    previous = render(before, path, context) if before is not None else []
    old, new = _subsets(previous), _subsets(objects)
    added, dropped = set(new) - set(old), set(old) - set(new)
    rest = [obj for obj in objects if obj["kind"] not in _ROUTING]
    rule = [obj for obj in objects if obj["kind"] == "DestinationRule"]
    service = [obj for obj in objects if obj["kind"] == "VirtualService"]
    if dropped and not added:
        return service + rule + rest
    if dropped and rule:
        return [_with_subsets(rule[0], [old[name] for name in sorted(dropped)]),
                *service, *rule, *rest]
    return rule + service + rest


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
    the routing kind changes (a namespace switching between sidecar and ambient mode)."""
    return [plan(before, after, path, context)]


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
    kept["spec"]["subsets"] = [*kept["spec"]["subsets"], *copy.deepcopy(subsets)]
    return kept
