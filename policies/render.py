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

The namespace's mesh mode (`RenderContext.meshes`) picks the builders: in ambient mode
routing is a Gateway API HTTPRoute with one Service per version, and what the mode cannot
carry is refused with `[mesh.unsupported]` (`policies.render_ambient`). An exposed service
(`spec.exposed` with hosts) is routed at its ingress gateway as well, in both modes.

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

from collections.abc import Mapping
from typing import Any

from bot.core.errors import InvalidDocument
from policies import kinds, render_exposure, units, webhook
from policies.document import parse_service_path
from policies.render_ambient import mixed_routes, refusals, version_name_problems
from policies.render_ratelimit import describe_limit
from policies.render_traffic import NOTE, WEIGHTS_OWNER
from policies.rendering import MANAGED_BY, SOURCE, RenderContext, Target, source_label

__all__ = ["MANAGED_BY", "NOTE", "SOURCE", "WEIGHTS_OWNER", "RenderContext", "describe",
           "render", "source_label"]

_MANAGERS = ("govbot", "flagger", "argo-rollouts")
# What a document of the wrong shape raises while it is read; rendering turns each into
# InvalidDocument, so a change that cannot render is refused rather than crashing.
_SHAPE_ERRORS = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError)


def render(
    data: Mapping[str, Any], path: str, context: RenderContext | str | None = None
) -> list[dict[str, Any]]:
    """The objects of one service document, in apply order; InvalidDocument (and no other
    error) if it cannot be rendered. A plain string as `context` is the cluster domain
    (the older signature)."""
    if not isinstance(context, RenderContext):
        context = RenderContext(cluster_domain=context or "cluster.local")
    parts = parse_service_path(path)
    spec = data.get("spec") if isinstance(data, Mapping) else None
    if parts is None or not isinstance(spec, Mapping):
        raise InvalidDocument(path, ["path or spec: not a service policy document"])
    try:
        problems = _input_problems(spec)
    except _SHAPE_ERRORS as error:
        raise InvalidDocument(path, [f"spec: cannot be rendered ({error!r})"]) from error
    if problems:
        raise InvalidDocument(path, problems)
    target = Target(spec, parts[2], parts[1], path, context)
    try:
        refused = (refusals(spec, target.mesh) or version_name_problems(target)
                   or mixed_routes(target))
    except _SHAPE_ERRORS as error:
        raise InvalidDocument(path, [f"spec: cannot be rendered ({error!r})"]) from error
    if refused:
        raise InvalidDocument(path, refused)
    objects = [obj for renderer in kinds.renderers()
               if (obj := _build(renderer.section, renderer.build_for, target)) is not None]
    rejected = [f"{obj['kind']} {obj['metadata']['name']}: {problem}"
                for obj in objects for problem in _checked(obj, path)]
    if rejected:
        raise InvalidDocument(path, rejected)
    return [_unshared(obj) for obj in objects]


