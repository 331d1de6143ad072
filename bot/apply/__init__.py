"""The apply target port: where rendered manifests go after a merge.

Adapters: `DirectoryTarget` (one YAML file per object under `rendered/<env>/<namespace>/`,
for Argo CD or Flux to sync) and `KubernetesTarget` (server-side apply to each
environment's cluster, `bot.apply.kube`).

Failures have two kinds, as the rollout treats them: any exception is temporary (nothing
is marked applied; the next sync tries again), except `Rejected`, which says the target
refused the objects for good (reported once; the rollout moves on).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.core.errors import ConfigError, GovbotError


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

    def intact(self) -> bool:
        """False when what was applied is gone (then everything is applied again)."""
        ...

    def sources(self) -> list[str]:
        """The policy documents whose objects the target holds."""
        ...


def build(settings: ApplySettings) -> ApplyTarget:
    match settings.kind:
        case "directory":
            from bot.apply.directory import DirectoryTarget

            return DirectoryTarget(settings.rendered_dir)
        case "kubernetes":
            from bot.apply.kube import Clusters
            from bot.apply.kube.target import KubernetesTarget, Retry

            return KubernetesTarget(Clusters(settings.kubeconfig),
                                    Retry(first=settings.backoff_seconds))
    raise ConfigError(f"unknown apply target {settings.kind!r}")
