"""AppDeployment documents: `apps/<env>/<namespace>/<name>.yaml`, one store app each.

`build` writes the document `/deploy <app> from store [version <v>] [as <name>] [set
<k>=<v> …]` asks for, every parameter resolved (defaults included, so the document alone
says what runs and what it costs); it refuses, with a `UsageError` that says what was
wrong and gives an example, an unknown parameter (did you mean …), a value of the wrong
type, a value outside the catalog's bounds and an unknown version. `validate` checks a
hand-written document against the catalog.

A document never holds a secret value: `spec.secret` is a reference — `{generate: true}`
(the Kubernetes target generates `<name>-auth` at apply time and never overwrites it),
`{existingSecret: <name>}` or `{externalSecret: {store: <ClusterSecretStore>, key:
<path>}}` — and anything else there is refused.

Example:
    >>> app_path("prod", "demo", "cache")
    'apps/prod/demo/cache.yaml'
    >>> parse_app_path("apps/prod/demo/cache.yaml")
    ('prod', 'demo', 'cache')
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import UsageError
from policies import units
from policies.apps.catalog import API_VERSION, CatalogEntry
from policies.document import closest, dump

KIND = "AppDeployment"
NAME_MAX = 40  # room for `-headless`, a StatefulSet's pod suffix and its revision hash
GENERATE: Mapping[str, Any] = {"generate": True}
_PATH = re.compile(r"^apps/([^/]+)/([^/]+)/([^/]+)\.yaml$")
_SPEC = ("app", "version", "mode", "parameters", "secret")
_STORE_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9_./-]*")

# tags whose image changes under the same name; the catalog never pins one
FLOATING_TAGS = frozenset({"latest", "stable", "edge", "main", "master", "nightly"})


def app_path(env: str, namespace: str, name: str) -> str:
    return f"apps/{env}/{namespace}/{name}.yaml"


def parse_app_path(path: str) -> tuple[str, str, str] | None:
    """(env, namespace, name) of `apps/<env>/<namespace>/<name>.yaml`, else None."""
    found = _PATH.match(path)
    return (found.group(1), found.group(2), found.group(3)) if found else None


def existing_secret(name: str) -> dict[str, Any]:
    """The reference to a Secret the team creates (its keys are the catalog's)."""
    return {"existingSecret": name}


def external_secret(store: str, key: str) -> dict[str, Any]:
    """The reference to a secret manager's entry, synced by External Secrets Operator."""
    return {"externalSecret": {"store": store, "key": key}}


def build(entry: CatalogEntry, env: str, namespace: str, name: str, version: str | None = None,
          pairs: Sequence[tuple[str, str]] = (), secret: Mapping[str, Any] | None = None,
          mode: str | None = None) -> str:
    """The text of the AppDeployment for `set` pairs (key, text); UsageError when a pair,
    the version, the mode or the name does not fit the catalog entry. `secret` is the
    reference the caller picked for its target (default `{generate: true}`); an app
    without secret keys gets none."""
    _check_names(entry, env, namespace, name)
    tag = version if version is not None else entry.versions[0].tag
    if entry.version(tag) is None and tag.lower() in FLOATING_TAGS:
        raise UsageError(f"{tag!r} is a floating tag: what it runs changes without a "
                         "change here, so govbot deploys only the versions the catalog "
                         f"pins for {entry.name}: "
                         f"{', '.join(v.tag for v in entry.versions)}",
                         example=f"/deploy {entry.name} from store version "
                         f"{entry.versions[0].tag}")
    if entry.version(tag) is None:
        raise UsageError(f"{entry.name} has no version {tag!r} in the catalog; versions: "
                         f"{', '.join(v.tag for v in entry.versions)}",
                         example=f"/deploy {entry.name} from store version "
                         f"{entry.versions[0].tag}")
    if mode is not None and mode not in entry.modes:
        raise UsageError(f"{entry.name} is not offered in {mode} mode; modes: "
                         f"{', '.join(entry.modes)}")
    values = {n: p.default for n, p in entry.parameters.items()}
    values.update(read_pairs(entry, pairs))
    spec = CommentedMap(app=entry.name, version=tag)
    if mode is not None and mode != entry.mode:
        spec["mode"] = mode
    spec["parameters"] = CommentedMap(values)
    if entry.secret_keys:
        reference = GENERATE if secret is None else secret
        problems = _secret_problems(reference)
        if problems:
            raise UsageError(problems[0].removeprefix("spec.secret: "))
        spec["secret"] = _commented(reference)
    doc = CommentedMap(apiVersion=API_VERSION, kind=KIND,
                       metadata=CommentedMap(name=name, namespace=namespace, env=env),
                       spec=spec)
    header = (f"# {entry.name} from the app store as {name} in {env}/{namespace}.\n"
              "# It changes by pull request; the catalog (catalog/"
              f"{entry.name}.yaml) bounds its parameters.\n")
    return header + dump(doc)


def _check_names(entry: CatalogEntry, env: str, namespace: str, name: str) -> None:
    for what, value in (("env", env), ("namespace", namespace), ("name", name)):
        if not units.is_dns_label(value) or len(value) > NAME_MAX:
            raise UsageError(f"{what} {value!r} is not a DNS-1123 label of at most {NAME_MAX} "
                             "characters (lowercase letters, digits and '-', starting with "
                             "a letter)", example=f"/deploy {entry.name} from store as "
                             f"{entry.name}-main")


def read_pairs(entry: CatalogEntry, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The values of `set k=v` pairs; UsageError for the first that does not fit. A
    secret's key is refused without repeating its value."""
    values: dict[str, Any] = {}
    for key, text in pairs:
        if key in entry.secret_keys:
            raise UsageError(f"{key} is {entry.name}'s secret: govbot never takes a secret's "
                             "value in chat or in the repository; it is generated at apply "
                             "time or read from a Secret you name",
                             example=f"/deploy {entry.name} from store")
        parameter = entry.parameters.get(key)
        if parameter is None:
            raise UsageError(_unknown(entry, key), example=_example(entry))
        if key in values:
            raise UsageError(f"{key} is set twice", example=f"set {key}={text}")
        try:
            values[key] = parameter.read(text)
        except ValueError as error:
            problem = str(error)
            said = problem.replace(" the m", " the catalog's m")
            raise UsageError(f"{key}={text} {said} for {entry.name}",
                             example=f"set {key}={parameter.example(problem)}") from error
    return values


def resolve(entry: CatalogEntry, data: Mapping[str, Any]) -> dict[str, Any]:
    """Every parameter's value of a valid document: its own, else the catalog's default."""
    given: Mapping[str, Any] = (data.get("spec") or {}).get("parameters") or {}
    return {name: given.get(name, p.default) for name, p in entry.parameters.items()}


def validate(data: Any, path: str, catalog: Mapping[str, CatalogEntry]) -> list[str]:
    """Every problem of a hand-written AppDeployment, each `<path>: <field>: <problem>`."""
    return [f"{path}: {problem}" for problem in _problems(data, path, catalog)]


def _problems(data: Any, path: str, catalog: Mapping[str, CatalogEntry]) -> list[str]:
    if not isinstance(data, Mapping):
        return ["the document is not a mapping of fields"]
    problems = [f"{key}: unknown field; known fields: apiVersion, kind, metadata, spec"
                for key in data if key not in ("apiVersion", "kind", "metadata", "spec")]
    parts = parse_app_path(path)
    if parts is None or not all(units.is_dns_label(p) for p in parts) or len(parts[2]) > NAME_MAX:
        problems.append(f"path: {path!r} is not apps/<env>/<namespace>/<name>.yaml with "
                        f"DNS-1123 labels (a name of at most {NAME_MAX} characters)")
    if data.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion: {data.get('apiVersion')!r} is not {API_VERSION}")
    if data.get("kind") != KIND:
        problems.append(f"kind: {data.get('kind')!r} is not {KIND}")
    found = data.get("metadata")
    meta: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    for key, said in zip(("env", "namespace", "name"), parts or (None,) * 3, strict=True):
        if meta.get(key) is None:
            problems.append(f"metadata.{key}: required (the path says {said!r})")
        elif said is not None and meta[key] != said:
            problems.append(f"metadata.{key}: {meta[key]!r} disagrees with the path {path}, "
                            f"which says {said!r}; the path decides")
    spec = data.get("spec")
    if not isinstance(spec, Mapping):
        return [*problems, "spec: required, with app, version and parameters"]
    return problems + _spec_problems(spec, catalog)


def _spec_problems(spec: Mapping[str, Any], catalog: Mapping[str, CatalogEntry]) -> list[str]:
    if "purge" in spec:
        return _tombstone_problems(spec, catalog)
    problems = [f"spec.{key}: unknown field; known fields: {', '.join(_SPEC)}"
                for key in spec if key not in _SPEC]
    entry = catalog.get(str(spec.get("app")))
    if entry is None:
        near = closest(str(spec.get("app")), catalog)
        return [*problems, f"spec.app: {spec.get('app')!r} is not in the catalog"
                + (f"; did you mean {near}?" if near else "")
                + f" (apps: {', '.join(sorted(catalog)) or 'none'})"]
    if entry.version(str(spec.get("version"))) is None or not isinstance(spec.get("version"), str):
        problems.append(f"spec.version: {spec.get('version')!r} is not a version of "
                        f"{entry.name}; versions: {', '.join(v.tag for v in entry.versions)}")
    if spec.get("mode", entry.mode) not in entry.modes:
        problems.append(f"spec.mode: {spec['mode']!r} is not offered by {entry.name}; "
                        f"modes: {', '.join(entry.modes)}")
    given = spec.get("parameters", {})
    if not isinstance(given, Mapping):
        return [*problems, "spec.parameters: not a mapping of name to value"]
    for key, value in given.items():
        parameter = entry.parameters.get(str(key))
        if parameter is None:  # its value is not repeated: it may be a secret's
            problems.append(f"spec.parameters.{key}: {_unknown(entry, str(key))}")
        elif (problem := parameter.check(value)) is not None:
            problems.append(f"spec.parameters.{key}: {value!r} {problem}")
    if entry.secret_keys and "secret" not in spec:
        problems.append("spec.secret: required, a reference like {generate: true}, "
                        "{existingSecret: <name>} or {externalSecret: {store: <store>, "
                        "key: <path>}}")
    if not entry.secret_keys and "secret" in spec:
        problems.append(f"spec.secret: {entry.name} reads no secret")
    elif "secret" in spec:
        problems += _secret_problems(spec["secret"])
    return problems


def _tombstone_problems(spec: Mapping[str, Any],
                        catalog: Mapping[str, CatalogEntry]) -> list[str]:
    """A tombstone (`/undeploy <name> purge`): `{app, purge: true}` and nothing else."""
    problems = [f"spec.{key}: unknown field in a tombstone; known fields: app, purge"
                for key in spec if key not in ("app", "purge")]
    if spec.get("purge") is not True:
        problems.append("spec.purge: only true (the app's volumes are deleted)")
    if spec.get("app") not in catalog:
        problems.append(f"spec.app: {spec.get('app')!r} is not in the catalog")
    return problems


def is_tombstone(data: Mapping[str, Any]) -> bool:
    """Whether a valid document is the tombstone `/undeploy <name> purge` leaves."""
    spec = data.get("spec")
    return isinstance(spec, Mapping) and spec.get("purge") is True


def _secret_problems(secret: Any) -> list[str]:
    """Exactly one reference form; never a value (the value itself is not repeated)."""
    forms = ("generate", "existingSecret", "externalSecret")
    if not isinstance(secret, Mapping) or len(secret) != 1 or next(iter(secret)) not in forms:
        return ["spec.secret: takes exactly one reference — {generate: true}, "
                "{existingSecret: <name>} or {externalSecret: {store: <ClusterSecretStore>, "
                "key: <path>}} — and never a value"]
    form, value = next(iter(secret.items()))
    if form == "generate" and value is not True:
        return ["spec.secret.generate: only true (the Kubernetes target generates it)"]
    if form == "existingSecret" and not (isinstance(value, str) and units.is_dns_label(value)):
        return ["spec.secret.existingSecret: not the name of a Secret (a DNS-1123 label)"]
    if form == "externalSecret" and not (
            isinstance(value, Mapping) and set(value) == {"store", "key"}
            and isinstance(value["store"], str) and units.is_dns_label(value["store"])
            and isinstance(value["key"], str) and _STORE_KEY.fullmatch(value["key"])):
        return ["spec.secret.externalSecret: not {store: <ClusterSecretStore>, key: <path>}"]
    return []


def _commented(value: Mapping[str, Any]) -> CommentedMap:
    return CommentedMap({k: _commented(v) if isinstance(v, Mapping) else v
                         for k, v in value.items()})


def _unknown(entry: CatalogEntry, key: str) -> str:
    near = closest(key, entry.parameters)
    hint = f"; did you mean {near}?" if near else ""
    return (f"{entry.name} has no parameter {key!r}{hint} (parameters: "
            f"{', '.join(entry.parameters) or 'none'})")


def _example(entry: CatalogEntry) -> str:
    name, parameter = next(iter(entry.parameters.items()), ("", None))
    return f"set {name}={parameter.example()}" if parameter else f"/deploy {entry.name} from store"
