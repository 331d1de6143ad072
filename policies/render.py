"""Render one ServicePolicy to the Kubernetes/Istio objects that carry it out: pure, no I/O.

After a merge the workflow renders each service the merge changed and hands the objects,
in apply order, to the apply target: DestinationRule (subsets, circuit breaker),
VirtualService (smart routes, then the release weights; timeout, retries, fault), an
EnvoyFilter for Envoy's local rate limit, an AuthorizationPolicy for the whitelist and a
HorizontalPodAutoscaler. Sections that are off (`enabled: false`) render nothing. The
VirtualService exists only when the document routes (a release, routes, a timeout,
retries, an active fault), the DestinationRule only with it or a circuit breaker, so a
service that only limits its rate keeps Kubernetes' own routing. A service that Flagger
manages gets neither (Flagger writes them). Every object carries
`app.kubernetes.io/managed-by: govbot` and `govbot.dev/source` (a label-safe form of the
path as a label, the exact path as an annotation), so the apply target can find and
prune what a document no longer renders.
Each object is checked with `policies.webhook` before it is returned, so nothing istiod
would refuse leaves here.

Example:
    >>> from policies.document import new_document, plain
    >>> path = "services/prod/demo/svc-user.yaml"
    >>> render(plain(new_document("prod", "demo", "svc-user")), path)
    []
    >>> data = plain(new_document("prod", "demo", "svc-user"))
    >>> data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 20}
    >>> describe(render(data, path))
    'VirtualService svc-user (v1 80 / v2 20), DestinationRule svc-user'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.core.errors import InvalidDocument
from policies import units, webhook
from policies.document import parse_service_path
from policies.render_ratelimit import describe_limit, envoy_filter
from policies.render_scale import horizontal_pod_autoscaler
from policies.render_security import authorization_policy
from policies.render_traffic import carries_routing, destination_rule, virtual_service

MANAGED_BY = "app.kubernetes.io/managed-by"
SOURCE = "govbot.dev/source"
WEIGHTS_OWNER = "govbot.dev/weights-owner"
NOTE = "govbot.dev/note"
_ROLLOUT_NOTE = (
    "spec.http[].route[].weight is owned by the Argo Rollouts Rollout (canary.steps / "
    "setWeight); govbot renders only the starting weights. Promote or abort the Rollout "
    "to move traffic."
)
_MANAGERS = ("govbot", "flagger", "argo-rollouts")


@dataclass(frozen=True)
class RenderContext:
    """What rendering needs beyond the document: the cluster's names and the clock.

    `service_accounts` maps a caller `<ns>/<svc>` to its service account when that is
    not the service's name; `now` decides whether a time-boxed fault has expired.
    """

    cluster_domain: str = "cluster.local"
    trust_domain: str = "cluster.local"
    service_accounts: Mapping[str, str] = field(default_factory=dict)
    now: datetime | None = None


def render(
    data: Mapping[str, Any], path: str, context: RenderContext | str | None = None
) -> list[dict[str, Any]]:
    """The objects of one service document, in apply order; InvalidDocument if it cannot
    be rendered. A plain string as `context` is the cluster domain (the older signature)."""
    if not isinstance(context, RenderContext):
        context = RenderContext(cluster_domain=context or "cluster.local")
    parts = parse_service_path(path)
    spec = data.get("spec") if isinstance(data, Mapping) else None
    if parts is None or not isinstance(spec, Mapping):
        raise InvalidDocument(path, ["path or spec: not a service policy document"])
    problems = _input_problems(spec)
    if problems:
        raise InvalidDocument(path, problems)
    objects: list[dict[str, Any]] = []
    for section, build in _builders(spec, parts[1], parts[2], path, context):
        try:
            built = build()
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            problem = f"spec.{section}: cannot be rendered ({error!r})"
            raise InvalidDocument(path, [problem]) from error
        if built is not None:
            objects.append(built)
    rejected = [
        f"{obj['kind']} {obj['metadata']['name']}: {problem}"
        for obj in objects
        for problem in webhook.check(obj)
    ]
    if rejected:
        raise InvalidDocument(path, rejected)
    return objects


_Build = Callable[[], "dict[str, Any] | None"]


def _builders(
    spec: Mapping[str, Any], namespace: str, service: str, path: str, context: RenderContext
) -> list[tuple[str, _Build]]:
    """The builder of each object in apply order, named by the section it reads."""
    host = f"{service}.{namespace}.svc.{context.cluster_domain}"
    manager = spec.get("managedBy", "govbot")

    def meta(name: str = service) -> dict[str, Any]:
        return _metadata(name, namespace, path)

    def routing() -> dict[str, Any]:
        obj = virtual_service(spec, host, meta(), context.now)
        if manager == "argo-rollouts":
            obj["metadata"]["annotations"].update({WEIGHTS_OWNER: manager, NOTE: _ROLLOUT_NOTE})
        return obj

    builders: list[tuple[str, _Build]] = []
    # Flagger generates and rewrites both; an Argo Rollout needs
    # the VirtualService whose weights it steers, release or not.
    routed = manager == "argo-rollouts" or carries_routing(spec, context.now)
    if manager != "flagger" and (routed or _enabled(spec.get("circuitBreaker"))):
        builders.append(("versions", lambda: destination_rule(spec, host, meta())))
    if manager != "flagger" and routed:
        builders.append(("release", routing))
    if _enabled(spec.get("rateLimit")):
        limit = spec["rateLimit"]
        name = f"{service}-local-ratelimit"
        builders.append(("rateLimit", lambda: envoy_filter(spec, limit, meta(name))))
    if _enabled(spec.get("allowFrom")):
        allow, name = spec["allowFrom"], f"{service}-allow-from"
        builders.append(("allowFrom", lambda: authorization_policy(
            spec, allow, namespace, context.trust_domain, context.service_accounts, meta(name))))
    if _enabled(spec.get("autoscale")):
        scale = spec["autoscale"]
        builders.append(("autoscale", lambda: horizontal_pod_autoscaler(service, scale, meta())))
    return builders


def _enabled(section: Any) -> bool:
    return isinstance(section, Mapping) and section.get("enabled", True) is True


def _input_problems(spec: Mapping[str, Any]) -> list[str]:
    """What rendering relies on and an object check cannot see: names and references.

    Full validation of a document is the callers' job (`govbot check`); this keeps render
    from guessing.
    """
    versions = spec.get("versions")
    if not isinstance(versions, Mapping) or not isinstance(versions.get("stable"), str):
        return ["spec.versions.stable: required"]
    known = [v for v in (versions.get("stable"), versions.get("canary")) if v is not None]
    problems = []
    release: Mapping[str, Any] = spec.get("release") or {}
    if not isinstance(release, Mapping):
        release = {}
    weight = release.get("canaryWeight", 0)
    if not units.is_whole_percent(weight):
        problems.append(f"spec.release.canaryWeight: {weight!r} is not a whole percentage 0-100")
    if release.get("strategy", "canary") not in ("canary", "blueGreen"):
        strategy = release["strategy"]
        problems.append(f"spec.release.strategy: {strategy!r} is not canary or blueGreen")
    if "active" in release and release["active"] not in known:
        problems.append(f"spec.release.active: {release['active']!r} is not one of {known}")
    routes = spec.get("routes") or []
    for number, route in enumerate(routes if isinstance(routes, list) else []):
        target = route.get("to") if isinstance(route, Mapping) else None
        if target not in known:
            problems.append(f"spec.routes[{number}].to: {target!r} is not one of {known}")
    if spec.get("managedBy", "govbot") not in _MANAGERS:
        problems.append(f"spec.managedBy: {spec['managedBy']!r} is not one of {_MANAGERS}")
    return problems


def source_label(path: str) -> str:
    """The `govbot.dev/source` label value of a document path: `<env>.<namespace>.<svc>`,
    cut to 63 characters with a hash of the path when longer."""
    parts = parse_service_path(path)
    value = ".".join(parts) if parts is not None else re.sub(r"[^A-Za-z0-9_.-]", ".", path)
    if len(value) <= 63 and units.is_label_value(value):
        return value
    digest = hashlib.sha256(path.encode()).hexdigest()[:10]
    return f"{value[: 63 - len(digest) - 1].strip('-._')}-{digest}".lstrip("-")


def describe(objects: list[dict[str, Any]]) -> str:
    """One line for chat, VirtualService first:
    `VirtualService svc-user (v1 80 / v2 20), DestinationRule svc-user`."""
    ordered = sorted(objects, key=lambda obj: obj["kind"] != "VirtualService")
    return ", ".join(_describe_one(obj) for obj in ordered)


def _metadata(name: str, namespace: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {MANAGED_BY: "govbot", SOURCE: source_label(path)},
        "annotations": {SOURCE: path},
    }


def _describe_one(obj: Mapping[str, Any]) -> str:
    kind, name = obj["kind"], obj["metadata"]["name"]
    if kind == "VirtualService":
        route = obj["spec"]["http"][-1]["route"]  # the default route is last
        weights = " / ".join(
            f"{d['destination']['subset']} {d['weight']}" if "subset" in d["destination"]
            else "all pods" for d in route)
        matches = len(obj["spec"]["http"]) - 1
        routed = f", {matches} match route{'s' * (matches != 1)}" if matches else ""
        return f"{kind} {name} ({weights}{routed})"
    if kind == "EnvoyFilter":
        return f"{kind} {name} ({describe_limit(obj['spec']['configPatches'])})"
    return f"{kind} {name}"
