"""The policy kinds: everything govbot knows of each governance policy, in one tuple.

A kind is what one policy command governs: the document sections it owns and their
checks, its intent and the edit that applies it, the objects it renders, its line in
`/status` and `/policies`, its usage line and which controllers own it. `policies.edit`,
`policies.render`, `policies.status`, `policies.document.validate` and the command
modules read KINDS; nothing else lists the kinds (docs/policy-kinds.md says how to add
one).

Example:
    >>> of(Canary("svc-user", "set", 20)).action
    'canary'
    >>> [kind.action for kind in KINDS if "release" in kind.sections]
    ['canary', 'bluegreen']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import UsageError
from policies import status_lines
from policies.checks import fields, resilience, service, traffic
from policies.edits import (
    access,
    expiry,
    exposure,
    faults,
    onboard,
    release,
    routing,
    sync,
    template,
)
from policies.edits import resilience as resilience_edits
from policies.edits.owners import ARGO_ROLLOUTS, FLAGGER
from policies.edits.section import Where
from policies.intents import (
    BlueGreen,
    Canary,
    CircuitBreak,
    Deploy,
    Expire,
    Expose,
    Fault,
    Onboard,
    RateLimit,
    Route,
    Scale,
    Sync,
    TemplateApply,
    Timeout,
    Undeploy,
    Unexpose,
    Whitelist,
)
from policies.render_ambient import (
    CANARY_SERVICE,
    DESTINATION_RULE,
    HTTP_ROUTE,
    STABLE_SERVICE,
    VIRTUAL_SERVICE,
)
from policies.render_ratelimit import ENVOY_FILTER
from policies.render_scale import AUTOSCALER
from policies.render_security import AUTHORIZATION_POLICY, ZTUNNEL_POLICY
from policies.rendering import Renderer
from policies.status_lines import StatusLine

Check = Callable[[Any, str], list[str]]
_I = TypeVar("_I")


@dataclass(frozen=True)
class PolicyKind(Generic[_I]):
    """One governance policy kind.

    `checks` maps each document section the kind owns (under `spec`) to its check;
    `renders` are the objects it contributes to, in apply order; `status` its line in
    /status (None: it owns no policy section); `owned_by` names the controllers
    (`spec.managedBy`) that own the kind, so govbot refuses it there. A kind that
    `creates` makes a service's document and is refused where one exists. A kind with
    `whole_document` edits the document itself (its metadata), not its spec. An
    `automatic` kind has no command: only govbot opens it (the end of a time box).
    """

    intent: type[_I]
    usage: str
    edit: Callable[[CommentedMap, _I, Where], str]
    checks: Mapping[str, Check]
    renders: tuple[Renderer, ...]
    status: StatusLine | None
    owned_by: frozenset[str] = frozenset()
    creates: bool = False
    whole_document: bool = False
    automatic: bool = False

    @property
    def action(self) -> str:
        """The command name and the intent's `action`, like `canary`."""
        return str(getattr(self.intent, "action"))  # noqa: B009 -- a class attribute

    @property
    def sections(self) -> tuple[str, ...]:
        return tuple(self.checks)


# Backends before the routes that use them: the version Services (ambient), the
# DestinationRule, then the HTTPRoute (ambient) or the VirtualService.
_TRAFFIC = (STABLE_SERVICE, CANARY_SERVICE, DESTINATION_RULE, HTTP_ROUTE, VIRTUAL_SERVICE)
_TIMING = (HTTP_ROUTE, VIRTUAL_SERVICE)
_BOTH = frozenset({FLAGGER, ARGO_ROLLOUTS})
_FLAGGER = frozenset({FLAGGER})

CANARY = PolicyKind(
    Canary, "/canary <svc> <0-100>% [to <version>] [for <d> | step <n> every <d> until <p>% "
    "[gate success>=<p>% p99<<d>]] | promote | abort | pause | resume", release.canary,
    {"release": service.release}, _TRAFFIC, status_lines.RELEASE, _BOTH)
BLUEGREEN = PolicyKind(
    BlueGreen, "/bluegreen <svc> switch | to <version>", release.bluegreen,
    {"release": service.release}, _TRAFFIC, status_lines.RELEASE, _BOTH)
ROUTE = PolicyKind(
    Route, "/route <svc> header <k>=<v> [prefix|regex] -> <version> [for <d>] | "
    "cookie <k>=<v> -> <version> [for <d>] | clear", routing.route,
    {"routes": traffic.routes}, _TRAFFIC, status_lines.ROUTES, _FLAGGER)
RATELIMIT = PolicyKind(
    RateLimit, "/ratelimit <svc> <n>/<duration> [header <k>=<v>] [shadow] [for <d>] | "
    "enforce | off | on",
    resilience_edits.rate_limit, {"rateLimit": traffic.rate_limit}, (ENVOY_FILTER,),
    status_lines.RATE_LIMIT)
CIRCUITBREAK = PolicyKind(
    CircuitBreak, "/circuitbreak <svc> 5xx=<n> interval=<d> eject=<d> [maxeject=<p>%] "
    "[maxconn=<n>] [pending=<n>] | off | on", resilience_edits.circuit_break,
    {"circuitBreaker": resilience.circuit_breaker}, (DESTINATION_RULE,),
    status_lines.CIRCUIT_BREAKER, _FLAGGER)
