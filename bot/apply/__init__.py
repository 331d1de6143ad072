"""The apply target port: where rendered manifests go after a merge.

Adapters: `DirectoryTarget` (one YAML file per object under `rendered/<env>/<namespace>/`,
for Argo CD or Flux to sync) and `KubernetesTarget` (server-side apply to each
environment's cluster, `bot.apply.kube`).

Failures have two kinds, as the rollout treats them: any exception is temporary (nothing
is marked applied; the next sync tries again), except `Rejected`, which says the target
refused the objects for good (reported once; the rollout moves on).

`Live` is the read side: what the cluster of an environment runs now, for `/drift`, for
the controllers that own a service's traffic (Flagger, Argo Rollouts) and for onboarding a
service from its Kubernetes `Service` and `Deployment`s. `KubeLive` (`bot.apply.kube.live`)
reads a cluster; `NoLive` goes with the directory target, which has no cluster to read.

`build_events` gives the Kubernetes target's governance-event source (`KubeEvents`,
`bot.apply.kube.events`): what the clusters say about govbot's objects (autoscaler
decisions, objects they could not take).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.core.errors import ConfigError, GovbotError
from bot.core.events import GovernanceEvent


@dataclass(frozen=True)
class Applied:
    """What one `apply` call changed: written and deleted object names (`Kind/name`)."""

    written: tuple[str, ...] = ()
    deleted: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()


class Rejected(GovbotError):
    """The target refused a document's objects for a reason that trying again cannot fix
    (an admission webhook, a schema, RBAC, a field another manager owns). Nothing of the
    document was applied. `problems`: one line each, `Kind/name in <where>: <why>`."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("; ".join(self.problems))


@dataclass(frozen=True)
class ApplySettings:
    """GOVBOT_APPLY and what its target needs."""

    kind: str = "directory"
    rendered_dir: Path = Path("rendered")
    kubeconfig: str = ""            # GOVBOT_KUBECONFIG; "" = $KUBECONFIG or ~/.kube/config
    backoff_seconds: float = 0.5    # the first retry's wait after a temporary failure


class ApplyTarget(Protocol):
    """Makes the objects rendered from one policy document the live state."""

    name: str

    def prepare(self, environments: Mapping[str, Any]) -> None:
        """Take main's govbot.yaml `environments` before applying (where each one's objects
        go); ConfigError when they cannot be served."""
        ...

    def apply(self, env: str, namespace: str, source: str,
              objects: Sequence[dict[str, Any]], force: bool = False) -> Applied:
        """Apply `objects` in order; delete what `source` rendered before but no longer does.
        `force`: take fields another manager holds (an approved `/sync`). Raises Rejected
        when the target refuses them for good, anything else when it failed for now."""
        ...

    def purge(self, env: str, namespace: str, selector: Mapping[str, str],
              source: str) -> tuple[str, ...]:
        """Delete the PersistentVolumeClaims with these labels (an app removed with
        `purge`); the names of those deleted. A target that holds no volumes does nothing."""
        ...

    def intact(self) -> bool:
        """False when what was applied is gone (then everything is applied again)."""
        ...

    def generate_secret(self, env: str, namespace: str, name: str, keys: Sequence[str],
                        source: str) -> bool:
        """Create the Secret `name` with a random value per key where it does not exist
        (a store app's `secret: {generate: true}`); never overwrite one that does. True
        when it was created now. The values go to the cluster only: never to a log, the
        repository or the store. A target that holds no secrets does nothing (the team
        creates the Secret)."""
        ...

    def sources(self) -> list[str]:
        """The policy documents whose objects the target holds."""
        ...


@dataclass(frozen=True)
class Workload:
    """A service as the cluster runs it: its `Service`'s first port (None: it has none)
    and that port's `targetPort` (a number or a container port's name), the `version`
    labels of the pods of the Deployments it selects (sorted, v2 before
    v10), their service accounts (sorted; `default` where a pod names none) and their
    replicas added up."""

    port: int | None
    versions: tuple[str, ...] = ()
    accounts: tuple[str, ...] = ()
    replicas: int | None = None  # the pods its Deployments ask for (None: none found)
    target_port: int | str | None = None  # where the pods listen (None: as `port`)


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


def build(settings: ApplySettings) -> ApplyTarget:
    """The target of GOVBOT_APPLY, its applies timed and failures counted (`MeasuredTarget`)."""
    from bot.apply.measured import MeasuredTarget

    match settings.kind:
        case "directory":
            from bot.apply.directory import DirectoryTarget

            return MeasuredTarget(DirectoryTarget(settings.rendered_dir))
        case "kubernetes":
            from bot.apply.kube import Clusters
            from bot.apply.kube.target import KubernetesTarget, Retry

            return MeasuredTarget(KubernetesTarget(Clusters(settings.kubeconfig),
                                                   Retry(first=settings.backoff_seconds)))
    raise ConfigError(f"unknown apply target {settings.kind!r}")


def build_live(settings: ApplySettings,
               environments: Callable[[], Mapping[str, Any]]) -> Live:
    """The live reads that go with the apply target: for `kubernetes`, clients of the same
    clusters (kept apart from the target's), with `environments` giving main's govbot.yaml
    `environments`, read before each question so that a mapping merged to main counts."""
    match settings.kind:
        case "directory":
            return NoLive()
        case "kubernetes":
            from bot.apply.kube import Clusters
            from bot.apply.kube.live import KubeLive

            return KubeLive(Clusters(settings.kubeconfig), environments)
    raise ConfigError(f"unknown apply target {settings.kind!r}")


class EventSource(Protocol):
    """Governance events read since the last poll."""

    def poll(self) -> list[GovernanceEvent]: ...


def build_events(settings: ApplySettings,
                 environments: Callable[[], Mapping[str, Any]]) -> EventSource | None:
    """The events of the apply target's clusters; None for the directory target, which
    has none to read. `environments` gives main's govbot.yaml `environments`, read at
    each poll."""
    match settings.kind:
        case "directory":
            return None
        case "kubernetes":
            from bot.apply.kube import Clusters
            from bot.apply.kube.events import KubeEvents

            return KubeEvents(Clusters(settings.kubeconfig), environments)
    raise ConfigError(f"unknown apply target {settings.kind!r}")
