"""What a change of govbot.yaml does to the namespaces' data planes: `input.mesh` of the
guard.

A change of govbot.yaml may switch a namespace to ambient mode, drop Gateway API's
experimental channel or the alpha fault path — each takes a capability away from the
services already there. `facts` finds those namespaces (the planes of govbot.yaml before
and after, `bot.config.RepoConfig.mesh`) and what each of their services holds that some
mode cannot carry (`policies.mesh.unsupported` against the strictest plane), read from
main; `rego/rules/mesh.rego` decides what is lost. The documents of a namespace are read
once per folder version (a git tree id), however often one change is judged.

Called by `Context.decide` (changes govbot opens) and `pulls.judge` (pull requests
written by hand). Example:

    {"switches": [{"env": "prod", "namespace": "demo",
                   "from": {"mode": "sidecar", "channel": "standard", "faultInjection": "off"},
                   "to": {"mode": "ambient", "channel": "standard", "faultInjection": "off"},
                   "services": {"svc-user": ["fault", "rateLimit"]}}]}
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import yaml

from bot.config import RepoConfig
from bot.core import yamlcheck
from bot.core.errors import GovbotError
from bot.repo.git import PolicyRepo
from policies import mesh
from policies.document import parse_service_path, plain

_STRICTEST = mesh.Mesh(mesh.AMBIENT)  # carries the fewest sections
_HELD: dict[str, dict[str, list[str]]] = {}  # services folder tree id → held sections
_HELD_LIMIT = 256
_LOCK = threading.Lock()


def facts(repo: PolicyRepo, main: str, path: str, before: str | None,
          after: str | None) -> dict[str, Any] | None:
    """`input.mesh` for a change of govbot.yaml from `before` to `after` on `main`; None
    for any other file, or a govbot.yaml that does not read (`govbot check` says why)."""
    if path != "govbot.yaml":
        return None
    old, new = _config(before), _config(after)
    if old is None or new is None:
        return None
    switches = []
    for env, namespace in sorted(_namespaces(old) | _namespaces(new)):
        was, becomes = old.mesh(env, namespace), new.mesh(env, namespace)
        if was == becomes:
            continue
        switches.append({"env": env, "namespace": namespace, "from": plane(was),
                         "to": plane(becomes), "services": held(repo, main, env, namespace)})
    return {"switches": switches}


def plane(of: mesh.Mesh) -> dict[str, str]:
    """A data plane as mesh.rego reads it."""
    return {"mode": of.mode, "channel": of.channel,
            "faultInjection": mesh.ALPHA if of.alpha_faults else "off"}


def held(repo: PolicyRepo, commit: str, env: str, namespace: str) -> dict[str, list[str]]:
    """Per service of the namespace at `commit`, the sections some mode cannot carry."""
    folder = f"services/{env}/{namespace}"
    tree = repo.object_id(commit, folder)
    if tree is None:
        return {}
    with _LOCK:
        if tree in _HELD:
            return _HELD[tree]
    paths = [p for p in repo.list_files(commit, folder + "/") if parse_service_path(p)]
    found: dict[str, list[str]] = {}
    for path, text in sorted(repo.read_many(commit, paths).items()):
        where = parse_service_path(path)
        try:
            spec = plain(text, path).get("spec")
        except GovbotError:  # a broken document is `govbot check`'s to report
            continue
        if where is not None and isinstance(spec, Mapping):
            found[where[2]] = [r.section for r in mesh.unsupported(spec, _STRICTEST)]
    with _LOCK:
        if len(_HELD) >= _HELD_LIMIT:
            _HELD.clear()
        _HELD[tree] = found
    return found


def _config(text: str | None) -> RepoConfig | None:
    if text is None:
        return RepoConfig({}, {})
    try:
        yamlcheck.check(text, "govbot.yaml")
        loaded = yaml.safe_load(text)
    except (yamlcheck.HostileYaml, yaml.YAMLError):
        return None
    return RepoConfig(loaded, {}) if isinstance(loaded, Mapping) else None


def _namespaces(config: RepoConfig) -> set[tuple[str, str]]:
    """Every namespace govbot.yaml declares, as (env, namespace)."""
    environments = config.config.get("environments")
    found: set[tuple[str, str]] = set()
    for env, body in environments.items() if isinstance(environments, Mapping) else ():
        namespaces = body.get("namespaces") if isinstance(body, Mapping) else None
        if isinstance(namespaces, Mapping):
            found |= {(str(env), str(namespace)) for namespace in namespaces}
    return found
