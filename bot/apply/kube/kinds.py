"""The object kinds govbot applies, and the resource (URL) of any object's kind.

`GOVERNED` are the kinds the service renderers emit (tests hold the two in step), `APPS`
those of store apps; the target looks among them for objects a document no longer
renders. Any other kind a document's objects have is mapped by Kubernetes' own plural
rule. A core kind (group "") lives under /api/v1, the others under /apis/<group>.

Example:
    >>> resource_of({"apiVersion": "networking.istio.io/v1alpha3", "kind": "EnvoyFilter"}).plural
    'envoyfilters'
    >>> plural_of("AuthorizationPolicy")
    'authorizationpolicies'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Resource:
    """Where objects of one kind live in the API: /apis/<group>/<version>/.../<plural>."""

    group: str
    version: str
    plural: str
    kind: str

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


GOVERNED = (
    Resource("networking.istio.io", "v1", "destinationrules", "DestinationRule"),
    Resource("networking.istio.io", "v1", "virtualservices", "VirtualService"),
    Resource("security.istio.io", "v1", "authorizationpolicies", "AuthorizationPolicy"),
    Resource("networking.istio.io", "v1alpha3", "envoyfilters", "EnvoyFilter"),
    Resource("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler"),
    # ambient namespaces: the route and one Service per version (pruned, like every kind
    # here, only when it carries both of govbot's labels)
    Resource("gateway.networking.k8s.io", "v1", "httproutes", "HTTPRoute"),
    Resource("", "v1", "services", "Service"),
)


# The kinds a store app's document renders (policies/apps): listed for a document under
# apps/ so that what it no longer renders is pruned. PersistentVolumeClaims are not among
# them: the StatefulSet's claims are the app's data, kept when it is removed.
APPS = (
    Resource("external-secrets.io", "v1beta1", "externalsecrets", "ExternalSecret"),
    Resource("", "v1", "configmaps", "ConfigMap"),
    Resource("", "v1", "services", "Service"),
    Resource("apps", "v1", "statefulsets", "StatefulSet"),
    Resource("apps", "v1", "deployments", "Deployment"),
    Resource("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget"),
    Resource("helm.toolkit.fluxcd.io", "v2", "helmreleases", "HelmRelease"),
    Resource("argoproj.io", "v1alpha1", "applications", "Application"),
)
SECRETS = Resource("", "v1", "secrets", "Secret")
CLAIMS = Resource("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim")


def plural_of(kind: str) -> str:
    """The resource name Kubernetes derives from a kind (Policy → policies)."""
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in ("a", "e", "i", "o", "u"):
        return lower[:-1] + "ies"
    if lower.endswith(("s", "x", "ch", "sh")):
        return lower + "es"
    return lower + "s"


def resource_of(obj: Mapping[str, Any]) -> Resource:
    """The resource of an object, from its apiVersion and kind."""
    group, _, version = str(obj["apiVersion"]).rpartition("/")
    kind = str(obj["kind"])
    for known in (*GOVERNED, *APPS, SECRETS, CLAIMS):
        if (known.group, known.version, known.kind) == (group, version, kind):
            return known
    return Resource(group, version, plural_of(kind), kind)


def name_of(obj: Mapping[str, Any]) -> str:
    """`Kind/name`, as messages and `Applied` name an object."""
    return f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"
