"""Autoscaling of one service as a HorizontalPodAutoscaler (autoscaling/v2).

Called by `policies.render` when `autoscale` is enabled. The target is the Deployment
named like the service; `cpuPercent` becomes an average CPU utilization target (without
it Kubernetes' default of 80 % applies).

Example:
    >>> hpa = horizontal_pod_autoscaler("svc-user", {"min": 2, "max": 10}, {"name": "x"})
    >>> hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]
    (2, 10)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies.rendering import Renderer, Target, enabled


def horizontal_pod_autoscaler(
    service: str, scale: Mapping[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": service},
        "minReplicas": scale["min"],
        "maxReplicas": scale["max"],
    }
    if "cpuPercent" in scale:
        target = {"type": "Utilization", "averageUtilization": scale["cpuPercent"]}
        body["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": meta,
        "spec": body,
    }


def autoscaler_for(target: Target) -> dict[str, Any] | None:
    """The HorizontalPodAutoscaler of enabled autoscaling, else None."""
    scale = target.spec.get("autoscale")
    if not enabled(scale):
        return None
    return horizontal_pod_autoscaler(target.service, scale, target.meta())


AUTOSCALER = Renderer("autoscale", autoscaler_for)
