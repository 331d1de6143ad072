"""The Gateway API HTTPRoute of one service in an ambient namespace.

Called by `policies.render_ambient`. In ambient mode a waypoint routes by HTTPRoutes
attached to the Service (GAMMA: `parentRefs` names the Service, `group: ""`); backends are
Services, not subsets, so each version is a Service of its own, `<svc>-<version>`
(`policies.render_ambient`). The rules mirror the sidecar VirtualService: the match routes
first, in the document's order (headers `Exact` or `RegularExpression`; a cookie as a
regular expression on the `cookie` header, since Gateway API has no cookie matcher), then
the default rule with the release weights; a timeout is `timeouts.request` on every rule.
Retries (`retry`, `timeouts.backendRequest` for the per-try timeout) exist only in the
experimental channel of Gateway API v1.5, so they are rendered only where govbot.yaml says
the cluster has it (`policies.mesh`).

An exposed service gets a second parentRef, the ingress Gateway, and its external hosts as
`hostnames`: they select the route at the Gateway's listeners, while a Service parent
ignores hostnames (GEP-1426: mesh implementations infer nothing from them), so the
internal host is not listed.

Example:
    >>> gateway_duration("1.5s"), gateway_duration("90s"), gateway_duration("100001ms")
    ('1s500ms', '1m30s', '1m40s1ms')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import units
from policies.mesh import EXPERIMENTAL
from policies.render_exposure import Exposure
from policies.render_traffic import cookie_regex, default_weights, re2_escape
from policies.rendering import Target

GROUP = "gateway.networking.k8s.io"
# What an HTTPRoute retries on is a list of status codes; the conditions of Envoy's
# `retryOn` that name a set of codes map to it. Istio retries connection failures,
# refused streams and the gRPC `unavailable` and `cancelled` on every HTTPRoute retry,
# so those conditions need no code.
_CODES: dict[str, tuple[int, ...]] = {
    "5xx": (500, 502, 503, 504),
    "gateway-error": (502, 503, 504),
    "retriable-4xx": (409,),
}
_IMPLIED = frozenset({"connect-failure", "refused-stream", "unavailable", "cancelled"})


def version_service(service: str, version: str) -> str:
    """The name of the Service of one version: `svc-user-v2`."""
    return f"{service}-{version}"


def http_route(target: Target, exposed: Exposure | None) -> dict[str, Any]:
    """The HTTPRoute of `target` (its document routes or is exposed)."""
    spec = target.spec
    common = _rule_settings(spec, target.mesh.channel == EXPERIMENTAL)
    rules = [
        {"name": f"route-{number}", "matches": [_match(route["match"])],
         "backendRefs": [_backend(target, version_service(target.service, route["to"]))],
         **common}
        for number, route in enumerate(spec.get("routes") or [], start=1)
    ]
    rules.append({"name": "default", "backendRefs": _default_backends(target), **common})
    body: dict[str, Any] = {"parentRefs": _parents(target, exposed)}
    if exposed is not None:
        body["hostnames"] = list(exposed.hosts)
    body["rules"] = rules
    return {
        "apiVersion": f"{GROUP}/v1",
        "kind": "HTTPRoute",
        "metadata": target.meta(),
        "spec": body,
    }


def backend_versions(spec: Mapping[str, Any], manager: str) -> list[str]:
    """The versions an HTTPRoute of `spec` sends traffic to, stable first: the release's
    versions (weight 0 too, so a weight change never needs a new Service), else the
    stable one when match routes single out versions, plus each route's version."""
    found: list[str] = []
    if spec.get("release") or manager == "argo-rollouts":
        found += [version for version, _ in default_weights(spec)]
    elif spec.get("routes"):
        found.append(spec["versions"]["stable"])
    found += [str(route["to"]) for route in spec.get("routes") or []]
    return list(dict.fromkeys(found))


