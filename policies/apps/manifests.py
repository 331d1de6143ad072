"""Manifests mode: the Kubernetes objects of one store app, rendered by govbot itself.

A data app becomes a StatefulSet with a volume per replica (kept when the app is removed
or scaled down), a headless Service for its pods' names and a ClusterIP Service for
clients; a stateless one (nginx, tomcat) a Deployment and its Service. Config keys go
into a ConfigMap mounted as the app's config file (its hash on the pod template, so a
change rolls the pods); secret keys are read from `<name>-auth` (or the Secret the
document names) through `secretKeyRef` — never a value. A replicated app with more than
one replica gets a PodDisruptionBudget. Pods run with the catalog's security context:
non-root where the image allows, no privilege escalation, capabilities dropped, the
runtime's default seccomp profile, no service account token.

`policies.apps.render` calls `objects` with a validated document; see it for an example.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.apps.catalog import CatalogEntry

DATA_VOLUME = "data"
CONFIG_VOLUME = "config"


@dataclass(frozen=True)
class App:
    """One deployment being rendered: its entry, names, version, values and metadata."""

    entry: CatalogEntry
    name: str
    namespace: str
    tag: str
    values: Mapping[str, Any]
    secret_name: str | None
    meta: Mapping[str, Any]  # labels and annotations every object carries

    def metadata(self, name: str | None = None) -> dict[str, Any]:
        return {"name": name or self.name, "namespace": self.namespace,
                "labels": dict(self.meta["labels"]),
                "annotations": dict(self.meta["annotations"])}

    @property
    def selector(self) -> dict[str, str]:
        return {"app.kubernetes.io/name": self.entry.name,
                "app.kubernetes.io/instance": self.name}

    def placed(self, place: str) -> Any:
        """The value a parameter sets at `place`, else None."""
        parameter = self.entry.parameter_for(place)
        return None if parameter is None else self.values[parameter.name]


def objects(app: App) -> list[dict[str, Any]]:
    """The app's objects in apply order: ConfigMap, Services, workload, PodDisruptionBudget."""
    spec = app.entry.spec
    config = _config_map(app)
    stateful = spec["workload"] == "StatefulSet"
    services = [_service(app, headless=True)] if stateful else []
    services.append(_service(app, headless=False))
    replicas = int(app.placed("replicas") or 1)
    built = ([config] if config else []) + services + [_workload(app, config, replicas)]
    if spec.get("replicated") is True and replicas > 1:
        built.append({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
                      "metadata": app.metadata(),
                      "spec": {"maxUnavailable": 1,
                               "selector": {"matchLabels": app.selector}}})
    return built


def _config_map(app: App) -> dict[str, Any] | None:
    config = app.entry.spec.get("config")
    if config is None:
        return None
    lines = dict(config.get("static", {}))
    lines.update({place.removeprefix("config."): app.values[p.name]
                  for p in app.entry.parameters.values() for place in p.to
                  if place.startswith("config.")})
    separator = config.get("separator", " ")
    text = "".join(f"{key}{separator}{_word(value)}\n" for key, value in lines.items())
    if config.get("section"):
        text = f"[{config['section']}]\n{text}"
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": app.metadata(f"{app.name}-config"),
            "data": {_file_name(config["path"]): text}}


def _service(app: App, headless: bool) -> dict[str, Any]:
    ports = [{"name": p["name"], "port": p["port"], "targetPort": p["name"], "protocol": "TCP"}
             for p in app.entry.spec["ports"]]
    spec: dict[str, Any] = {"type": "ClusterIP", "selector": app.selector, "ports": ports}
    if headless:  # the pods' stable names, reachable before they are ready (clustering)
        spec.update(clusterIP="None", publishNotReadyAddresses=True)
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": app.metadata(f"{app.name}-headless" if headless else app.name),
            "spec": spec}


def _workload(app: App, config: Mapping[str, Any] | None, replicas: int) -> dict[str, Any]:
    spec = app.entry.spec
    annotations = dict(app.meta["annotations"])
    if config is not None:
        digest = hashlib.sha256(repr(sorted(config["data"].items())).encode()).hexdigest()
        annotations["govbot.dev/config-hash"] = digest[:16]
    template = {"metadata": {"labels": dict(app.meta["labels"]), "annotations": annotations},
                "spec": _pod(app, config)}
    body: dict[str, Any] = {"replicas": replicas, "selector": {"matchLabels": app.selector},
                            "template": template}
    if spec["workload"] == "Deployment":
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": app.metadata(),
                "spec": body}
    body = {"serviceName": f"{app.name}-headless",
            "podManagementPolicy": "Parallel" if spec.get("replicated") else "OrderedReady",
            # data outlives the app and a scale-down; /undeploy purge removes it on purpose
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain",
                                                     "whenScaled": "Retain"},
            **body}
    storage = spec.get("storage")
    if storage is not None:
        body["volumeClaimTemplates"] = [{
            "metadata": {"name": DATA_VOLUME, "labels": dict(app.selector)},
            "spec": {"accessModes": [storage.get("accessMode", "ReadWriteOnce")],
                     "resources": {"requests": {"storage": str(app.placed("storage"))}}}}]
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": app.metadata(),
            "spec": body}


