"""Checks of a catalog entry's sections: what manifests mode needs, the GitOps chart, the
secret's keys. `policies.apps.catalog` calls them; each problem starts with its field.

Example:
    >>> probe({"tcp": "redis"}, "probes.readiness")
    []
    >>> probe({"tcp": 6379, "exec": ["true"]}, "probes.readiness")
    ['probes.readiness: exactly one of tcp, exec, http']
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policies.apps import quantity
from policies.apps.parameters import Parameter

GITOPS_KINDS = ("flux", "argocd")
ACCESS_MODES = ("ReadWriteOnce", "ReadWriteOncePod", "ReadWriteMany")
_MANIFEST_KEYS = ("workload", "image", "ports", "probes", "security")
_SECURITY = ("runAsNonRoot", "runAsUser", "runAsGroup", "fsGroup", "dropAllCapabilities",
             "addCapabilities")
_PROBE = ("tcp", "exec", "http", "initialDelaySeconds", "periodSeconds", "timeoutSeconds",
          "failureThreshold")
_GITOPS = ("kind", "chart", "repo", "version", "source", "project", "namespace", "values",
           "secretValue")
_PINNED = re.compile(r"v?[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.-]+)?")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_PORT_NAME = re.compile(r"[a-z](?:[-a-z0-9]{0,13}[a-z0-9])?")
_SECRET_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_NEEDED = ("requests.cpu", "requests.memory", "limits.memory")
_TAKEN = object()


def unknown(data: Mapping[str, Any], known: tuple[str, ...], prefix: str) -> list[str]:
    return [f"{prefix}{key}: unknown field; known fields: {', '.join(known)}"
            for key in data if key not in known]


def manifests(spec: Mapping[str, Any], offered: Mapping[str, Parameter]) -> list[str]:
    """What govbot needs to render the app itself, with production defaults enforced:
    probes, resources and a data volume's size."""
    problems = [f"{key}: required in manifests mode" for key in _MANIFEST_KEYS
                if key not in spec]
    workload = spec.get("workload")
    if "workload" in spec and workload not in ("StatefulSet", "Deployment"):
        problems.append(f"workload: {workload!r} is not StatefulSet or Deployment")
    image = spec.get("image")
    if "image" in spec and not (isinstance(image, str) and image
                                and ":" not in image.rsplit("/", 1)[-1] and "@" not in image):
        problems.append(f"image: {image!r} is not a repository without a tag, like "
                        "docker.io/library/redis (the tags are the versions)")
    if "ports" in spec:
        problems += _ports(spec["ports"])
    for key in ("command", "args"):
        if key in spec and not _texts(spec[key]):
            problems.append(f"{key}: not a list of texts")
    problems += _env(spec.get("env", {}))
    problems += _security(spec.get("security", {}))
    probes = spec.get("probes", {})
    if not isinstance(probes, Mapping):
        problems.append("probes: not a mapping of readiness, liveness and startup")
    else:
        problems += unknown(probes, ("readiness", "liveness", "startup"), "probes.")
        problems += [f"probes.{kind}: required" for kind in ("readiness", "liveness")
                     if "probes" in spec and kind not in probes]
        for kind, value in probes.items():
            problems += probe(value, f"probes.{kind}")
    problems += _storage(spec, offered)
    problems += _resources(spec.get("resources", {}), offered)
    problems += _config(spec.get("config"), offered)
    if "replicated" in spec and not isinstance(spec["replicated"], bool):
        problems.append(f"replicated: {spec['replicated']!r} is not true or false")
    return problems


