"""Change sets of the app store, and what the guardrails need to know of them.

`for_app` is what `/deploy` and `/undeploy` do to `apps/<env>/<namespace>/<name>.yaml` on
a given main; the same function replays the change when main moved. `facts` is the
`input.app` of the guard for a change of an AppDeployment: the catalog entry's versions
and bounds (only these, so the input stays small), the app's requests and the sum over
every app of its namespace after the change, against the namespace's quota of
govbot.yaml — summed here, compared in Rego (`rego/rules/apps.rego`).

Example of `facts` (numbers: CPU in millicores, memory and storage in bytes):

    {"app": "redis", "versions": ["7.4.2", "7.2.7"], "version": "7.4.2",
     "parameters": {"storage": {"value": 8589934592, "text": "8Gi",
                                "min": 1073741824, "min_text": "1Gi", "max": …}},
     "taken": {"service": false, "app": null},
     "quota": {"cpu": {"requested": 9500, "requested_text": "9500m",
                       "limit": 8000, "limit_text": "8"}},
     "purge": false}
"""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.change import ChangeSet
from bot.config import RepoConfig
from bot.core.errors import InvalidDocument, NotFound, UsageError
from bot.core.types import Scope
from bot.repo.git import PolicyRepo
from policies import intents
from policies.apps import catalog, deployment, quantity, sizing
from policies.apps.catalog import CatalogEntry
from policies.document import closest, dump, plain, service_path

AppIntent = intents.Deploy | intents.Undeploy
_RESOURCES = ("cpu", "memory", "storage")


def entries(repo: PolicyRepo, commit: str) -> dict[str, CatalogEntry]:
    """The valid catalog entries of `catalog/` at `commit` (a broken entry is left out:
    `govbot check` reports it)."""
    paths = [p for p in repo.list_files(commit, "catalog/") if catalog.parse_catalog_path(p)]
    found, _problems = catalog.read_all(repo.read_many(commit, paths))
    return found


def entry(found: Mapping[str, CatalogEntry], app: str) -> CatalogEntry:
    """The catalog entry of `app`; UsageError with the closest name when there is none."""
    if app in found:
        return found[app]
    near = closest(app, found)
    hint = f"; did you mean {near}?" if near else ""
    raise UsageError(f"{app!r} is not in the app store{hint} (apps: "
                     f"{', '.join(sorted(found)) or 'none'})",
                     example=f"/deploy {near or next(iter(sorted(found)), 'redis')} from store")


def for_app(repo: PolicyRepo, intent: AppIntent, scope: Scope, main: str) -> ChangeSet:
    """The AppDeployment written (/deploy) or removed (/undeploy) on `main`."""
    path = deployment.app_path(scope.env, scope.namespace, intent.service)
    before = repo.read(main, path)
    if isinstance(intent, intents.Deploy):
        found = entry(entries(repo, main), intent.app)
        pairs = [tuple(s.split("=", 1)) for s in intent.settings]
        after: str | None = deployment.build(found, scope.env, scope.namespace, intent.service,
                                             intent.version, [(k, v) for k, v in pairs])
        verb = "updates" if before is not None and not _tombstone(before, path) else "deploys"
        version = intent.version or found.versions[0].tag
        summary = f"{verb} {intent.app} {version} as {intent.service}"
    else:
        if before is None or _tombstone(before, path):
            raise NotFound(f"no app {intent.service} in {scope} (apps/ has no "
                           f"{intent.service}.yaml); /status {intent.service} shows what is "
                           "there")
        after = tombstone(before, path) if intent.purge else None
        summary = (f"undeploys {intent.service} and deletes its data volumes" if intent.purge
                   else f"undeploys {intent.service} (its data volumes are kept)")
    return ChangeSet(scope.env, scope.namespace, intent.service, path, intent.action, summary,
                     before, after, intent)


def tombstone(before: str, path: str) -> str:
    """What `/undeploy <name> purge` leaves: the app's name and its data volumes to
    delete, nothing that runs (`policies.apps.render.purged` names the claims)."""
    data = plain(before, path)
    meta = data["metadata"]
    doc = CommentedMap(apiVersion=data["apiVersion"], kind=deployment.KIND,
                       metadata=CommentedMap(name=meta["name"], namespace=meta["namespace"],
                                             env=meta["env"]),
                       spec=CommentedMap(app=data["spec"]["app"], purge=True))
    return (f"# {meta['name']} was removed with its data: applying this deletes its volumes.\n"
            "# A later /deploy under this name replaces it.\n" + dump(doc))


def _tombstone(text: str, path: str) -> bool:
    try:
        spec = plain(text, path).get("spec")
    except InvalidDocument:
        return False
    return isinstance(spec, Mapping) and spec.get("purge") is True


