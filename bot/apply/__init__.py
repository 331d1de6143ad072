"""The apply target port: where rendered manifests go after a merge, and what is live.

Adapters: `DirectoryTarget` (one YAML file per object under `rendered/<env>/<namespace>/`,
for Argo CD or Flux to sync). A Kubernetes adapter (server-side apply) plugs in here.

`Live` is the read side: what the cluster of an environment runs now, for `/drift`, for
the controllers that own a service's traffic (Flagger, Argo Rollouts) and for onboarding a
service from its Kubernetes `Service` and `Deployment`s. `KubeLive` reads a cluster;
`NoLive` serves the directory target, which has no cluster to read.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from bot.core.errors import ConfigError

if TYPE_CHECKING:  # the kubernetes client is imported only when a cluster is used
    from bot.apply.kube import Clusters


@dataclass(frozen=True)
class Applied:
    """What one `apply` call changed: written and deleted object names (`Kind/name`)."""

    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


class ApplyTarget(Protocol):
    """Makes the objects rendered from one policy document the live state."""

    name: str

    def apply(self, env: str, namespace: str, source: str,
              objects: Sequence[dict[str, Any]]) -> Applied:
        """Apply `objects` in order; delete what `source` rendered before but no longer does."""
        ...

    def intact(self) -> bool:
        """False when what was applied is gone (then everything is applied again)."""
        ...

    def sources(self) -> list[str]:
        """The policy documents whose objects the target holds."""
        ...


@dataclass(frozen=True)
class Workload:
    """A service as the cluster runs it: its `Service`'s first port (None: it has none),
    the `version` labels of the pods of the Deployments it selects (sorted, v2 before
    v10) and their service accounts (sorted; `default` where a pod names none)."""

    port: int | None
    versions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()


class Live(Protocol):
    """Read-only: what the cluster of an environment runs now."""

    reads_cluster: bool  # False: there is no cluster to read, and every answer is empty

    def objects(self, env: str, namespace: str, source_label: str | None) -> list[dict[str, Any]]:
        """The live objects govbot labelled with `govbot.dev/source: <source_label>`, of
        every kind govbot renders (all of govbot's objects of the namespace with None)."""
        ...

    def owner(self, env: str, namespace: str, service: str) -> str | None:
        """`flagger` when a Flagger Canary targets the service, `argo-rollouts` when an
        Argo Rollout steers it, else None."""
        ...

    def workload(self, env: str, namespace: str, service: str) -> Workload | None:
        """The service's port, versions and accounts; None when it has no `Service`."""
        ...


class NoLive:
    """No cluster to read (the directory target): nothing is live, nobody owns anything,
    so commands behave as without live reads."""

    reads_cluster = False

    def objects(self, env: str, namespace: str, source_label: str | None) -> list[dict[str, Any]]:
        return []

    def owner(self, env: str, namespace: str, service: str) -> str | None:
        return None

    def workload(self, env: str, namespace: str, service: str) -> Workload | None:
        return None


def build(kind: str, rendered_dir: Path) -> ApplyTarget:
    from bot.apply.directory import DirectoryTarget

    match kind:
        case "directory":
            return DirectoryTarget(rendered_dir)
    raise ConfigError(f"unknown apply target {kind!r}")


def build_live(kind: str, clusters: Clusters | None = None,
               environments: Callable[[], Mapping[str, Any]] | None = None) -> Live:
    """The live reads that go with the apply target `kind`: for `kubernetes`, over the
    target's `clusters`, with `environments` giving main's govbot.yaml `environments`,
    read before each question so that a cluster mapping merged to main counts at once."""
    match kind:
        case "directory":
            return NoLive()
        case "kubernetes":
            from bot.apply.kube.live import KubeLive

            if clusters is None or environments is None:
                raise ConfigError("reading the cluster needs its clusters and govbot.yaml")
            return KubeLive(clusters, environments)
    raise ConfigError(f"unknown apply target {kind!r}")