def probe(value: Any, where: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{where}: not a mapping like {{tcp: 6379}}"]
    problems = unknown(value, _PROBE, f"{where}.")
    if sum(kind in value for kind in ("tcp", "exec", "http")) != 1:
        return [*problems, f"{where}: exactly one of tcp, exec, http"]
    if "tcp" in value and not _port_ref(value["tcp"]):
        problems.append(f"{where}.tcp: {value['tcp']!r} is not a port number or name")
    if "exec" in value and not (_texts(value["exec"]) and value["exec"]):
        problems.append(f"{where}.exec: not a command as a list of texts")
    http = value.get("http")
    if "http" in value and not (isinstance(http, Mapping)
                                and str(http.get("path", "")).startswith("/")
                                and _port_ref(http.get("port"))):
        problems.append(f"{where}.http: not {{path: /health, port: http}}")
    for key in _PROBE[3:]:
        number = value.get(key, 1)
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            problems.append(f"{where}.{key}: {number!r} is not a whole number of seconds")
    return problems


def gitops(value: Any, offered: Mapping[str, Parameter]) -> list[str]:
    """The chart a GitOps controller renders: pinned, from a named source."""
    if not isinstance(value, Mapping):
        return ["gitops: not a mapping of kind, chart, repo, version"]
    problems = unknown(value, _GITOPS, "gitops.")
    problems += [f"gitops.{key}: required" for key in ("kind", "chart", "repo", "version")
                 if key not in value]
    if "kind" in value and value["kind"] not in GITOPS_KINDS:
        problems.append(f"gitops.kind: {value['kind']!r} is not flux or argocd")
    version = value.get("version")
    if "version" in value and not (isinstance(version, str) and _PINNED.fullmatch(version)):
        problems.append(f"gitops.version: {version!r} is not a pinned chart version like "
                        '"16.4.5" (quote it; no ranges)')
    repo = value.get("repo")
    if "repo" in value and not (isinstance(repo, str)
                                and repo.startswith(("https://", "oci://"))):
        problems.append(f"gitops.repo: {repo!r} is not an https:// or oci:// address")
    source = value.get("source")
    if value.get("kind") == "flux" and not (
            isinstance(source, Mapping) and isinstance(source.get("name"), str)
            and source.get("kind", "HelmRepository") in ("HelmRepository", "GitRepository",
                                                         "Bucket")):
        problems.append("gitops.source: a Flux chart needs its source, like "
                        "{kind: HelmRepository, name: internal-charts, namespace: flux-system}")
    if "values" in value and not isinstance(value["values"], Mapping):
        problems.append("gitops.values: not a mapping of chart values")
    if "secretValue" in value and not isinstance(value["secretValue"], str):
        problems.append("gitops.secretValue: not a dotted path like auth.existingSecret")
    problems += [f"parameters.{name}.helm: required when the entry offers gitops (the "
                 "chart value it sets)" for name, p in offered.items() if not p.helm]
    places = [(f"parameters.{name}.helm", dotted) for name, p in offered.items()
              for dotted in p.helm]
    if isinstance(value.get("secretValue"), str):
        places.append(("gitops.secretValue", value["secretValue"]))
    values = value.get("values", {})
    return problems + _helm_places(values if isinstance(values, Mapping) else {}, places)


def _helm_places(values: Mapping[str, Any], places: list[tuple[str, str]]) -> list[str]:
    """Each dotted chart value must lead through mappings to a place no other parameter
    and no catalog value subtree holds, so setting one never clobbers another."""
    trial = _plain_copy(values)
    problems = []
    for where, dotted in places:
        parts = dotted.split(".")
        node: Any = trial
        for part in parts[:-1]:
            node = node.setdefault(part, {}) if isinstance(node, dict) else None
        held = node.get(parts[-1]) if isinstance(node, dict) else None
        if not all(parts) or not isinstance(node, dict) or held is _TAKEN \
                or isinstance(held, dict | list):
            problems.append(f"{where}: {dotted!r} is not a free chart value under gitops.values "
                            "(a dotted path through mappings, set once)")
            continue
        node[parts[-1]] = _TAKEN  # a later path through or onto it is refused
    return problems


def _plain_copy(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain_copy(v) for v in value]
    return value


def secret(value: Any) -> list[str]:
    """The keys of `<name>-auth` and the variable each feeds (null: only the chart reads
    it). The catalog names keys, never values."""
    keys = value.get("keys") if isinstance(value, Mapping) else None
    if not isinstance(value, Mapping) or not isinstance(keys, Mapping) or not keys:
        return ["secret: not a mapping like {keys: {password: REDIS_PASSWORD}}"]
    problems = unknown(value, ("keys",), "secret.")
    for key, env in keys.items():
        if not (isinstance(key, str) and _SECRET_KEY.fullmatch(key)):
            problems.append(f"secret.keys: {key!r} is not a Secret key")
        if env is not None and not (isinstance(env, str) and _ENV.fullmatch(env)):
            problems.append(f"secret.keys.{key}: {env!r} is not an environment variable")
    return problems


def _texts(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _port_ref(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return (isinstance(value, int) and 1 <= value <= 65535) or \
        (isinstance(value, str) and bool(_PORT_NAME.fullmatch(value)))


def _ports(ports: Any) -> list[str]:
    if not isinstance(ports, list) or not ports:
        return ["ports: a list like [{name: redis, port: 6379}]"]
    problems = []
    for number, port in enumerate(ports):
        where = f"ports[{number}]"
        if not isinstance(port, Mapping):
            problems.append(f"{where}: not a mapping like {{name: redis, port: 6379}}")
            continue
        problems += unknown(port, ("name", "port"), f"{where}.")
        if not (isinstance(port.get("name"), str) and _PORT_NAME.fullmatch(port["name"])):
            problems.append(f"{where}.name: {port.get('name')!r} is not a port name "
                            "(a DNS-1123 label of at most 15 characters)")
        value = port.get("port")
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            problems.append(f"{where}.port: {value!r} is not a port 1-65535")
    return problems


def _env(env: Any) -> list[str]:
    if not isinstance(env, Mapping):
        return ["env: not a mapping of NAME to text"]
    return [f"env.{name}: {value!r} is not a text (a variable name and its value)"
            for name, value in env.items()
            if not (isinstance(name, str) and _ENV.fullmatch(name) and isinstance(value, str))]


def _security(security: Any) -> list[str]:
    if not isinstance(security, Mapping):
        return ["security: not a mapping like {runAsNonRoot: true, runAsUser: 999}"]
    problems = unknown(security, _SECURITY, "security.")
    for key in ("runAsUser", "runAsGroup", "fsGroup"):
        value = security.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            problems.append(f"security.{key}: {value!r} is not a user or group id")
    for key in ("runAsNonRoot", "dropAllCapabilities"):
        if not isinstance(security.get(key, False), bool):
            problems.append(f"security.{key}: {security[key]!r} is not true or false")
    if security.get("runAsNonRoot") is True and not security.get("runAsUser"):
        problems.append("security.runAsUser: a non-root app needs its user id, like 999")
    if not _texts(security.get("addCapabilities", [])):
        problems.append("security.addCapabilities: not a list like [NET_BIND_SERVICE]")
    return problems


def _storage(spec: Mapping[str, Any], offered: Mapping[str, Parameter]) -> list[str]:
    storage = spec.get("storage")
    sized = any("storage" in p.to for p in offered.values())
    if storage is None:
        return ["parameters: one sets storage, but the entry has no storage"] if sized else []
    if not isinstance(storage, Mapping) or not str(storage.get("mountPath", "")).startswith("/"):
        return ["storage: not a mapping like {mountPath: /data}"]
    problems = unknown(storage, ("mountPath", "accessMode"), "storage.")
    if storage.get("accessMode", "ReadWriteOnce") not in ACCESS_MODES:
        problems.append(f"storage.accessMode: {storage['accessMode']!r} is not one of "
                        f"{', '.join(ACCESS_MODES)}")
    if spec.get("workload") != "StatefulSet":
        problems.append("storage: only a StatefulSet keeps a volume per replica")
    if not sized:
        problems.append("parameters: none sets storage (to: storage), so the volume has no size")
    return problems


def _resources(resources: Any, offered: Mapping[str, Parameter]) -> list[str]:
    if not isinstance(resources, Mapping):
        return ["resources: not a mapping of requests and limits"]
    problems = unknown(resources, ("requests", "limits"), "resources.")
    for part in ("requests", "limits"):
        values = resources.get(part, {})
        if not isinstance(values, Mapping):
            problems.append(f"resources.{part}: not a mapping of cpu and memory")
            continue
        problems += unknown(values, ("cpu", "memory"), f"resources.{part}.")
        problems += [f"resources.{part}.{name}: {value!r} is not a quantity {quantity.EXAMPLES}"
                     for name, value in values.items() if not quantity.is_quantity(value)]
    for place in _NEEDED:
        part, name = place.split(".")
        fixed = isinstance(resources.get(part), Mapping) and name in resources[part]
        set_by = [p.name for p in offered.values() if place in p.to]
        if fixed and set_by:
            problems.append(f"resources.{place}: also set by parameter {set_by[0]}; keep one")
        if not fixed and not set_by:
            problems.append(f"resources.{place}: required (in resources or by a parameter)")
    return problems


def _config(config: Any, offered: Mapping[str, Parameter]) -> list[str]:
    keyed = [p.name for p in offered.values() if any(t.startswith("config.") for t in p.to)]
    if config is None:
        return [f"parameters.{name}.to: config.<key>, but the entry has no config file"
                for name in keyed]
    if not isinstance(config, Mapping) or not str(config.get("path", "")).startswith("/"):
        return ["config: not a mapping like {path: /etc/redis/redis.conf, separator: ' '}"]
    problems = unknown(config, ("path", "separator", "section", "static"), "config.")
    if not isinstance(config.get("separator", " "), str):
        problems.append("config.separator: not a text like ' ' or ' = '")
    static = config.get("static", {})
    if not isinstance(static, Mapping) or not all(
            isinstance(v, str | int | bool) for v in static.values()):
        problems.append("config.static: not a mapping of key to a text, number or boolean")
    return problems