def facts(repo: PolicyRepo, main: str, config: RepoConfig,
          change_set: ChangeSet) -> dict[str, Any] | None:
    """`input.app` for a change of an AppDeployment (None for any other path, or a
    document that does not read)."""
    where = deployment.parse_app_path(change_set.path)
    if where is None:
        return None
    env, namespace, name = where
    try:
        after = plain(change_set.after_text, change_set.path) if change_set.after_text else None
        before = plain(change_set.before_text, change_set.path) \
            if change_set.before_text else None
    except InvalidDocument:
        return None
    found = entries(repo, main)
    spec = (after or before or {}).get("spec") or {}
    app = str(spec.get("app", ""))
    known = found.get(app)
    taken_by = None if before is None or deployment.is_tombstone(before) \
        else str((before.get("spec") or {}).get("app") or "") or None
    result: dict[str, Any] = {
        "app": app,
        "version": str(spec.get("version", "")),
        "versions": [v.tag for v in known.versions] if known else [],
        "parameters": _parameters(known, spec) if known else {},
        "taken": {"service": repo.read(main, service_path(env, namespace, name)) is not None,
                  "app": taken_by},
        "purge": spec.get("purge") is True,
        "quota": {},
    }
    if after is not None and known is not None and not spec.get("purge"):
        result["quota"] = _quota(repo, main, config, found, change_set.path, after)
    return result


def _parameters(known: CatalogEntry, spec: Mapping[str, Any]) -> dict[str, Any]:
    """The document's numeric parameters with the catalog's bounds, as numbers."""
    found = spec.get("parameters")
    given: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    shown: dict[str, Any] = {}
    for name, parameter in known.parameters.items():
        if parameter.type not in ("int", "quantity") or name not in given:
            continue
        value = given[name]
        if isinstance(value, bool) or not (isinstance(value, int)
                                           or quantity.is_quantity(value)):
            continue  # not a number at all: deployment.validate reports it
        item: dict[str, Any] = {"value": _number(value), "text": str(value)}
        if parameter.low is not None:
            item.update(min=_number(parameter.low), min_text=str(parameter.low))
        if parameter.high is not None:
            item.update(max=_number(parameter.high), max_text=str(parameter.high))
        shown[name] = item
    return shown


def _number(value: Any) -> float:
    return float(value) if isinstance(value, int) else float(quantity.parse(value))


def _quota(repo: PolicyRepo, main: str, config: RepoConfig,
           found: Mapping[str, CatalogEntry], path: str,
           after: Mapping[str, Any]) -> dict[str, Any]:
    """The namespace's total after the change against its quota, per resource quoted."""
    env, namespace, _name = deployment.parse_app_path(path) or ("", "", "")
    quota = _quota_of(config, env, namespace)
    if not quota:
        return {}
    total = sizing.Requests()
    folder = f"apps/{env}/{namespace}/"
    others = [p for p in repo.list_files(main, folder) if p != path]
    for other, text in repo.read_many(main, others).items():
        total += _requests(found, other, text)
    total += _requests(found, path, None, after)
    shown: dict[str, Any] = {}
    for resource, limit in quota.items():
        asked: Fraction = getattr(total, resource)
        text = quantity.cpu(asked) if resource == "cpu" else quantity.size(asked)
        shown[resource] = {"requested": _scaled(resource, asked), "requested_text": text,
                           "limit": _scaled(resource, quantity.parse(limit)),
                           "limit_text": str(limit)}
    return shown


def _quota_of(config: RepoConfig, env: str, namespace: str) -> dict[str, Any]:
    envs = config.config.get("environments") or {}
    namespaces = (envs.get(env) or {}).get("namespaces") or {}
    quota = (namespaces.get(namespace) or {}).get("quota") or {}
    return {k: quota[k] for k in _RESOURCES if k in quota and quantity.is_quantity(quota[k])}


def _scaled(resource: str, amount: Fraction) -> float:
    return float(amount * 1000) if resource == "cpu" else float(amount)


def _requests(found: Mapping[str, CatalogEntry], path: str, text: str | None,
              data: Mapping[str, Any] | None = None) -> sizing.Requests:
    """What one AppDeployment asks (nothing for a tombstone or a document that does not
    fit its catalog entry: `govbot check` reports those)."""
    try:
        data = data if data is not None else plain(text or "", path)
    except InvalidDocument:
        return sizing.Requests()
    spec = data.get("spec") if isinstance(data, Mapping) else None
    if not isinstance(spec, Mapping) or spec.get("purge") or spec.get("app") not in found:
        return sizing.Requests()
    if deployment.validate(data, path, found):
        return sizing.Requests()
    return sizing.app_requests(found[str(spec["app"])], data)
