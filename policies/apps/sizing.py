"""What a store app asks of its namespace: the sum of its requests, for the quota guardrail.

`app_requests` reads a valid AppDeployment and its catalog entry (any mode: a GitOps
chart's pods are sized by the same parameters), `rendered_requests` the workloads govbot
rendered; for a manifests-mode app the two agree. Per pod it counts the containers'
requests; the app counts replicas × pod, plus replicas × each volume claim's size.

Example:
    >>> a = Requests(cpu=quantity.parse("250m"), memory=quantity.parse("512Mi"))
    >>> (a + a).describe()
    'cpu 500m, memory 1Gi, storage 0'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from policies.apps import deployment, quantity
from policies.apps.catalog import CatalogEntry


@dataclass(frozen=True)
class Requests:
    """CPU in cores, memory and storage in bytes, exact."""

    cpu: Fraction = Fraction(0)
    memory: Fraction = Fraction(0)
    storage: Fraction = Fraction(0)

    def __add__(self, other: Requests) -> Requests:
        return Requests(self.cpu + other.cpu, self.memory + other.memory,
                        self.storage + other.storage)

    def times(self, count: int) -> Requests:
        return Requests(self.cpu * count, self.memory * count, self.storage * count)

    def describe(self) -> str:
        return (f"cpu {quantity.cpu(self.cpu)}, memory {quantity.size(self.memory)}, "
                f"storage {quantity.size(self.storage)}")

    def as_text(self) -> dict[str, str]:
        """The quantities as Kubernetes writes them, for the guard's input."""
        return {"cpu": quantity.cpu(self.cpu), "memory": quantity.size(self.memory),
                "storage": quantity.size(self.storage)}


def app_requests(entry: CatalogEntry, data: Mapping[str, Any]) -> Requests:
    """The requests of a valid AppDeployment: replicas × (pod requests + volume size)."""
    values = deployment.resolve(entry, data)

    def placed(place: str, fixed: Any) -> Any:
        parameter = entry.parameter_for(place)
        return fixed if parameter is None else values[parameter.name]

    requests: Mapping[str, Any] = (entry.spec.get("resources") or {}).get("requests", {})
    cpu = placed("requests.cpu", requests.get("cpu", 0))
    memory = placed("requests.memory", requests.get("memory", 0))
    storage = placed("storage", 0) if entry.spec.get("storage") is not None else 0
    pod = Requests(quantity.parse(cpu), quantity.parse(memory), quantity.parse(storage))
    return pod.times(int(placed("replicas", 1)))


def rendered_requests(objects: Iterable[Mapping[str, Any]]) -> Requests:
    """The requests of rendered workloads (StatefulSet, Deployment); other kinds add none."""
    total = Requests()
    for obj in objects:
        if obj.get("kind") not in ("StatefulSet", "Deployment"):
            continue
        spec = obj["spec"]
        pod = Requests()
        for container in spec["template"]["spec"]["containers"]:
            asked = container.get("resources", {}).get("requests", {})
            pod += Requests(quantity.parse(asked.get("cpu", 0)),
                            quantity.parse(asked.get("memory", 0)))
        for claim in spec.get("volumeClaimTemplates", []):
            size = claim["spec"]["resources"]["requests"]["storage"]
            pod += Requests(storage=quantity.parse(size))
        total += pod.times(int(spec.get("replicas", 1)))
    return total
