"""Render one AppDeployment to the objects that run it: pure, no I/O.

Manifests mode gives govbot's own Kubernetes objects (`policies.apps.manifests`); GitOps
mode gives a Flux `HelmRelease` (helm.toolkit.fluxcd.io/v2) or an Argo CD `Application`
(argoproj.io/v1alpha1) of the catalog's pinned chart, its values set from the parameters
and the secret passed as an existing Secret's name. With `secret: {externalSecret: …}`
an `ExternalSecret` (external-secrets.io/v1beta1) creates `<name>-auth` from the secret
store first. Every object carries `app.kubernetes.io/name|instance|version`,
`app.kubernetes.io/managed-by: govbot` and `govbot.dev/source` (label-safe as a label,
the exact path as an annotation), like the objects of service documents.

Nothing here ever sees a secret's value: the document holds a reference, and the
rendered objects name a Secret and its keys.

Example:
    >>> from policies.apps import deployment, catalog
    >>> entry = catalog.read(EXAMPLE, "catalog/echo.yaml")
    >>> path = "apps/dev/demo/hello.yaml"
    >>> text = deployment.build(entry, "dev", "demo", "hello")
    >>> from policies.document import plain
    >>> describe(render(plain(text), path, {"echo": entry}))
    'Service hello, Deployment hello'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot.core.errors import InvalidDocument
from policies.apps import deployment, manifests
from policies.apps.catalog import CatalogEntry
from policies.rendering import MANAGED_BY, SOURCE, source_label

ARGOCD_SERVER = "https://kubernetes.default.svc"
EXAMPLE: Mapping[str, Any] = {
    "apiVersion": "govbot.dev/v1", "kind": "CatalogEntry", "metadata": {"name": "echo"},
    "spec": {"workload": "Deployment", "image": "docker.io/library/nginx",
             "versions": [{"tag": "1.27.3"}], "ports": [{"name": "http", "port": 80}],
             "security": {}, "probes": {"readiness": {"tcp": "http"},
                                        "liveness": {"tcp": "http"}},
             "resources": {"requests": {"cpu": "50m", "memory": "64Mi"},
                           "limits": {"memory": "64Mi"}}}}


def render(data: Mapping[str, Any], path: str,
           catalog: Mapping[str, CatalogEntry]) -> list[dict[str, Any]]:
    """The objects of one AppDeployment, in apply order; InvalidDocument (and no other
    error) when the document does not fit the catalog."""
    problems = deployment.validate(data, path, catalog)
    if problems:
        raise InvalidDocument(path, [p.removeprefix(f"{path}: ") for p in problems])
    if deployment.is_tombstone(data):  # nothing runs; the apply target deletes the volumes
        return []
    spec = data["spec"]
    entry = catalog[spec["app"]]
    app = _app(entry, data, path)
    secret = spec.get("secret") or {}
    built = [_external_secret(app, secret["externalSecret"])] if "externalSecret" in secret \
        else []
    if spec.get("mode", entry.mode) == "manifests":
        return built + manifests.objects(app)
    if entry.spec["gitops"]["kind"] == "flux":
        return [*built, _helm_release(app)]
    return [*built, _application(app)]


def purged(data: Mapping[str, Any]) -> dict[str, str] | None:
    """For the tombstone `/undeploy <name> purge` leaves: the labels of the app's volume
    claims, which the apply target deletes (the StatefulSet's claim template carries
    them); None for any other document."""
    if not deployment.is_tombstone(data):
        return None
    return {"app.kubernetes.io/name": str(data["spec"]["app"]),
            "app.kubernetes.io/instance": str(data["metadata"]["name"])}


def describe(objects: list[dict[str, Any]]) -> str:
    """One line for chat: `Service cache, StatefulSet cache, …`."""
    return ", ".join(f"{obj['kind']} {obj['metadata']['name']}" for obj in objects)


def secret_name(data: Mapping[str, Any]) -> str | None:
    """The Secret an app reads: the one its document names, else `<name>-auth` (generated
    at apply time or created by an ExternalSecret); None when it reads none."""
    secret = (data.get("spec") or {}).get("secret")
    if not isinstance(secret, Mapping):
        return None
    named = secret.get("existingSecret")
    return str(named) if named else f"{data['metadata']['name']}-auth"


def _app(entry: CatalogEntry, data: Mapping[str, Any], path: str) -> manifests.App:
    parts = deployment.parse_app_path(path)
    assert parts is not None  # validate checked the path
    _, namespace, name = parts
    tag = str(data["spec"]["version"])
    labels = {"app.kubernetes.io/name": entry.name, "app.kubernetes.io/instance": name,
              "app.kubernetes.io/version": tag, MANAGED_BY: "govbot",
              SOURCE: source_label(path)}
    return manifests.App(entry, name, namespace, tag, deployment.resolve(entry, data),
                         secret_name(data), {"labels": labels, "annotations": {SOURCE: path}})


def _values(app: manifests.App) -> dict[str, Any]:
    """The chart's values: the catalog's, then each parameter at its `helm` paths, then
    the Secret's name where the chart takes an existing one."""
    gitops = app.entry.spec["gitops"]
    values = _copy(gitops.get("values", {}))
    for parameter in app.entry.parameters.values():
        for dotted in parameter.helm:
            _put(values, dotted, app.values[parameter.name])
    if app.secret_name and gitops.get("secretValue"):
        _put(values, gitops["secretValue"], app.secret_name)
    return values


