"""What every object builder gets and gives: the render context, the target service, the
metadata every object carries, and `Renderer`, one object kind's builder.

`policies.render` builds a `Target` per document and runs the renderers the policy kinds
name (`policies.kinds`); each renderer returns its object, or None when the document
does not ask for it.

Example:
    >>> t = Target({"versions": {"stable": "v1"}}, "svc-user", "demo",
    ...            "services/prod/demo/svc-user.yaml", RenderContext())
    >>> t.host, t.meta()["labels"][SOURCE]
    ('svc-user.demo.svc.cluster.local', 'prod.demo.svc-user')
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeGuard

from policies import units
from policies.mesh import AMBIENT, Mesh

MANAGED_BY = "app.kubernetes.io/managed-by"
SOURCE = "govbot.dev/source"
_SERVICE_PATH = re.compile(r"^services/([^/]+)/([^/]+)/([^/]+)\.yaml$")


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs beyond the document: the cluster's names and the clock.

    `service_accounts` maps a caller `<ns>/<svc>` to its service account when that is
    not the service's name; `now` decides whether a time-boxed fault has expired.
    `meshes` maps `(env, namespace)` to the namespace's data plane (absent: sidecars,
    `policies.mesh`), from govbot.yaml.
    """

    cluster_domain: str = "cluster.local"
    trust_domain: str = "cluster.local"
    service_accounts: Mapping[str, str] = field(default_factory=dict)
    now: datetime | None = None
    meshes: Mapping[tuple[str, str], Mesh] = field(default_factory=dict)

    def mesh(self, env: str, namespace: str) -> Mesh:
        """The data plane of `env`/`namespace`: sidecars unless govbot.yaml says ambient."""
        return self.meshes.get((env, namespace), Mesh())


@dataclass(frozen=True)
class Target:
    """One service document being rendered: its spec, names and the context."""

    spec: Mapping[str, Any]
    service: str
    namespace: str
    path: str
    context: RenderContext

    @property
    def host(self) -> str:
        return f"{self.service}.{self.namespace}.svc.{self.context.cluster_domain}"

    @property
    def env(self) -> str:
        found = _SERVICE_PATH.match(self.path)
        return found.group(1) if found else ""

    @property
    def mesh(self) -> Mesh:
        """The data plane of the service's namespace (`policies.mesh`)."""
        return self.context.mesh(self.env, self.namespace)

    @property
    def manager(self) -> str:
        """Who steers the service's traffic objects: govbot, flagger or argo-rollouts."""
        return str(self.spec.get("managedBy", "govbot"))

    def meta(self, name: str | None = None) -> dict[str, Any]:
        """The metadata of an object named `name` (default: the service's name)."""
        return {
            "name": name or self.service,
            "namespace": self.namespace,
            "labels": {MANAGED_BY: "govbot", SOURCE: source_label(self.path)},
            "annotations": {SOURCE: self.path},
        }


@dataclass(frozen=True)
class Renderer:
    """The builder of one object kind; `section` names the spec field an error is about.

    `ambient` builds it in an ambient namespace instead (`nothing`: the kind is never
    rendered there); without it `build` serves both modes."""

    section: str
    build: Callable[[Target], dict[str, Any] | None]
    ambient: Callable[[Target], dict[str, Any] | None] | None = None

    def build_for(self, target: Target) -> dict[str, Any] | None:
        """The object for `target`, by the data plane of its namespace."""
        if self.ambient is not None and target.mesh.mode == AMBIENT:
            return self.ambient(target)
        return self.build(target)


def nothing(target: Target) -> None:
    """The builder of a kind a mode never renders."""
    return None


def enabled(section: Any) -> TypeGuard[Mapping[str, Any]]:
    """A section that is present and not turned off (`enabled: false`)."""
    return isinstance(section, Mapping) and section.get("enabled", True) is True


def source_label(path: str) -> str:
    """The `govbot.dev/source` label value of a document path: `<env>.<namespace>.<svc>`,
    cut to 63 characters with a hash of the path when longer."""
    found = _SERVICE_PATH.match(path)
    value = ".".join(found.groups()) if found else re.sub(r"[^A-Za-z0-9_.-]", ".", path)
    if len(value) <= 63 and units.is_label_value(value):
        return value
    digest = hashlib.sha256(path.encode()).hexdigest()[:10]
    return f"{value[: 63 - len(digest) - 1].strip('-._')}-{digest}".lstrip("-")