def gateway_duration(text: str) -> str:
    """A Gateway API duration (GEP-2257: up to four `<1-5 digits><h|m|s|ms>` parts) of a
    document duration, which may have fractions (`1.5s`)."""
    rest = units.duration_ms(text)
    parts = []
    for unit, size in (("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)):
        if rest >= size:
            parts.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(parts) or "0s"


def retry_codes(retry_on: str) -> tuple[list[int], list[str]]:
    """(status codes, conditions that have no HTTPRoute equivalent) of a `retryOn` text."""
    codes: list[int] = []
    unknown: list[str] = []
    for condition in (part.strip() for part in retry_on.split(",")):
        if not condition:  # no retryOn: Istio's default conditions, all implied
            continue
        if condition.isdigit():
            codes.append(int(condition))
        elif condition in _CODES:
            codes += _CODES[condition]
        elif condition not in _IMPLIED:
            unknown.append(condition)
    return sorted(set(codes)), unknown


def _parents(target: Target, exposed: Exposure | None) -> list[dict[str, Any]]:
    service: dict[str, Any] = {"group": "", "kind": "Service", "name": target.service}
    if "port" in target.spec:
        service["port"] = target.spec["port"]
    if exposed is None:
        return [service]
    gateway = {"group": GROUP, "kind": "Gateway", "namespace": exposed.namespace,
               "name": exposed.name}
    return [service, gateway]


def _backend(target: Target, name: str, weight: int | None = None) -> dict[str, Any]:
    ref: dict[str, Any] = {"name": name, "port": target.spec["port"]}
    if weight is not None:
        ref["weight"] = weight
    return ref


def _default_backends(target: Target) -> list[dict[str, Any]]:
    """The release weights over the version Services; without a release, the stable
    version when match routes need versions anyway, else the service itself."""
    spec = target.spec
    if not spec.get("release") and target.manager != "argo-rollouts":
        if spec.get("routes"):
            stable = version_service(target.service, spec["versions"]["stable"])
            return [_backend(target, stable)]
        return [_backend(target, target.service)]
    return [_backend(target, version_service(target.service, version), weight)
            for version, weight in default_weights(spec)]


def _rule_settings(spec: Mapping[str, Any], experimental: bool) -> dict[str, Any]:
    """timeouts and retry, the same on every rule; retry only on the experimental
    channel (elsewhere `policies.mesh.unsupported` refused it before)."""
    settings: dict[str, Any] = {}
    timeouts: dict[str, str] = {}
    if "timeout" in spec:
        timeouts["request"] = gateway_duration(str(spec["timeout"]))
    retries = spec.get("retries")
    if retries and experimental:
        retry: dict[str, Any] = {"attempts": retries.get("attempts", 2)}
        codes, _ = retry_codes(str(retries.get("retryOn", "")))
        if codes:
            retry["codes"] = codes
        if "perTryTimeout" in retries:
            timeouts["backendRequest"] = gateway_duration(str(retries["perTryTimeout"]))
        settings["retry"] = retry
    if timeouts:
        settings = {"timeouts": timeouts, **settings}
    return settings


def _match(match: Mapping[str, Any]) -> dict[str, Any]:
    """One HTTPRouteMatch from a route's `match`: a header or a cookie. A prefix is a
    regular expression (Gateway API matches headers exactly or by RE2 only)."""
    if "cookie" in match:
        cookie = match["cookie"]
        regex = cookie_regex(cookie["name"], cookie["value"])
        return {"headers": [{"type": "RegularExpression", "name": "cookie", "value": regex}]}
    headers = []
    for name, rule in match["headers"].items():
        if "exact" in rule:
            headers.append({"type": "Exact", "name": str(name), "value": rule["exact"]})
        elif "prefix" in rule:
            headers.append({"type": "RegularExpression", "name": str(name),
                            "value": f"^{re2_escape(rule['prefix'])}.*"})
        else:
            headers.append({"type": "RegularExpression", "name": str(name),
                            "value": rule["regex"]})
    return {"headers": headers}