def _pod(app: App, config: Mapping[str, Any] | None) -> dict[str, Any]:
    security = app.entry.spec.get("security", {})
    pod_security: dict[str, Any] = {"seccompProfile": {"type": "RuntimeDefault"}}
    for key in ("runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup"):
        if key in security:
            pod_security[key] = security[key]
    # no service links: an image reads a variable like REDIS_PORT=tcp://… as its own setting
    pod: dict[str, Any] = {"automountServiceAccountToken": False,
                           "enableServiceLinks": False,
                           "securityContext": pod_security,
                           "containers": [_container(app, config)]}
    if config is not None:
        pod["volumes"] = [{"name": CONFIG_VOLUME,
                           "configMap": {"name": config["metadata"]["name"]}}]
    return pod


def _container(app: App, config: Mapping[str, Any] | None) -> dict[str, Any]:
    spec = app.entry.spec
    version = app.entry.version(app.tag)
    container: dict[str, Any] = {
        "name": app.entry.name,
        "image": f"{spec['image']}{version.image_suffix if version else ':' + app.tag}",
        "imagePullPolicy": "IfNotPresent"}
    for key in ("command", "args"):
        if key in spec:
            container[key] = list(spec[key])
    container["ports"] = [{"name": p["name"], "containerPort": p["port"], "protocol": "TCP"}
                          for p in spec["ports"]]
    container["env"] = _env(app)
    container["resources"] = _resources(app)
    for kind in ("readiness", "liveness", "startup"):
        if kind in spec["probes"]:
            container[f"{kind}Probe"] = _probe(spec["probes"][kind])
    container["securityContext"] = _container_security(spec.get("security", {}))
    mounts = []
    if spec.get("storage") is not None:
        mounts.append({"name": DATA_VOLUME, "mountPath": spec["storage"]["mountPath"]})
    if config is not None:
        path = spec["config"]["path"]
        mounts.append({"name": CONFIG_VOLUME, "mountPath": path, "subPath": _file_name(path),
                       "readOnly": True})
    if mounts:
        container["volumeMounts"] = mounts
    return container


def _env(app: App) -> list[dict[str, Any]]:
    """POD_NAME first, so a value can say `$(POD_NAME)`; then the catalog's variables with
    {name}, {namespace}, {headless} and {pods} filled in, parameters, secret keys."""
    replicas = int(app.placed("replicas") or 1)
    fill = {"{name}": app.name, "{namespace}": app.namespace,
            "{headless}": f"{app.name}-headless",
            "{pods}": ",".join(f"{app.name}-{n}" for n in range(replicas))}
    env: list[dict[str, Any]] = [
        {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]
    for name, value in app.entry.spec.get("env", {}).items():
        for token, filled in fill.items():
            value = value.replace(token, filled)
        env.append({"name": name, "value": value})
    for parameter in app.entry.parameters.values():
        for place in parameter.to:
            if place.startswith("env."):
                env.append({"name": place.removeprefix("env."),
                            "value": _word(app.values[parameter.name])})
    keys: Mapping[str, Any] = (app.entry.spec.get("secret") or {}).get("keys", {})
    env += [{"name": variable, "valueFrom": {"secretKeyRef": {"name": app.secret_name, "key": key}}}
            for key, variable in keys.items() if variable is not None and app.secret_name]
    return env


def _resources(app: App) -> dict[str, Any]:
    fixed = app.entry.spec.get("resources", {})
    resources: dict[str, Any] = {}
    for part in ("requests", "limits"):
        values = {name: str(value) for name, value in fixed.get(part, {}).items()}
        for name in ("cpu", "memory"):
            value = app.placed(f"{part}.{name}")
            if value is not None:
                values[name] = str(value)
        if values:
            resources[part] = values
    return resources


def _probe(probe: Mapping[str, Any]) -> dict[str, Any]:
    built: dict[str, Any]
    if "tcp" in probe:
        built = {"tcpSocket": {"port": probe["tcp"]}}
    elif "exec" in probe:
        built = {"exec": {"command": list(probe["exec"])}}
    else:
        built = {"httpGet": {"path": probe["http"]["path"], "port": probe["http"]["port"]}}
    for key in ("initialDelaySeconds", "periodSeconds", "timeoutSeconds", "failureThreshold"):
        if key in probe:
            built[key] = probe[key]
    return built


def _container_security(security: Mapping[str, Any]) -> dict[str, Any]:
    context: dict[str, Any] = {"allowPrivilegeEscalation": False}
    capabilities: dict[str, Any] = {}
    if security.get("dropAllCapabilities", True):
        capabilities["drop"] = ["ALL"]
    if security.get("addCapabilities"):
        capabilities["add"] = list(security["addCapabilities"])
    if capabilities:
        context["capabilities"] = capabilities
    if security.get("runAsNonRoot") is True:
        context["runAsNonRoot"] = True
    return context


def _word(value: Any) -> str:
    """A config value as the app reads it: booleans lowercase, like the env's."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _file_name(path: str) -> str:
    return path.rsplit("/", 1)[-1]
