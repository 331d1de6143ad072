"""/mesh: a namespace's data plane (sidecar or ambient), read or switched through a change.

- `query` answers the namespace's mode as main's govbot.yaml says it, the Gateway API
  channel and what the mode cannot carry (`policies.mesh`).
- `switch` opens one change of govbot.yaml (`changesets.for_mesh`), judged by main's
  rules like any change of the guardrails (governance approvals). Before it is opened,
  every service of the namespace must render for the new mode: a section the mode cannot
  carry (a rate limit, a fault) is named, with what to do, and nothing is opened. Once
  merged, the rollout renders the namespace again and applies it in steps
  (`policies.plan.steps`, docs/ambient.md).

Example:
    events = switch(ctx, person, Scope("prod", "demo"), MeshSwitch("demo", "ambient"))
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from bot.config import Binding, RepoConfig
from bot.core.errors import InvalidDocument, UsageError, UserError
from bot.core.events import Answer, Event
from bot.core.types import Person, Scope
from bot.rollout import render_checked, render_context, with_callers
from bot.runners import Context, changesets, merging, opening
from policies import dataplane, intents
from policies import mesh as planes
from policies.document import parse_service_path, plain
from policies.render_gateway import retry_codes

# Every section a mode may refuse, so that `unsupported` lists all of a mode's refusals.
_PROBE = {"fault": {"abort": {"httpStatus": 503, "percent": 1}}, "rateLimit": {},
          "retries": {"attempts": 1}}


def where(config: RepoConfig, bound: Binding | None, env: str | None,
          namespace: str | None) -> Scope:
    """The namespace a /mesh names (the channel's when none is), in --env or the
    channel's environment; UsageError naming what govbot.yaml declares otherwise."""
    env = env or (bound.env if bound else None)
    namespace = namespace or (bound.namespace if bound else None)
    environments = config.environments()
    if env is None or env not in environments:
        known = ", ".join(sorted(environments))
        problem = (f"unknown environment {env!r}; govbot.yaml defines {known}" if env
                   else "this channel is not bound to an environment in govbot.yaml")
        raise UsageError(problem, usage="/mesh <ns> [sidecar|ambient] --env <env>",
                         example="/mesh demo ambient --env prod")
    body = environments[env]
    declared = body.get("namespaces") if isinstance(body, Mapping) else None
    names = sorted(declared) if isinstance(declared, Mapping) else []
    if namespace is None or namespace not in names:
        problem = (f"unknown namespace {namespace!r} in {env}; govbot.yaml defines "
                   f"{', '.join(names) or 'none'}" if namespace
                   else "name the namespace: this channel is bound to none")
        raise UsageError(problem, usage="/mesh <ns> [sidecar|ambient] --env <env>",
                         example=f"/mesh {names[0] if names else 'demo'} --env {env}")
    return Scope(env, namespace)


def query(ctx: Context, scope: Scope) -> list[Event]:
    """/mesh [<ns>]: the mode, the channel, and what the mode cannot carry."""
    mesh = ctx.config(ctx.main()).mesh(scope.env, scope.namespace)
    other = planes.SIDECAR if mesh.mode == planes.AMBIENT else planes.AMBIENT
    lines = [f"{scope.namespace} ({scope.env}) runs {mesh.mode} mode; "
             f"gatewayApi.channel: {mesh.channel}"
             f"{'; ambient faults take the alpha path' if mesh.alpha_faults else ''}"]
    refused = planes.unsupported(_PROBE, mesh)
    if refused:
        lines.append(f"what {mesh.mode} mode cannot carry here:")
        lines += [f"• {r.text()}" for r in refused]
    else:
        lines.append(f"every policy applies in {mesh.mode} mode")
    lines.append(f"/mesh {scope.namespace} {other} --env {scope.env} switches it through a "
                 "change of govbot.yaml (docs/ambient.md)")
    return [Answer("\n".join(lines))]


def switch(ctx: Context, person: Person, scope: Scope, intent: intents.MeshSwitch,
           origin: opening.Origin = ("", "")) -> list[Event]:
    """/mesh <ns> sidecar|ambient: the change of govbot.yaml, or "nothing to change"."""
    main = ctx.main()
    config = ctx.config(main)
    current = config.mesh(scope.env, scope.namespace)
    if current.mode == intent.mode:
        return [Answer(f"nothing to change: {scope.namespace} in {scope.env} runs "
                       f"{intent.mode} mode already")]
    merging.refuse_locked(ctx, scope, dataplane.CONFIG)
    change_set = changesets.for_mesh(ctx.repo, intent, scope.env, main)
    _refuse_unrenderable(ctx, scope, main, replace(current, mode=intent.mode))
    return opening.open_change(ctx, person, change_set, main, origin)


def _refuse_unrenderable(ctx: Context, scope: Scope, main: str, mesh: planes.Mesh) -> None:
    """UserError naming each service of the namespace that `mesh` cannot carry, and why,
    with the command that takes each such section off: a merged switch must never leave
    a document that cannot be applied."""
    folder = f"services/{scope.env}/{scope.namespace}/"
    paths = [p for p in ctx.repo.list_files(main, folder) if parse_service_path(p)]
    context = render_context(ctx.config(main), ctx.clock())
    context = replace(context, meshes={**context.meshes, (scope.env, scope.namespace): mesh})
    problems: list[str] = []
    fixes: list[str] = []
    for path, text in sorted(ctx.repo.read_many(main, paths).items()):
        service = (parse_service_path(path) or ("", "", path))[2]
        spec: Mapping[str, Any] = {}
        try:
            data = plain(text, path)
            if isinstance(data.get("spec"), Mapping):
                spec = data["spec"]
            refused = planes.unsupported(spec, mesh)
            problems += [f"• {service}: {r.text()}" for r in refused]
            fixes += [_fix(service, r.section) for r in refused]
            if not refused:
                render_checked(None, text, path, with_callers(ctx.repo, main, path, data,
                                                              context), data)
        except InvalidDocument as error:
            problems.append(f"• {service}: {'; '.join(error.problems)}")
            fixes += [_fix(service, "retryOn")] if _unstated_retries(spec, mesh) else []
    if problems:
        first = (f"take those sections off first ({'; '.join(fixes)})" if fixes
                 else "correct those documents first")
        raise UserError("\n".join([
            f"{scope.namespace} in {scope.env} cannot switch to {mesh.mode} mode: these "
            "services hold what it cannot carry, so nothing was opened:", *problems,
            f"{first}, then /mesh {scope.namespace} {mesh.mode} --env {scope.env} again"]))


def _fix(service: str, section: str) -> str:
    """The command that takes `section` (a `policies.mesh` refusal's, or `retryOn`: retry
    conditions an HTTPRoute cannot state) off `service`."""
    match section:
        case "fault":
            return f"/fault {service} off"
        case "rateLimit":
            return f"/ratelimit {service} off"
        case "retryOn":
            return (f"/timeout {service} <d> without retries, or /timeout {service} <d> "
                    "retries <n> on 5xx")
        case _:
            return f"/timeout {service} <d> without retries"


def _unstated_retries(spec: Mapping[str, Any], mesh: planes.Mesh) -> bool:
    """Whether the retries' `retryOn` names a condition an HTTPRoute cannot state (the
    refusal `policies.render_ambient` gives once the channel carries retries)."""
    retries = spec.get("retries")
    if mesh.mode != planes.AMBIENT or not isinstance(retries, Mapping):
        return False
    return bool(retry_codes(str(retries.get("retryOn", "")))[1])