def _helm_release(app: manifests.App) -> dict[str, Any]:
    gitops = app.entry.spec["gitops"]
    source = gitops["source"]
    source_ref = {"kind": source.get("kind", "HelmRepository"), "name": source["name"]}
    if source.get("namespace"):
        source_ref["namespace"] = source["namespace"]
    remediation = {"remediation": {"retries": 3}}
    return {"apiVersion": "helm.toolkit.fluxcd.io/v2", "kind": "HelmRelease",
            "metadata": app.metadata(),
            "spec": {"interval": "10m", "releaseName": app.name,
                     "chart": {"spec": {"chart": gitops["chart"], "version": gitops["version"],
                                        "sourceRef": source_ref, "interval": "1h"}},
                     "install": remediation, "upgrade": _copy(remediation),
                     "driftDetection": {"mode": "enabled"},
                     "values": _values(app)}}


def _application(app: manifests.App) -> dict[str, Any]:
    gitops = app.entry.spec["gitops"]
    meta = app.metadata(f"{app.namespace}-{app.name}")  # Applications share Argo's namespace
    meta["namespace"] = gitops.get("namespace", "argocd")
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Application", "metadata": meta,
            "spec": {"project": gitops.get("project", "default"),
                     "source": {"repoURL": gitops["repo"], "chart": gitops["chart"],
                                "targetRevision": gitops["version"],
                                "helm": {"releaseName": app.name,
                                         "valuesObject": _values(app)}},
                     "destination": {"server": ARGOCD_SERVER, "namespace": app.namespace},
                     "syncPolicy": {"automated": {"prune": True, "selfHeal": True}}}}


def _external_secret(app: manifests.App, reference: Mapping[str, Any]) -> dict[str, Any]:
    """`<name>-auth` from the secret store: one remote property per catalog key."""
    return {"apiVersion": "external-secrets.io/v1beta1", "kind": "ExternalSecret",
            "metadata": app.metadata(f"{app.name}-auth"),
            "spec": {"refreshInterval": "1h",
                     "secretStoreRef": {"kind": "ClusterSecretStore", "name": reference["store"]},
                     "target": {"name": f"{app.name}-auth", "creationPolicy": "Owner"},
                     "data": [{"secretKey": key,
                               "remoteRef": {"key": reference["key"], "property": key}}
                              for key in app.entry.secret_keys]}}


def _copy(value: Mapping[str, Any]) -> dict[str, Any]:
    copied: dict[str, Any] = _copied(value)
    return copied


def _copied(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


def _put(values: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    for part in parents:
        values = values.setdefault(part, {})
    values[last] = value
