"""/dashboard, and what the dashboard may show a person.

`link` answers /dashboard (alias 看板) with a signed login link for the person who asked,
privately (`Answer.private`). `visible` lists the environments and namespaces a person
may see: those where main's guardrails would let them request a change or count them as
an approver — the guard is asked, so access.yaml's grants are read in one place only
(rego/lib/access.rego).

Example:
    link(ctx, person)          # [Answer("your dashboard … https://…/ui/login?token=…")]
    visible(ctx, person)       # [Scope("dev", "demo"), …]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from bot.core.events import Answer, Event
from bot.core.types import Person, RuleSet, Scope
from bot.guard.input import file_input
from bot.runners import Context

NOT_PUBLISHED = ("the dashboard is not published: the operators set GOVBOT_PUBLIC_URL to "
                 "where govbot serve is reached (see docs/dashboard.md)")
AUTHORIZATION = ("[authorization.no_grant]", "[authorization.unknown_person]")


def link(ctx: Context, person: Person) -> list[Event]:
    """A login link for `person`, valid for the configured time, told only to them."""
    if not ctx.links.base:
        return [Answer(NOT_PUBLISHED, ok=False)]
    url, expires = ctx.links.login(person.id, ctx.clock())
    until = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
    return [Answer(f"your dashboard link, for you only, valid until {until} "
                   f"(do not share it): {url}", private=True)]


def namespaces(ctx: Context, main: str) -> list[Scope]:
    """Every (env, namespace) main knows of: govbot.yaml's environments, their declared
    namespaces and channel bindings, and the folders under services/<env>/."""
    config = ctx.config(main)
    found: set[tuple[str, str]] = set()
    for env, body in config.environments().items():
        declared = body.get("namespaces") if isinstance(body, Mapping) else None
        found.update((str(env), str(ns)) for ns in (declared or ()) if str(ns) != "*")
        found.update((str(env), ns) for ns in ctx.repo.list_folders(main, f"services/{env}/"))
    found.update((b.env, b.namespace) for b in config.bindings()
                 if b.env in config.environments() and b.namespace != "*")
    return [Scope(env, ns) for env, ns in sorted(found)]


def visible(ctx: Context, person: Person) -> list[Scope]:
    """The namespaces `person` may see: where the guard, with main's rules, finds them a
    requester (no authorization deny) or an approver."""
    main = ctx.main()
    rules, _config = ctx.rules.at(main)
    return [scope for scope in namespaces(ctx, main) if _may_see(ctx, rules, person, scope)]


def may_see(ctx: Context, person: Person, env: str, namespace: str) -> bool:
    """Whether `person` may see `env`/`namespace` (the same question as `visible`)."""
    rules, _config = ctx.rules.at(ctx.main())
    return _may_see(ctx, rules, person, Scope(env, namespace))


def _may_see(ctx: Context, rules: RuleSet, person: Person, scope: Scope) -> bool:
    path = f"services/{scope.env}/{scope.namespace}/dashboard.yaml"
    decision = ctx.guard.decide(rules, file_input(
        "status", path, None, None, person, [], ctx.clock(),
        scope=(scope.env, scope.namespace, "dashboard")))
    refused = any(reason.startswith(AUTHORIZATION) for reason in decision.deny)
    return not refused or person.id in decision.approvers
