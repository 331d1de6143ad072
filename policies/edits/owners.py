"""Which commands a service's controller leaves to govbot (`spec.managedBy`).

Flagger generates and rewrites the whole VirtualService and the DestinationRules of the
services it manages, so traffic settings belong in its `Canary` resource. Argo Rollouts
rewrites only the route weights, so govbot keeps routes, timeouts and faults there.

Example:
    >>> refusal("flagger", "route", "svc-user") is not None
    True
    >>> refusal("argo-rollouts", "route", "svc-user") is None
    True
"""

from __future__ import annotations

# Actions each controller owns; every other action stays govbot's.
OWNED: dict[str, frozenset[str]] = {
    "flagger": frozenset({"canary", "bluegreen", "route", "fault", "timeout", "circuitbreak"}),
    "argo-rollouts": frozenset({"canary", "bluegreen"}),
}


def refusal(owner: object, action: str, service: str) -> str | None:
    """Why `/<action>` may not change `service` managed by `owner`, or None when it may."""
    if not isinstance(owner, str) or action not in OWNED.get(owner, frozenset()):
        return None
    if owner == "flagger":
        return (
            f"{service} is managed by Flagger (spec.managedBy: flagger): Flagger generates and "
            "rewrites its VirtualService and DestinationRules, so it owns canary weights, "
            "blue-green, routes, faults, timeouts and circuit breaking. Edit the Flagger "
            f"Canary resource of {service} instead: spec.service (timeout, retries, "
            "trafficPolicy, match) and spec.analysis (stepWeight, maxWeight, iterations, match)"
        )
    return (
        f"{service} is managed by Argo Rollouts (spec.managedBy: argo-rollouts): its Rollout's "
        "canary.steps (setWeight) own the traffic weights and rewrite "
        "spec.http[].route[].weight, so /canary and /bluegreen do not apply. Move the release "
        f"with the Rollout instead: `kubectl argo rollouts promote {service}` to go on, "
        f"`kubectl argo rollouts abort {service}` to go back. Routes, timeouts and faults stay "
        "govbot's"
    )