WHITELIST = PolicyKind(
    Whitelist, "/whitelist <svc> allow <svc>[,<ns>/<svc>…] | remove <svc> | off | on",
    access.whitelist, {"allowFrom": resilience.allow_from},
    (AUTHORIZATION_POLICY, ZTUNNEL_POLICY), status_lines.WHITELIST)
FAULT = PolicyKind(
    Fault, "/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | abort off | "
    "delay off | on | off",
    faults.fault, {"fault": traffic.fault}, _TIMING, status_lines.FAULT, _FLAGGER)
TIMEOUT = PolicyKind(
    Timeout, "/timeout <svc> <d> [retries <n> [per <d>] [on <conditions>]] | off",
    resilience_edits.timeout, {"timeout": traffic.timeout, "retries": traffic.retries},
    _TIMING, status_lines.TIMEOUT, _FLAGGER)
SCALE = PolicyKind(
    Scale, "/scale <svc> min <n> max <n> cpu <p>% | on | off", resilience_edits.scale,
    {"autoscale": resilience.autoscale}, (AUTOSCALER,), status_lines.AUTOSCALE)
# The exposure routes the service's traffic at the ingress gateway too, so it renders
# into the traffic objects. `exposed` is a service field (SERVICE_FIELDS checks it; a
# legacy `true` only keeps the gateway on the whitelist), so, like /onboard, the kinds
# own no section.
EXPOSE = PolicyKind(
    Expose, "/expose <svc> host <h>[,<h>…] [gateway <ns/name>]", exposure.expose, {},
    _TRAFFIC, status_lines.EXPOSED, _FLAGGER)
UNEXPOSE = PolicyKind(Unexpose, "/unexpose <svc>", exposure.unexpose, {}, _TRAFFIC,
                      status_lines.EXPOSED, _FLAGGER)
ONBOARD = PolicyKind(
    Onboard, "/onboard <svc> [port <p>] [versions <v1>,<v2>] [account <sa>]", onboard.onboard,
    {}, (), None, creates=True)
SYNC = PolicyKind(Sync, "/sync <svc>", sync.sync, {}, (), None, whole_document=True)
# govbot's revert of time-boxed parts that ended; it owns no section of its own
EXPIRE = PolicyKind(Expire, "(opened by govbot when a `for <d>` ends)", expiry.expire, {},
                    (), None, automatic=True)
# /template apply: a saved template's sections on one service; it owns no section of its
# own, and touches what a Flagger canary owns (circuit breaker, fault, timeout)
TEMPLATE = PolicyKind(TemplateApply, "/template save <name> from <svc> | apply <name> to "
                      "<svc>[,<svc>…] | list | show <name>",
                      template.apply, {}, (), None, _FLAGGER)


def _app_edit(spec: CommentedMap, intent: Any, where: Where) -> str:
    # An app's document is written whole by bot/runners/apps.py, never edited as a service.
    raise UsageError(f"/{intent.action} changes an AppDeployment (apps/), not the service "
                     f"document {where.path}")


# The app store's kinds: their document is an AppDeployment (policies/apps), not a
# ServicePolicy, so they own no section and render nothing here.
DEPLOY = PolicyKind(Deploy, "/deploy <app> from store [version <v>] [as <name>] "
                    "[set <k>=<v> …]", _app_edit, {}, (), None)
UNDEPLOY = PolicyKind(Undeploy, "/undeploy <name> [purge]", _app_edit, {}, (), None)

# In the order a document shows their sections; the objects render in this order too.
KINDS: tuple[PolicyKind[Any], ...] = (
    CANARY, BLUEGREEN, ROUTE, RATELIMIT, CIRCUITBREAK, WHITELIST, FAULT, TIMEOUT, SCALE,
    EXPOSE, UNEXPOSE, ONBOARD, SYNC, EXPIRE, TEMPLATE, DEPLOY, UNDEPLOY)

# The service's own fields, which no policy kind owns, in the order a document shows them.
SERVICE_FIELDS: dict[str, Check] = {
    "port": service.port,
    "targetPort": service.target_port,
    "selector": service.selector,
    "serviceAccount": service.service_account,
    "exposed": service.exposed,
    "managedBy": service.managed_by,
    "versions": service.versions,
}
REQUIRED_SPEC_FIELDS = ("port", "selector", "versions")
SPEC_FIELDS: dict[str, Check] = {
    **SERVICE_FIELDS,
    **{key: check for kind in KINDS for key, check in kind.checks.items()},
}


def of(intent: object) -> PolicyKind[Any]:
    """The kind of a policy intent; ValueError for anything else."""
    for kind in KINDS:
        if isinstance(intent, kind.intent):
            return kind
    raise ValueError(f"{intent!r} is not a policy intent")


def renderers() -> list[Renderer]:
    """Every object builder once, in apply order (the order KINDS first names them)."""
    found: list[Renderer] = []
    for kind in KINDS:
        found += [renderer for renderer in kind.renders if renderer not in found]
    return found


def spec_problems(data: Mapping[str, Any]) -> list[str]:
    """Every problem of a spec mapping, field by field, then across fields."""
    problems = fields.unknown(data, tuple(SPEC_FIELDS), "spec.")
    for name, check in SPEC_FIELDS.items():
        if name in data:
            problems += check(data[name], f"spec.{name}")
        elif name in REQUIRED_SPEC_FIELDS:
            problems.append(f"spec.{name}: required")
    return problems + service.release_versions(data)
