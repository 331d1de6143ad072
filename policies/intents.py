"""Intents: what a command asks for, as typed values.

`commands/` parses chat text into these; `policies.edit` applies the policy intents to a
ServicePolicy document; the workflow runs the review and query intents. Each policy
intent round-trips through `to_json`/`from_json`, so a stored change can be replayed on a
newer main.

Example:
    >>> from_json(to_json(Canary("svc-user", "set", 20))) == Canary("svc-user", "set", 20)
    True
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar, cast, get_args

from policies import units

_I = TypeVar("_I")


@dataclass(frozen=True)
class Canary:
    """Steer `weight` percent of traffic to the canary version, or promote / abort it.

    `duration` (`for 30m`) time-boxes the weight: `resolve` fixes `expires`, and when it
    comes govbot reverts the release through a change of its own. A progressive canary
    (`step 10 every 15m until 50%`) starts at `weight` and moves `step_by` more every
    `every` up to `until`, while its gate holds: at least `gate_success` percent of the
    canary's requests succeed and their p99 latency stays under `gate_p99` (a duration).
    """

    service: str
    step: Literal["set", "promote", "abort"]
    weight: int | None = None
    version: str | None = None
    duration: str | None = None
    expires: str | None = None
    step_by: int | None = None
    every: str | None = None
    until: int | None = None
    gate_success: float | None = None
    gate_p99: str | None = None
    action = "canary"


@dataclass(frozen=True)
class RateLimit:
    """Envoy local rate limit: `requests` per `per` (a duration), optionally for one header.

    `shadow` counts what the limit would reject without rejecting it; `enforce` turns a
    shadow limit into one that rejects."""

    service: str
    mode: Literal["set", "off", "on", "enforce"]
    requests: int | None = None
    per: str | None = None
    header: tuple[str, str] | None = None
    shadow: bool = False
    duration: str | None = None
    expires: str | None = None
    action = "ratelimit"


@dataclass(frozen=True)
class BlueGreen:
    """Send all traffic to one version: `switch` flips between stable and canary."""

    service: str
    mode: Literal["switch", "to"]
    version: str | None = None
    action = "bluegreen"


@dataclass(frozen=True)
class Route:
    """Smart routing: requests whose header (or cookie) matches go to `version`.

    `match` is how a header value compares (`exact`, `prefix`, `regex`); cookies always
    match by value. `clear` removes every route.
    """

    service: str
    mode: Literal["header", "cookie", "clear"]
    key: str | None = None
    value: str | None = None
    match: Literal["exact", "prefix", "regex"] = "exact"
    version: str | None = None
    duration: str | None = None
    expires: str | None = None
    action = "route"


@dataclass(frozen=True)
class CircuitBreak:
    """Outlier detection and connection-pool limits; durations are texts like `30s`."""

    service: str
    mode: Literal["set", "off", "on"]
    consecutive_5xx: int | None = None
    interval: str | None = None
    ejection: str | None = None
    max_ejection_percent: int | None = None
    max_connections: int | None = None
    max_pending: int | None = None
    action = "circuitbreak"


@dataclass(frozen=True)
class Whitelist:
    """Who may call the service: callers are `<svc>` (same namespace) or `<ns>/<svc>`."""

    service: str
    mode: Literal["allow", "remove", "off", "on"]
    callers: tuple[str, ...] = ()
    action = "whitelist"


@dataclass(frozen=True)
class Fault:
    """Fault injection: abort with `http_status` or delay by `delay`, for `percent` of
    requests, optionally only `duration` long.

    `resolve` fixes the clock once, when the request is made: `requested_at` is that
    time and `expires` is it plus `duration` (RFC 3339 UTC, seconds), so every later
    apply or replay of the same intent writes the same document. `off` with a `part`
    (`abort`, `delay`) stops only that part.
    """

    service: str
    mode: Literal["abort", "delay", "on", "off"]
    percent: float | None = None
    http_status: int | None = None
    delay: str | None = None
    duration: str | None = None
    expires: str | None = None
    requested_at: str | None = None
    part: Literal["abort", "delay"] | None = None
    action = "fault"


@dataclass(frozen=True)
class Timeout:
    """Request timeout, with optional retries (`attempts`, per-try timeout, conditions)."""

    service: str
    mode: Literal["set", "off"]
    timeout: str | None = None
    attempts: int | None = None
    per_try: str | None = None
    retry_on: str | None = None
    action = "timeout"


@dataclass(frozen=True)
class Scale:
    """Horizontal pod autoscaling between `min` and `max` replicas at `cpu` percent."""

    service: str
    mode: Literal["set", "on", "off"]
    min: int | None = None
    max: int | None = None
    cpu: int | None = None
    action = "scale"


@dataclass(frozen=True)
class Expose:
    """Route external `hosts` to the service through the ingress gateway `gateway`
    (`<namespace>/<name>`); hosts are added to an exposure the service has.

    Without `gateway` the exposure keeps the gateway it has, else it takes
    `default_gateway`, which the runner fills from govbot.yaml's
    `ingressGateway.gateway` once, when the command is given, so a replay on a newer
    main writes the same document."""

    service: str
    hosts: tuple[str, ...]
    gateway: str | None = None
    default_gateway: str | None = None
    action = "expose"


@dataclass(frozen=True)
class Unexpose:
    """Stop exposing the service through the ingress gateway: `spec.exposed` goes."""

    service: str
    action = "unexpose"


@dataclass(frozen=True)
class Onboard:
    """Create the policy document of a service that has none: its port, its versions
    (stable, then canary) and its service account; None keeps the defaults (8080, v1 and
    v2, the service's name). `target_port`: the port the pods listen on, read from the
    cluster's Service (None: the port)."""

    service: str
    port: int | None = None
    versions: tuple[str, ...] | None = None
    account: str | None = None
    target_port: int | str | None = None  # where the pods listen, when not on `port`
    action = "onboard"


@dataclass(frozen=True)
class Sync:
    """Apply main's document of a service again, overwriting what drifted in the cluster:
    the change stamps `metadata.annotations["govbot.dev/sync"]` with `requested_at`
    (RFC 3339 UTC, fixed once by `resolve`), and a merged stamp makes the apply target
    re-apply the document's objects."""

    service: str
    requested_at: str | None = None
    action = "sync"


@dataclass(frozen=True)
class Expire:
    """The end of a service's time-boxed parts (`for <d>`): govbot's own revert, never a
    command. Each field names the `expires` it ends, so a part changed since (no `expires`
    any more, or another one) is left alone: `fault` removes the fault section,
    `rate_limit` puts back `rate_limit_before` (the section as JSON before the time-boxed
    limit; None: no limit), `release` puts back `canary_weight_before`, and `routes`
    removes the route entries with those `expires`. `set_by` names the merged changes
    that set these time boxes, for the summary."""

    service: str
    fault: str | None = None
    rate_limit: str | None = None
    rate_limit_before: str | None = None
    release: str | None = None
    canary_weight_before: int = 0
    routes: tuple[str, ...] = ()
    set_by: tuple[int, ...] = ()
    action = "expire"


@dataclass(frozen=True)
class TemplateApply:
    """Set the governance sections of the saved template `template` on a service.

    `sections` is the template's `spec` as JSON text, read from main once, when the
    command is given, so a replay on a newer main writes the same sections even if the
    template changed meanwhile (`policies.templates`)."""

    service: str
    template: str
    sections: str = "{}"
    action = "template"


@dataclass(frozen=True)
class Deploy:
    """Deploy an app of the store's catalog as `service` (the AppDeployment's name, the
    app's own name unless `as <name>`): `apps/<env>/<namespace>/<service>.yaml` is
    written with `version` (None: the catalog's default) and every parameter, the
    `settings` (`k=v` texts, in the order given) over the catalog's defaults."""

    service: str
    app: str
    version: str | None = None
    settings: tuple[str, ...] = ()
    action = "deploy"


@dataclass(frozen=True)
class Undeploy:
    """Remove the store app `service`: its AppDeployment is deleted, its data volumes
    kept; with `purge` the document becomes a tombstone that deletes them too."""

    service: str
    purge: bool = False
    action = "undeploy"


@dataclass(frozen=True)
class StoreQuery:
    """What the store offers: every app and its versions, or one app's parameters."""

    app: str | None = None
    action = "store"


# The one list of policy intents; `policies.kinds.KINDS` says what each one does.
PolicyIntent = (Canary | RateLimit | BlueGreen | Route | CircuitBreak | Whitelist | Fault
                | Timeout | Scale | Expose | Unexpose | Onboard | Sync | Expire
                | TemplateApply | Deploy | Undeploy)
POLICY_INTENTS: tuple[type, ...] = get_args(PolicyIntent)


@dataclass(frozen=True)
class Approve:
    """Approve a change. `break_glass` is the mandatory reason of a requester approving
    their own de-escalation; whether it counts is the guardrails' decision."""

    change_id: int
    break_glass: str | None = None
    action = "approve"


@dataclass(frozen=True)
class Reject:
    change_id: int
    reason: str = ""
    action = "reject"


@dataclass(frozen=True)
class ListChanges:
    """The change history: open changes by default, or merged, rejected or all of them,
    optionally only those updated within `since` (a duration such as `7d` or `24h`)."""

    state: Literal["open", "merged", "rejected", "all"] = "open"
    since: str | None = None
    action = "changes"


@dataclass(frozen=True)
class ListEvents:
    """The governance-event audit log, filtered: a service, how far back (`since`, a
    duration such as `1h`), a kind, a response code, a calling service."""

    service: str | None = None
    since: str | None = None
    kind: str | None = None
    code: int | None = None
    caller: str | None = None
    action = "events"


@dataclass(frozen=True)
class Show:
    """One change in full: what it does to the document and to the cluster, its verdict
    and its approvals."""

    change_id: int
    action = "show"


@dataclass(frozen=True)
class Status:
    service: str
    action = "status"


@dataclass(frozen=True)
class WhatIf:
    """What a rate limit of `requests` per `per` would have rejected in the service's
    recent traffic; changes nothing."""

    service: str
    requests: int
    per: str
    action = "whatif"


@dataclass(frozen=True)
class Drift:
    """Where the cluster differs from what main renders: one service, or every service
    of the namespace."""

    service: str | None = None
    action = "drift"


@dataclass(frozen=True)
class Rollback:
    """Revert a merged change (by id) or the last merged change to a service, through a
    new pull request whose diff is the exact inverse."""

    change_id: int | None = None
    service: str | None = None
    action = "rollback"


@dataclass(frozen=True)
class CanaryControl:
    """Pause or resume a progressive canary: its steps stop (or go on) without a change;
    the weight stays where it is."""

    service: str
    op: Literal["pause", "resume"]
    action = "canary"


@dataclass(frozen=True)
class ListFreezes:
    """The change freezes (封网) of govbot.yaml: the current and the next windows of the
    channel's environment, or of `env`."""

    action = "freeze"


@dataclass(frozen=True)
class TemplateSave:
    """Save the governance sections of `service` as the policy template `name`
    (`templates/<name>.yaml`), through a change of its own."""

    name: str
    service: str
    action = "template-save"


@dataclass(frozen=True)
class TemplateApplyMany:
    """/template apply: the template `name` on each of `services`, one change each."""

    name: str
    services: tuple[str, ...]
    action = "template"


@dataclass(frozen=True)
class TemplateList:
    """Every saved policy template, with what it sets."""

    action = "template"


@dataclass(frozen=True)
class TemplateShow:
    """One saved policy template in full."""

    name: str
    action = "template"


@dataclass(frozen=True)
class MeshSwitch:
    """Switch the data plane of `namespace` to `mode` (sidecar | ambient): a change of
    govbot.yaml's `environments.<env>.namespaces.<ns>.mesh`, judged like any change of
    the guardrails (docs/ambient.md)."""

    namespace: str
    mode: str
    action = "mesh"


@dataclass(frozen=True)
class MeshQuery:
    """The data plane of `namespace` (None: the channel's): its mode, the Gateway API
    channel and what the mode cannot carry."""

    namespace: str | None = None
    action = "mesh"


@dataclass(frozen=True)
class ListPolicies:
    """Every service of the channel's namespace with its policies and their state."""

    action = "policies"


@dataclass(frozen=True)
class Dashboard:
    """A signed link to the read-only dashboard, for the person who asked."""

    action = "dashboard"


@dataclass(frozen=True)
class Help:
    command: str | None = None
    action = "help"


Intent = (PolicyIntent | Approve | Reject | ListChanges | Show | Status | Help | Rollback
          | ListPolicies | Drift | WhatIf | ListEvents | CanaryControl | ListFreezes
          | TemplateSave | TemplateApplyMany | TemplateList | TemplateShow | StoreQuery
          | MeshSwitch | MeshQuery | Dashboard)


def to_json(intent: PolicyIntent) -> dict[str, Any]:
    """Plain data for the store: `{"action": "canary", "service": ..., ...}`; tuples
    become lists."""
    data = {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(intent).items()}
    return {"action": intent.action, **data}


def from_json(data: dict[str, Any]) -> PolicyIntent:
    """The intent `to_json` gave; ValueError for an action no policy intent has."""
    cls = next((c for c in POLICY_INTENTS if getattr(c, "action", None) == data.get("action")),
               None)
    if cls is None:
        raise ValueError(f"unknown intent action {data.get('action')!r}")
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "action"}
    intent: PolicyIntent = cls(**fields)
    return intent


