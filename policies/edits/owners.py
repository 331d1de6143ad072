"""Why a service's controller (`spec.managedBy`) keeps govbot from a policy kind.

Which kinds each controller owns is written on the kinds (`PolicyKind.owned_by` in
`policies.kinds`); this module says why, in the words the person reads.

Flagger generates and rewrites the whole VirtualService and the DestinationRules of the
services it manages, so traffic settings belong in its `Canary` resource. Argo Rollouts
rewrites only the route weights, so govbot keeps routes, timeouts and faults there.

The controller is known from the document (`spec.managedBy`) or, with an apply target
that reads the cluster, from a Flagger `Canary` or an Argo `Rollout` found there (`live`);
then the refusal also says to record it in the document.

Example:
    >>> refusal("flagger", frozenset({"flagger"}), "svc-user") is not None
    True
    >>> live = refusal("flagger", frozenset({"flagger"}), "svc-user", live=True)
    >>> "a Flagger Canary in the cluster targets it" in live
    True
    >>> refusal("argo-rollouts", frozenset({"flagger"}), "svc-user") is None
    True
"""

from __future__ import annotations

FLAGGER = "flagger"
ARGO_ROLLOUTS = "argo-rollouts"


def refusal(owner: object, owned_by: frozenset[str], service: str,
            live: bool = False) -> str | None:
    """Why a kind that the controllers `owned_by` own may not change `service` managed by
    `owner`, or None when it may. `live`: the cluster, not the document, says so."""
    if not isinstance(owner, str) or owner not in owned_by:
        return None
    if owner == FLAGGER:
        seen = ("a Flagger Canary in the cluster targets it" if live
                else "spec.managedBy: flagger")
        return (
            f"{service} is managed by Flagger ({seen}): Flagger generates and "
            "rewrites its VirtualService and DestinationRules, so it owns canary weights, "
            "blue-green, routes, faults, timeouts and circuit breaking. Edit the Flagger "
            f"Canary resource of {service} instead: spec.service (timeout, retries, "
            "trafficPolicy, match) and spec.analysis (stepWeight, maxWeight, iterations, match)"
            + (_RECORD.format(owner=owner) if live else "")
        )
    seen = ("an Argo Rollout in the cluster steers it" if live
            else "spec.managedBy: argo-rollouts")
    return (
        f"{service} is managed by Argo Rollouts ({seen}): its Rollout's "
        "canary.steps (setWeight) own the traffic weights and rewrite "
        "spec.http[].route[].weight, so /canary and /bluegreen do not apply. Move the release "
        "with the Rollout that steers it instead: `kubectl argo rollouts promote <rollout>` to "
        "go on, `kubectl argo rollouts abort <rollout>` to go back. Routes, timeouts and faults "
        "stay "
        "govbot's" + (_RECORD.format(owner=owner) if live else "")
    )


_RECORD = (". Record it in the service's policy document too (spec.managedBy: {owner}), so "
           "govbot renders only what stays its own")
