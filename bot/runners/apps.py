"""The app store's runners: `/store`, `/deploy`, `/undeploy` and `/status` of an app.

`/deploy` and `/undeploy` open a change of `apps/<env>/<namespace>/<name>.yaml` through
the same loop as every policy change (`opening.open_change`: guard, branch, pull request,
approvals, merge, apply); what the change does is `appchanges.for_app`, so a replay on a
newer main computes it the same way. A document that would not render is refused before
anything is written, like a service's.

Example (console):
    alice> /deploy redis from store as cache
    #7 opened: deploys redis 7.4.2 as cache (dev/demo) …
"""

from __future__ import annotations

from bot.core.errors import InvalidDocument, UserError
from bot.core.events import Answer, Event
from bot.core.types import Person, Scope
from bot.runners import Context, appchanges, merging, opening
from bot.runners.opening import Origin
from policies import intents
from policies.apps import deployment, listing, render, sizing
from policies.document import plain


def store(ctx: Context, query: intents.StoreQuery) -> list[Event]:
    """/store: the apps of main's catalog; /store <app>: its parameters and bounds."""
    found = appchanges.entries(ctx.repo, ctx.main())
    if not found:
        return [Answer("the app store is empty: main has no valid entry under catalog/ "
                       "(govbot check says why)")]
    if query.app is None:
        return [Answer("\n".join(["apps (/store <app> shows one's parameters):",
                                  *listing.overview(found)]))]
    return [Answer("\n".join(listing.details(appchanges.entry(found, query.app))))]


def change(ctx: Context, person: Person, scope: Scope,
           intent: intents.Deploy | intents.Undeploy, origin: Origin = ("", "")
           ) -> list[Event]:
    """/deploy or /undeploy: one change of the app's document, or a refusal that writes
    nothing."""
    merging.refuse_locked(ctx, scope, intent.service)
    main = ctx.main()
    change_set = appchanges.for_app(ctx.repo, intent, scope, main)
    if change_set.after_text is not None:
        try:
            data = plain(change_set.after_text, change_set.path)
            render.render(data, change_set.path, appchanges.entries(ctx.repo, main))
        except InvalidDocument as error:
            raise UserError(f"{change_set.summary} cannot be applied, so it was not opened: "
                            f"{'; '.join(error.problems)}") from error
    return opening.open_change(ctx, person, change_set, main, origin)


def exists(ctx: Context, scope: Scope, name: str) -> bool:
    """Whether main has an app (not a tombstone) of this name in the scope."""
    path = deployment.app_path(scope.env, scope.namespace, name)
    text = ctx.repo.read(ctx.main(), path)
    return text is not None and not deployment.is_tombstone(plain(text, path))


def status(ctx: Context, scope: Scope, name: str) -> list[Event]:
    """/status <name> of an app: its entry, version, parameters, requests, open change
    and what the apply target last applied."""
    main = ctx.main()
    path = deployment.app_path(scope.env, scope.namespace, name)
    data = plain(ctx.repo.read(main, path) or "", path)
    spec = data["spec"]
    found = appchanges.entries(ctx.repo, main)
    lines = [f"{name} ({scope}): {spec['app']} {spec['version']} from the app store "
             f"({path})"]
    parameters = spec.get("parameters") or {}
    lines.append("parameters: " + (", ".join(f"{k}={_shown(v)}" for k, v in
                                              parameters.items()) or "none"))
    if "secret" in spec:
        lines.append(f"secret: {render.secret_name(data) or 'generated'} (a reference; "
                     "its value is never shown)")
    entry = found.get(str(spec["app"]))
    if entry is not None and not deployment.validate(data, path, found):
        lines.append(f"requests: {sizing.app_requests(entry, data).describe()}")
        lines.append(f"objects: {render.describe(render.render(data, path, found))}")
    applied = ctx.store.applied(ctx.rollout.target_name)
    lines.append("applied: " + ("yes, main is applied" if applied == main
                                else "not yet: main is being applied"))
    held = ctx.store.holder(scope.env, scope.namespace, name)
    if held is not None:
        lines.append(f"open change: #{held.id} by {held.requester}")
    return [Answer("\n".join(lines))]


def _shown(value: object) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)