def resolve(intent: _I, now: datetime) -> _I:
    """The intent with its clock fixed at `now`: a Fault gets `requested_at`; a Fault,
    Canary, RateLimit or Route with a `duration` gets the absolute `expires`; a Sync gets
    `requested_at`; every other intent comes back unchanged. Pure; an intent already
    resolved keeps its times, so resolving again never moves them.

    Example:
        >>> fault = Fault("svc-user", "abort", 10, http_status=503, duration="30m")
        >>> resolve(fault, datetime(2026, 11, 27, 10, 0, tzinfo=UTC)).expires
        '2026-11-27T10:30:00Z'
    """
    at = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    if isinstance(intent, Sync):
        return cast(_I, replace(intent, requested_at=intent.requested_at or _rfc3339(at)))
    if not isinstance(intent, Fault | Canary | RateLimit | Route):
        return intent
    expires = intent.expires
    if expires is None and intent.duration is not None and units.is_duration(intent.duration):
        until = at + timedelta(milliseconds=units.duration_ms(intent.duration))
        expires = _rfc3339(until)
    if isinstance(intent, Fault):
        return cast(_I, replace(intent, expires=expires,
                                requested_at=intent.requested_at or _rfc3339(at)))
    return cast(_I, replace(intent, expires=expires))  # the same kind, as given


def _rfc3339(moment: datetime) -> str:
    return moment.replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