def _unshared(value: Any) -> Any:
    """A copy in which no dict or list appears twice, so a YAML dump of it never writes
    an anchor and an alias (routes share their timeout, retries and fault when built)."""
    if isinstance(value, Mapping):
        return {key: _unshared(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_unshared(item) for item in value]
    return value


def _build(section: str, build: Any, target: Target) -> dict[str, Any] | None:
    try:
        built: dict[str, Any] | None = build(target)
    except _SHAPE_ERRORS as error:
        problem = f"spec.{section}: cannot be rendered ({error!r})"
        raise InvalidDocument(target.path, [problem]) from error
    return built


def _checked(obj: Mapping[str, Any], path: str) -> list[str]:
    """The webhook's problems with one object; a shape it cannot read is one too."""
    try:
        return webhook.check(obj)
    except _SHAPE_ERRORS as error:
        raise InvalidDocument(path, [f"{obj.get('kind')}: cannot be checked ({error!r})"]) \
            from error


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
    exposed = spec.get("exposed")
    if isinstance(exposed, Mapping) and exposed.get("hosts"):
        problems += render_exposure.problems(exposed)
    if spec.get("managedBy", "govbot") not in _MANAGERS:
        problems.append(f"spec.managedBy: {spec['managedBy']!r} is not one of {_MANAGERS}")
    return problems


def describe(objects: list[dict[str, Any]]) -> str:
    """One line for chat, the route first:
    `VirtualService svc-user (v1 80 / v2 20), DestinationRule svc-user`, or in an ambient
    namespace `HTTPRoute svc-user (svc-user-v1 80 / svc-user-v2 20), Services svc-user-v1,
    svc-user-v2`. A route the ingress gateway serves too says so:
    `VirtualService svc-user (all pods; via istio-system/public for user.example.com)`.

    Takes any list `render` or `policies.plan.plan` gives: an object a plan applies
    twice (a transitional DestinationRule) is named once, as it stays; the version
    Services are named once, together."""
    last = {(obj["kind"], obj["metadata"]["name"]): obj for obj in objects}
    ordered = sorted(last.values(), key=lambda obj: obj["kind"] not in _ROUTES)
    named = [_describe_one(obj) for obj in ordered if obj["kind"] != "Service"]
    services = [obj["metadata"]["name"] for obj in ordered if obj["kind"] == "Service"]
    if services:
        word = "Services" if len(services) > 1 else "Service"
        named.insert(1 if named and ordered[0]["kind"] in _ROUTES else 0,
                     f"{word} {', '.join(services)}")
    return ", ".join(named)


_ROUTES = ("VirtualService", "HTTPRoute")


def _describe_one(obj: Mapping[str, Any]) -> str:
    kind, name = obj["kind"], obj["metadata"]["name"]
    if kind == "VirtualService":
        http = obj["spec"]["http"]
        weights = " / ".join(_destination(d) for d in http[-1]["route"])  # default is last
        gateways = [g for g in obj["spec"].get("gateways", []) if g != "mesh"]
        # the service's own host comes first; the others are the exposed ones
        via = _via(gateways, obj["spec"]["hosts"][1:])
        return f"{kind} {name} ({weights}{_matches(len(http) - 1)}{via})"
    if kind == "HTTPRoute":
        rules = obj["spec"]["rules"]
        weights = " / ".join(_backend(ref, name) for ref in rules[-1]["backendRefs"])
        here = obj["metadata"].get("namespace", "")
        gateways = [f"{ref.get('namespace', here)}/{ref['name']}"
                    for ref in obj["spec"]["parentRefs"] if ref.get("kind", "Gateway") == "Gateway"]
        via = _via(gateways, obj["spec"].get("hostnames", []))
        return f"{kind} {name} ({weights}{_matches(len(rules) - 1)}{via})"
    if kind == "EnvoyFilter":
        return f"{kind} {name} ({describe_limit(obj['spec']['configPatches'])})"
    return f"{kind} {name}"


def _via(gateways: list[str], hosts: list[str]) -> str:
    """`; via istio-system/public for user.example.com` for a route an ingress gateway
    also serves, so an apply line says the service is exposed; "" for a mesh-only one."""
    if not gateways:
        return ""
    return f"; via {', '.join(gateways)}" + (f" for {', '.join(hosts)}" if hosts else "")


def _matches(count: int) -> str:
    return f", {count} match route{'s' * (count != 1)}" if count else ""


def _destination(route: Mapping[str, Any]) -> str:
    """`v2 20` for a weighted subset, `all to v1` for the only one, `all pods` without one."""
    subset = route["destination"].get("subset")
    if subset is None:
        return "all pods"
    if "weight" not in route:
        return f"all to {subset}"
    return f"{subset} {route['weight']}"


def _backend(ref: Mapping[str, Any], service: str) -> str:
    """`svc-user-v2 20` for a weighted version, `all to svc-user-v1` for the only one,
    `all pods` for the service itself."""
    if ref["name"] == service:
        return "all pods"
    if "weight" not in ref:
        return f"all to {ref['name']}"
    return f"{ref['name']} {ref['weight']}"
