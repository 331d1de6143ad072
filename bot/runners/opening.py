"""Open a change: edit → render check → guard → lock → commit → pull request.

Rendering is pure, so a document that could not be applied is refused here, at the
command, and never merged. Who may ask for what is the guard's decision alone
(`[authorization.*]`). The service's lock is taken in the same transaction that gives the
change its id; a second command on the same service is refused with the holder's id,
while commands on other services run in parallel.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping

from bot import logs
from bot.change import Change, ChangeSet
from bot.core.errors import ConfigError, Denied, GovbotError, InvalidDocument, UserError
from bot.core.events import Answer, ChangeOpened, Event
from bot.core.types import Author, Person, Scope
from bot.rollout import render_checked, render_context, with_callers
from bot.runners import Context, changesets, describing, merging, onboarding, whatif
from bot.runners.views import opened, view
from policies import hosts, intents, kinds
from policies.document import parse_service_path, plain, service_path
from policies.edits import owners

log = logging.getLogger("govbot.opening")
Origin = tuple[str, str]  # (platform, channel) where the change was asked for
KINDS_OWNED = (owners.FLAGGER, owners.ARGO_ROLLOUTS)


def run(ctx: Context, person: Person, scope: Scope, intent: intents.PolicyIntent,
        origin: Origin = ("", "")) -> list[Event]:
    """A policy intent (/canary, /ratelimit, …) on one service, asked for in `origin`
    (platform, channel). A service without a document is onboarded from the cluster in
    the same change, or refused (`onboarding`); what a controller in the cluster owns is
    refused as if the document named it (`live_owner`)."""
    merging.refuse_locked(ctx, scope, intent.service)
    main = ctx.main()
    if isinstance(intent, intents.Sync):
        refuse_taken(ctx, scope, intent.service, frozenset(KINDS_OWNED), main, "/sync")
    created = None
    if isinstance(intent, intents.Expose):
        intent = with_default_gateway(ctx, intent, main)
    if isinstance(intent, intents.Onboard):
        intent = onboarding.filled(ctx, scope, intent, main)
    else:
        created = onboarding.base(ctx, scope, intent, main)
    change_set = changesets.for_intent(ctx.repo, intent, scope, main, ctx.clock(), created,
                                       live_owner(ctx, scope, intent))
    return open_change(ctx, person, change_set, main, origin)


def with_default_gateway(ctx: Context, intent: intents.Expose, main: str) -> intents.Expose:
    """The /expose with govbot.yaml's `ingressGateway.gateway` of main as its default,
    fixed now so that a replay on a newer main writes the same document."""
    ingress = ctx.config(main).config.get("ingressGateway")
    gateway = ingress.get("gateway") if isinstance(ingress, Mapping) else None
    if gateway is None:
        return intent
    problem = hosts.gateway_problem(gateway) if isinstance(gateway, str) else "not a text"
    if problem:
        raise ConfigError(f"govbot.yaml ingressGateway.gateway: {problem}")
    return dataclasses.replace(intent, default_gateway=gateway)


def live_owner(ctx: Context, scope: Scope, intent: intents.PolicyIntent) -> str | None:
    """The controller the cluster shows steering the service, asked only for a kind that
    a controller may own."""
    if not kinds.of(intent).owned_by:
        return None
    return ctx.live.owner(scope.env, scope.namespace, intent.service)


def refuse_taken(ctx: Context, scope: Scope, service: str, owned_by: frozenset[str],
                 main: str, verb: str) -> None:
    """Refuse what would take fields a controller in the cluster owns, when the document
    does not record that controller (then govbot renders those objects and would
    overwrite the controller's fields, with force for /sync)."""
    owner = ctx.live.owner(scope.env, scope.namespace, service)
    if owner is None or owner not in owned_by:
        return
    text = ctx.repo.read(main, service_path(scope.env, scope.namespace, service)) or ""
    if f"managedBy: {owner}" in text:
        return
    why = owners.refusal(owner, frozenset({owner}), service, live=True)
    raise UserError(f"{verb} {service} would overwrite what {owner} owns in the cluster. "
                    f"{why}")


def rollback(ctx: Context, person: Person, scope: Scope, intent: intents.Rollback,
             origin: Origin = ("", "")) -> list[Event]:
    """/rollback <change> or <svc>: the exact inverse of a merged change."""
    original = changesets.rollback_target(ctx.store, scope, intent.change_id, intent.service)
    merging.refuse_locked(ctx, original.scope, original.service)
    main = ctx.main()
    owned = next((k.owned_by for k in kinds.KINDS if k.action == original.action), frozenset())
    refuse_taken(ctx, original.scope, original.service, owned, main, "/rollback")
    return open_change(ctx, person, changesets.for_rollback(ctx.repo, original, main), main,
                       origin)


def open_change(ctx: Context, person: Person, change_set: ChangeSet, main: str,
                origin: Origin = ("", "")) -> list[Event]:
    if change_set.empty:
        return [Answer(f"nothing to change: {change_set.summary}")]
    config = ctx.config(main)
    check_renders(ctx, change_set, main)
    decision = ctx.decide(change_set, person.id, ())
    if not decision.allow:
        raise Denied(decision.deny, header=f"{change_set.summary} ({change_set.scope}) denied")
    change = ctx.store.open_change(change_set, person.id, main, decision)
    logs.working_on(change.id)
    try:
        if origin[0]:
            describing.remember_origin(ctx, change.id, *origin)
        head = ctx.repo.commit(main, {change.path: change_set.after_text},
                               Author(person.name, person.email),
                               changesets.commit_message(change_set, change.id, person.id))
        change = ctx.store.published(change.id, head)
        url = ctx.forge.open(change, describing.body(ctx, change, decision, []))
        change = ctx.store.published(change.id, head, url)
    except Exception:
        _withdraw(ctx, change)
        raise
    describing.set_status(ctx, change, decision)
    groups = frozenset(a for a in decision.approvers if config.is_group(a))
    text = "\n".join(t for t in (opened(change, decision, groups),
                                  _whatif_line(ctx, change_set),
                                  _gate_line(ctx, change_set), _page_line(ctx, change)) if t)
    events: list[Event] = [ChangeOpened(view(ctx, change), text)]
    if decision.mergeable:
        with ctx.holding(change.id):
            events += merging.merge(ctx, change)
    return events


def _page_line(ctx: Context, change: Change) -> str:
    """Where the dashboard shows the change, when GOVBOT_PUBLIC_URL is set."""
    page = ctx.links.change(change.id)
    return f"on the dashboard: {page}" if page else ""


def _whatif_line(ctx: Context, change_set: ChangeSet) -> str:
    """For a new rate limit, what it would have rejected in the last 24h (Prometheus)."""
    intent = change_set.intent
    if not (isinstance(intent, intents.RateLimit) and intent.mode == "set"
            and intent.requests is not None and intent.per is not None):
        return ""
    return whatif.line(ctx, change_set.scope, intent.service, intent.requests, intent.per)


def _gate_line(ctx: Context, change_set: ChangeSet) -> str:
    """For a progressive plan with a gate, a warning when the environment has no
    Prometheus to judge it: its steps would wait for data that never comes."""
    intent, env = change_set.intent, change_set.env
    if not (isinstance(intent, intents.Canary) and intent.step_by is not None
            and (intent.gate_success is not None or intent.gate_p99 is not None)):
        return ""
    if ctx.history.configured(env):
        return ""
    return (f"warning: no Prometheus is configured for {env}, so this plan's gate will have "
            f"no data and its steps will wait; set GOVBOT_PROMETHEUS_URL or "
            f"environments.{env}.prometheus")


def _withdraw(ctx: Context, change: Change) -> None:
    """Forget a change that could not be opened, and its branch if it was pushed: no
    branch without a pull request, no pull request without a change."""
    ctx.store.discard(change.id)
    if change.head_sha:
        try:
            ctx.forge.close(change)
        except GovbotError as error:
            log.warning("withdrawing #%s: %s", change.id, error)


def check_renders(ctx: Context, change_set: ChangeSet, main: str) -> None:
    """Refuse a change whose document could not be applied (UserError with the reason)."""
    if parse_service_path(change_set.path) is None:
        return
    context = render_context(ctx.config(main), ctx.clock())
    after = change_set.after_text
    try:
        data = plain(after, change_set.path) if after is not None else None
        context = with_callers(ctx.repo, main, change_set.path, data, context)
        render_checked(None, after, change_set.path, context, data)
    except InvalidDocument as error:
        raise UserError(f"{change_set.summary} {_not_applicable(ctx, change_set, main, error)}"
                        f", so it was not opened: {'; '.join(error.problems)}") from error


def _not_applicable(ctx: Context, change_set: ChangeSet, main: str,
                    error: InvalidDocument) -> str:
    """Why rendering refused: the namespace's data plane cannot carry the policy
    (`[mesh.*]`, with its reason and alternatives), or the document cannot be applied."""
    if error.problems and all(p.startswith("[mesh.") for p in error.problems):
        plane = ctx.config(main).mesh(change_set.env, change_set.namespace)
        return f"is not available in {plane.mode} mode ({change_set.scope})"
    return "cannot be applied"
