"""Catalog entries: `catalog/<app>.yaml` of the policy repository, what the store offers.

An entry (kind `CatalogEntry`) names the image and its pinned versions, the parameters
with their types, defaults and bounds (`policies.apps.parameters`), and how to render:
`mode: manifests` (govbot renders a StatefulSet or Deployment, Services, a ConfigMap, a
PodDisruptionBudget) or `mode: gitops` (a Flux HelmRelease or an Argo CD Application of
a pinned chart). `read` gives the entry or raises InvalidDocument; `validate` names every
problem with its field, so `govbot check` can say
`catalog/redis.yaml: parameters.memory.max: '16Gx' is not a quantity like 500m, 2, 512Mi or 1.5Gi`.

Example:
    >>> catalog_path("redis")
    'catalog/redis.yaml'
    >>> parse_catalog_path("catalog/redis.yaml")
    'redis'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.core.errors import InvalidDocument
from policies import units
from policies.apps import parameters, shape
from policies.apps.parameters import Parameter
from policies.document import plain

API_VERSION = "govbot.dev/v1"
KIND = "CatalogEntry"
MODES = ("manifests", "gitops")
WORKLOADS = ("StatefulSet", "Deployment")
FLOATING = ("latest", "stable", "mainline", "edge", "alpine", "current")
_PATH = re.compile(r"^catalog/([^/]+)\.yaml$")
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")
_SPEC = ("description", "mode", "workload", "image", "versions", "ports", "command", "args",
         "env", "security", "probes", "storage", "resources", "replicated", "config",
         "secret", "parameters", "gitops")


@dataclass(frozen=True)
class Version:
    """A pinned image tag, with its digest where the catalog knows it."""

    tag: str
    digest: str | None = None

    @property
    def image_suffix(self) -> str:
        return f":{self.tag}@{self.digest}" if self.digest else f":{self.tag}"


@dataclass(frozen=True)
class CatalogEntry:
    """One app of the store; `spec` is the validated plain data the renderers read."""

    name: str
    path: str
    spec: Mapping[str, Any]
    versions: tuple[Version, ...]
    parameters: Mapping[str, Parameter]

    @property
    def mode(self) -> str:
        return str(self.spec.get("mode", "manifests"))

    @property
    def modes(self) -> tuple[str, ...]:
        """The modes a deployment may choose: the entry's own, and gitops where it has a
        chart."""
        offered = [self.mode] + (["gitops"] if "gitops" in self.spec else [])
        return tuple(dict.fromkeys(offered))

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The keys of the `<name>-auth` Secret the app reads (none: it needs no secret)."""
        keys: Mapping[str, Any] = (self.spec.get("secret") or {}).get("keys", {})
        return tuple(keys)

    def version(self, tag: str) -> Version | None:
        return next((v for v in self.versions if v.tag == tag), None)

    def parameter_for(self, place: str) -> Parameter | None:
        """The parameter that sets `place` (`replicas`, `storage`, `requests.memory` …)."""
        return next((p for p in self.parameters.values() if place in p.to), None)


def catalog_path(app: str) -> str:
    return f"catalog/{app}.yaml"


def parse_catalog_path(path: str) -> str | None:
    """The app of `catalog/<app>.yaml`, else None."""
    found = _PATH.match(path)
    return found.group(1) if found else None


def read(data: Mapping[str, Any], path: str) -> CatalogEntry:
    """The entry of a catalog document; InvalidDocument naming every problem."""
    problems = validate(data, path)
    if problems:
        raise InvalidDocument(path, [p.removeprefix(f"{path}: ") for p in problems])
    spec: Mapping[str, Any] = data["spec"]
    versions = tuple(Version(str(v["tag"]), v.get("digest")) for v in spec["versions"])
    offered, _ = _parameters(spec.get("parameters"))
    return CatalogEntry(str(data["metadata"]["name"]), path, spec, versions, offered)


def validate(data: Any, path: str) -> list[str]:
    """Every problem of a catalog document, each `<path>: <field>: <problem>`."""
    return [f"{path}: {problem}" for problem in _problems(data, path)]


def _problems(data: Any, path: str) -> list[str]:
    if not isinstance(data, Mapping):
        return ["the document is not a mapping of fields"]
    problems = shape.unknown(data, ("apiVersion", "kind", "metadata", "spec"), "")
    app = parse_catalog_path(path)
    if app is None or not units.is_dns_label(app):
        problems.append(f"path: {path!r} is not catalog/<app>.yaml with a DNS-1123 app name")
    if data.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion: {data.get('apiVersion')!r} is not {API_VERSION}")
    if data.get("kind") != KIND:
        problems.append(f"kind: {data.get('kind')!r} is not {KIND}")
    meta = data.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    if name is None:
        problems.append(f"metadata.name: required (the path says {app!r})")
    elif name != app:
        problems.append(f"metadata.name: {name!r} disagrees with the path {path}, which "
                        f"says {app!r}; the path decides")
    spec = data.get("spec")
    if not isinstance(spec, Mapping):
        return [*problems, "spec: required, a mapping of the app's versions and parameters"]
    return problems + _spec_problems(spec)


