"""/drift [<svc>]: what the cluster runs against what main renders. Read-only.

For each service document of main it renders the objects (as the apply target would
apply them now) and compares them with the live objects carrying the document's
`govbot.dev/source` label (`policies.drift`). `/status <svc>` adds one line from
`drift_line`. The directory target reads no cluster: then /drift says where drift is seen
instead (the GitOps controller that syncs the folder) and /status says nothing of it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from bot.core.errors import GovbotError, InvalidDocument, NotFound, UserError
from bot.core.events import Answer, Event
from bot.core.types import Scope
from bot.rollout import render_context, with_callers
from bot.runners import Context
from policies.document import closest, plain, service_path
from policies.drift import Difference, drift
from policies.render import SOURCE, render, source_label

SERVICES_SHOWN = 50
FIELDS_SHOWN = 20
NO_CLUSTER = ("/drift compares the cluster with main, and this govbot writes manifests to a "
              "folder (GOVBOT_APPLY=directory) for a GitOps controller to apply, so it reads "
              "no cluster: the controller shows drift (argocd app diff, flux diff "
              "kustomization). With GOVBOT_APPLY=kubernetes govbot compares them itself")


def run(ctx: Context, scope: Scope, service: str | None) -> list[Event]:
    if not ctx.live.reads_cluster:
        raise UserError(NO_CLUSTER)
    main = ctx.main()
    folder = f"services/{scope.env}/{scope.namespace}/"
    paths = ctx.repo.list_files(main, folder)
    if service is not None:
        return [Answer(_one(ctx, scope, main, service, paths))]
    if not paths:
        return [Answer(f"no services in {scope} yet, so nothing can drift")]
    live = _by_source(ctx.live.objects(scope.env, scope.namespace, None))
    shown = paths[:SERVICES_SHOWN]
    texts = ctx.repo.read_many(main, shown)
    lines: list[str] = []
    steady = 0
    for path in shown:
        name = path.removeprefix(folder).removesuffix(".yaml")
        found = _compare(ctx, main, path, texts.get(path), live.get(source_label(path), []))
        if isinstance(found, str):
            lines.append(f"{name}: {found}")
        elif found:
            lines += [f"{name}: {_count(found)} from main; /sync {name} restores them",
                      *_listed(found)]
        else:
            steady += 1
    known = {source_label(p) for p in paths}
    lines += [f"{label}: objects labelled with it are live, but main has no such document "
              "(the next apply of it prunes them)" for label in sorted(set(live) - known)]
    if len(paths) > len(shown):
        lines.append(f"… {len(paths) - len(shown)} more services not checked; "
                     "/drift <svc> checks one")
    if not lines:
        return [Answer(f"no drift in {scope}: the cluster holds what main renders for "
                       f"{steady} service{'s' * (steady != 1)}")]
    tail = [f"no drift in {steady} other service{'s' * (steady != 1)}"] if steady else []
    return [Answer("\n".join([f"drift in {scope}:", *lines, *tail]))]


def drift_line(ctx: Context, scope: Scope, service: str, text: str) -> str:
    """The line /status adds when the cluster differs from main ("" when it does not,
    or when there is no cluster to read); a cluster that cannot be read is said so."""
    if not ctx.live.reads_cluster:
        return ""
    path = service_path(scope.env, scope.namespace, service)
    try:
        live = ctx.live.objects(scope.env, scope.namespace, source_label(path))
        found = _compare(ctx, ctx.main(), path, text, live)
    except GovbotError as error:
        return f"drift: unknown, {error}"
    if isinstance(found, str) or not found:
        return ""
    return (f"drift: the cluster shows {_count(found)} from main; /drift {service} "
            f"lists them, /sync {service} restores main")


def _one(ctx: Context, scope: Scope, main: str, service: str, paths: Sequence[str]) -> str:
    path = service_path(scope.env, scope.namespace, service)
    text = ctx.repo.read(main, path)
    if text is None:
        folder = f"services/{scope.env}/{scope.namespace}/"
        near = closest(service, [p.removeprefix(folder).removesuffix(".yaml") for p in paths],
                       cutoff=0.8)
        hint = f" Did you mean {near}?" if near else ""
        raise NotFound(f"{service} has no policy document in {scope}, so main renders nothing "
                       f"to compare.{hint}")
    found = _compare(ctx, main, path, text,
                     ctx.live.objects(scope.env, scope.namespace, source_label(path)))
    if isinstance(found, str):
        return f"{service} in {scope}: {found}"
    if not found:
        return f"{service} in {scope}: no drift, the cluster holds what main renders"
    return "\n".join([f"{service} in {scope}: {_count(found)} from main; "
                      f"/sync {service} applies main again", *_listed(found)])


def _compare(ctx: Context, main: str, path: str, text: str | None,
             live: Sequence[Mapping[str, Any]]) -> list[Difference] | str:
    """The differences of one document's objects; why they cannot be known (a document
    main cannot render) as text."""
    if text is None:
        return "main no longer has its document"
    try:
        data = plain(text, path)
        context = with_callers(ctx.repo, main, path, data,
                               render_context(ctx.config(main), ctx.clock()))
        rendered = render(data, path, context)
    except InvalidDocument as error:
        return f"main's document cannot be rendered, so nothing is compared ({error})"
    return drift(rendered, live)


def _by_source(objects: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    grouped: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for obj in objects:
        metadata = obj.get("metadata")
        labels = metadata.get("labels") if isinstance(metadata, Mapping) else None
        label = labels.get(SOURCE) if isinstance(labels, Mapping) else None
        if isinstance(label, str):
            grouped[label].append(obj)
    return grouped


def _count(found: Sequence[Difference]) -> str:
    return f"{len(found)} difference{'s' * (len(found) != 1)}"


def _listed(found: Sequence[Difference]) -> list[str]:
    lines = [f"  {difference}" for difference in found[:FIELDS_SHOWN]]
    if len(found) > FIELDS_SHOWN:
        lines.append(f"  … and {len(found) - FIELDS_SHOWN} more")
    return lines


def drifted(ctx: Context, main: str, scope: Scope) -> dict[str, str]:
    """Each service of `scope` whose live objects differ from what main renders, with
    what /drift <svc> says of it (reconcile reports these); one read of the cluster for
    the namespace, nothing without a cluster to read. A document main cannot render is
    left to its apply, which reports it."""
    if not ctx.live.reads_cluster:
        return {}
    folder = f"services/{scope.env}/{scope.namespace}/"
    paths = ctx.repo.list_files(main, folder)
    if not paths:
        return {}
    live = _by_source(ctx.live.objects(scope.env, scope.namespace, None))
    texts = ctx.repo.read_many(main, paths)
    found: dict[str, str] = {}
    for path in paths:
        name = path.removeprefix(folder).removesuffix(".yaml")
        differences = _compare(ctx, main, path, texts.get(path),
                               live.get(source_label(path), []))
        if differences and not isinstance(differences, str):
            found[name] = "\n".join([f"{name} in {scope}: {_count(differences)} from main; "
                                     f"/sync {name} applies main again",
                                     *_listed(differences)])
    return found
