"""The apply target port: where rendered manifests go after a merge.

Adapters: `DirectoryTarget` (one YAML file per object under `rendered/<env>/<namespace>/`,
for Argo CD or Flux to sync). A Kubernetes adapter (server-side apply) plugs in here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from bot.core.errors import ConfigError


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


def build(kind: str, rendered_dir: Path) -> ApplyTarget:
    from bot.apply.directory import DirectoryTarget

    match kind:
        case "directory":
            return DirectoryTarget(rendered_dir)
    raise ConfigError(f"unknown apply target {kind!r}")