def _spec_problems(spec: Mapping[str, Any]) -> list[str]:
    problems = shape.unknown(spec, _SPEC, "")
    mode = spec.get("mode", "manifests")
    if mode not in MODES:
        problems.append(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    problems += _version_problems(spec.get("versions"))
    offered, more = _parameters(spec.get("parameters"))
    problems += more
    if mode == "manifests":
        problems += shape.manifests(spec, offered)
    if mode == "gitops" and "gitops" not in spec:
        problems.append("gitops: required when mode is gitops, with kind, chart, repo, version")
    if "gitops" in spec:
        problems += shape.gitops(spec["gitops"], offered)
    if "secret" in spec:
        problems += shape.secret(spec["secret"])
    replicas = offered.get(_place(offered, "replicas"))
    if replicas is not None and spec.get("replicated") is not True and replicas.high != 1:
        problems.append(f"parameters.{replicas.name}.max: {replicas.high!r}, but the app is "
                        "not replicated (replicated: true); a single instance needs max 1")
    return problems


def _place(offered: Mapping[str, Parameter], place: str) -> str:
    return next((name for name, p in offered.items() if place in p.to), "")


def _version_problems(versions: Any) -> list[str]:
    if not isinstance(versions, list) or not versions:
        return ['versions: required, a list of pinned tags like [{tag: "7.4.2"}]']
    problems: list[str] = []
    for number, version in enumerate(versions):
        where = f"versions[{number}]"
        if not isinstance(version, Mapping):
            problems.append(f'{where}: not a mapping like {{tag: "7.4.2"}}')
            continue
        problems += shape.unknown(version, ("tag", "digest"), f"{where}.")
        tag, digest = version.get("tag"), version.get("digest")
        if not isinstance(tag, str) or not _TAG.fullmatch(tag):
            problems.append(f"{where}.tag: {tag!r} is not an image tag")
        elif tag.lower() in FLOATING:
            problems.append(f"{where}.tag: {tag!r} floats; pin a release like 7.4.2")
        elif not units.is_label_value(tag):  # it labels every object as the app's version
            problems.append(f"{where}.tag: {tag!r} is longer than a label value (63)")
        if digest is not None and not (isinstance(digest, str) and _DIGEST.fullmatch(digest)):
            problems.append(f"{where}.digest: {digest!r} is not sha256:<64 hex digits>")
    tags = [v.get("tag") for v in versions if isinstance(v, Mapping)]
    problems += [f"versions: tag {tag!r} is listed twice" for tag in sorted(
        {str(t) for t in tags if tags.count(t) > 1})]
    return problems


def _parameters(data: Any) -> tuple[dict[str, Parameter], list[str]]:
    if data is None:
        return {}, []
    if not isinstance(data, Mapping):
        return {}, ["parameters: not a mapping of name to {type, default, …}"]
    offered: dict[str, Parameter] = {}
    problems: list[str] = []
    for name, value in data.items():
        if not isinstance(name, str) or not re.fullmatch(r"[a-z][A-Za-z0-9]*", name):
            problems.append(f"parameters.{name}: a parameter name is a word like maxMemory")
            continue
        parameter, more = parameters.parse(name, value, f"parameters.{name}")
        problems += more
        if parameter is not None:
            offered[name] = parameter
    for place in parameters.PLACES:
        setters = [name for name, p in offered.items() if place in p.to]
        if len(setters) > 1:
            problems.append(f"parameters: {place} is set by more than one parameter "
                            f"({', '.join(setters)})")
    return offered, problems


def read_all(texts: Mapping[str, str]) -> tuple[dict[str, CatalogEntry], list[str]]:
    """The entries of `catalog/*.yaml` texts by app, and the problems of those that do
    not validate (they are left out, so one bad entry does not close the store)."""
    entries: dict[str, CatalogEntry] = {}
    problems: list[str] = []
    for path, text in sorted(texts.items()):
        try:
            entry = read(plain(text, path), path)
        except InvalidDocument as error:
            problems += [f"{path}: {problem}" for problem in error.problems]
            continue
        entries[entry.name] = entry
    return entries, problems
