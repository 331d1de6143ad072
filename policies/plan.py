"""Make-before-break: order a service's objects so no request meets a missing subset.

Called by the rollout after a merge with the document before and after it. Istio's
traffic-management best practice: a new subset must exist in
the DestinationRule before a VirtualService routes to it, and a VirtualService must stop
routing to a subset before the DestinationRule drops it. Applying both at once is not
enough, so the objects carry Argo CD's `argocd.argoproj.io/sync-wave` (lower waves are
applied, and become healthy, first) and come back sorted by wave.

When a change adds one subset and drops another at once, no order is safe; the
DestinationRule then keeps the dropped subsets too (wave -1) and the next change of the
service removes them, once nothing routes to them. The same holds when the
VirtualService itself goes away (its document stops routing) while the DestinationRule
stays for a circuit breaker: the VirtualService is pruned after the apply, so the
dropped subsets stay until the next change. A VirtualService and DestinationRule that
appear together are a case of added subsets: the DestinationRule comes first.

Example:
    >>> from policies.document import new_document, plain
    >>> path = "services/prod/demo/svc-user.yaml"
    >>> after = plain(new_document("prod", "demo", "svc-user"))
    >>> after["spec"]["release"] = {"strategy": "canary", "canaryWeight": 20}
    >>> objects = plan(None, after, path)
    >>> [(o["kind"], o["metadata"]["annotations"][SYNC_WAVE]) for o in objects]
    [('DestinationRule', '-1'), ('VirtualService', '0')]
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from policies.render import RenderContext, render

SYNC_WAVE = "argocd.argoproj.io/sync-wave"


def plan(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    path: str,
    context: RenderContext | None = None,
) -> list[dict[str, Any]]:
    """The objects of `after` in apply order, each with its sync wave; [] when `after`
    is None (the document was deleted)."""
    if after is None:
        return []
    objects = copy.deepcopy(render(after, path, context))
    previous = render(before, path, context) if before is not None else []
    old, new = _subsets(previous), _subsets(objects)
    added, dropped = set(new) - set(old), set(old) - set(new)
    waves = {"DestinationRule": "0", "VirtualService": "0"}
    # A VirtualService that goes away is deleted after the apply, so until then it may
    # still route to a subset this change drops: keep that subset one change longer.
    vs_gone = _has_vs(previous) and not _has_vs(objects)
    if added or vs_gone:
        waves["DestinationRule"] = "-1" if added else "0"
        _keep_subsets(objects, [old[name] for name in sorted(dropped)])
    elif dropped:
        waves["VirtualService"] = "-1"
    for obj in objects:
        annotations = obj["metadata"].setdefault("annotations", {})
        annotations[SYNC_WAVE] = waves.get(obj["kind"], "0")
    return sorted(objects, key=lambda obj: int(obj["metadata"]["annotations"][SYNC_WAVE]))


def _has_vs(objects: list[dict[str, Any]]) -> bool:
    return any(obj["kind"] == "VirtualService" for obj in objects)


def _subsets(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        str(subset["name"]): subset
        for obj in objects
        if obj["kind"] == "DestinationRule"
        for subset in obj["spec"].get("subsets") or []
    }


def _keep_subsets(objects: list[dict[str, Any]], subsets: list[dict[str, Any]]) -> None:
    """Add subsets that `before` had and `after` dropped back to the DestinationRule."""
    for obj in objects:
        if obj["kind"] == "DestinationRule" and subsets:
            obj["spec"]["subsets"] += copy.deepcopy(subsets)
