"""VirtualService and DestinationRule of one service.

Called by `policies.render`. The VirtualService holds the smart routes first, in the
document's order (first match wins), then the `default` route with the release weights
(without a release: the whole service, no subset); timeout, retries and an active fault
apply to every http route. The DestinationRule
holds one subset per version (pod label `version`) and, with an enabled circuit breaker,
the connection pool and outlier detection.

Example:
    >>> cookie_regex("user", "w.shenyu")
    '^(.*;[ \\\\t]*)?user=w\\\\.shenyu([ \\\\t]*;.*)?$'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from policies.render_exposure import Exposure, exposure
from policies.rendering import Target, enabled

# RE2 treats a backslash before any punctuation as that literal character; these are
# the characters that otherwise mean something.
_RE2_SPECIAL = frozenset("\\.+*?()|[]{}^$")
_MATCH_KINDS = ("exact", "prefix", "regex")


def versions(spec: Mapping[str, Any]) -> list[str]:
    """The subset names: stable first, then canary when there is one."""
    found = spec["versions"]
    return [found["stable"], *([found["canary"]] if "canary" in found else [])]


def default_weights(spec: Mapping[str, Any]) -> list[tuple[str, int]]:
    """(version, weight) of the default route; the weights add up to 100.

    Blue-green keeps both destinations and gives the active one 100, so a switch is a
    one-field diff; canary gives the canary its weight and the stable the rest.
    """
    names = versions(spec)
    release = spec.get("release") or {}
    if release.get("strategy") == "blueGreen":
        active = release.get("active", names[0])
        return [(name, 100 if name == active else 0) for name in names]
    canary = release.get("canaryWeight", 0) if len(names) > 1 else 0
    return list(zip(names, [100 - canary, canary][: len(names)], strict=True))


def re2_escape(text: str) -> str:
    return "".join(f"\\{char}" if char in _RE2_SPECIAL else char for char in text)


def cookie_regex(name: str, value: str) -> str:
    """A regex on the `cookie` header that matches the cookie `name=value` (Istio has no
    cookie matcher) wherever it stands: browsers separate cookies with `; `, so the
    cookie starts the header or follows a `;` and blanks, and ends it or is followed by
    blanks and a `;`. `xuser=` or a longer value is another cookie."""
    return rf"^(.*;[ \t]*)?{re2_escape(name)}={re2_escape(value)}([ \t]*;.*)?$"


def carries_routing(spec: Mapping[str, Any], now: datetime | None) -> bool:
    """Whether the document holds anything a VirtualService carries: a release, routes,
    an active fault, a timeout or retries. Without any, govbot leaves routing to
    Kubernetes and renders no VirtualService."""
    fault = spec.get("fault")
    return bool(
        spec.get("release") or spec.get("routes") or "timeout" in spec
        or spec.get("retries") or (isinstance(fault, Mapping) and fault_active(fault, now))
    )


def fault_active(fault: Mapping[str, Any] | None, now: datetime | None) -> bool:
    """Enabled, with an abort or a delay, and not expired at `now` (no clock: not expired)."""
    if not fault or not fault.get("enabled", True):
        return False
    if "abort" not in fault and "delay" not in fault:
        return False
    expires = fault.get("expires")
    if expires is None or now is None:
        return True
    return _utc(now) < _utc(_timestamp(expires))


def destination_rule(
    spec: Mapping[str, Any], host: str, meta: dict[str, Any]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "host": host,
        "subsets": [{"name": v, "labels": {"version": v}} for v in versions(spec)],
    }
    breaker = spec.get("circuitBreaker")
    if breaker and breaker.get("enabled", True):
        body["trafficPolicy"] = traffic_policy(breaker)
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": meta,
        "spec": body,
    }


def virtual_service(
    spec: Mapping[str, Any], host: str, meta: dict[str, Any], now: datetime | None,
    exposed: Exposure | None = None,
) -> dict[str, Any]:
    common = _route_settings(spec, now)
    http = [
        {"name": f"route-{number}", "match": [_match(route["match"])],
         "route": [{"destination": {"host": host, "subset": route["to"]}}], **common}
        for number, route in enumerate(spec.get("routes") or [], start=1)
    ]
    http.append({"name": "default", "route": _default_route(spec, host), **common})
    body: dict[str, Any] = {"hosts": [host], "http": http}
    if exposed is not None:
        body = {"hosts": [host, *exposed.hosts], "gateways": ["mesh", exposed.gateway],
                "http": http}
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": meta,
        "spec": body,
    }


def _default_route(spec: Mapping[str, Any], host: str) -> list[dict[str, Any]]:
    """The release weights. Without a release: with match routes (which need `version`
    labels anyway) the stable subset, so unmatched requests never reach the versions the
    routes single out; with only a timeout or a fault, every pod of the service."""
    if not spec.get("release") and spec.get("managedBy") != "argo-rollouts":
        stable = (spec.get("versions") or {}).get("stable")
        if spec.get("routes") and stable:
            return [{"destination": {"host": host, "subset": stable}}]
        return [{"destination": {"host": host}}]
    return [
        {"destination": {"host": host, "subset": version}, "weight": weight}
        for version, weight in default_weights(spec)
    ]


def _route_settings(spec: Mapping[str, Any], now: datetime | None) -> dict[str, Any]:
    """timeout, retries and fault, the same on every http route."""
    settings: dict[str, Any] = {}
    if "timeout" in spec:
        settings["timeout"] = spec["timeout"]
    retries = spec.get("retries")
    if retries:
        settings["retries"] = {
            key: retries[key] for key in ("attempts", "perTryTimeout", "retryOn") if key in retries
        }
    fault = spec.get("fault")
    if fault is not None and fault_active(fault, now):
        settings["fault"] = fault_injection(fault)
    return settings


def fault_injection(fault: Mapping[str, Any]) -> dict[str, Any]:
    """A VirtualService's `fault` from the document's enabled, active `fault`."""
    # Without `percentage` Envoy injects nothing, so it is always written.
    rendered: dict[str, Any] = {}
    if "delay" in fault:
        delay = fault["delay"]
        rendered["delay"] = {
            "fixedDelay": delay["fixed"],
            "percentage": {"value": float(delay["percent"])},
        }
    if "abort" in fault:
        abort = fault["abort"]
        rendered["abort"] = {
            "httpStatus": abort["httpStatus"],
            "percentage": {"value": float(abort["percent"])},
        }
    return rendered


def _match(match: Mapping[str, Any]) -> dict[str, Any]:
    """One HTTPMatchRequest from a route's `match`: a header or a cookie."""
    if "cookie" in match:
        cookie = match["cookie"]
        return {"headers": {"cookie": {"regex": cookie_regex(cookie["name"], cookie["value"])}}}
    headers = {}
    for name, rule in match["headers"].items():
        ((kind, value),) = ((k, v) for k, v in rule.items() if k in _MATCH_KINDS)
        headers[str(name)] = {kind: value}
    return {"headers": headers}


def traffic_policy(breaker: Mapping[str, Any]) -> dict[str, Any]:
    """A DestinationRule's `trafficPolicy` from an enabled circuit breaker."""
    outlier = {
        key: breaker[key]
        for key in ("consecutive5xxErrors", "interval", "baseEjectionTime", "maxEjectionPercent")
        if key in breaker
    }
    policy: dict[str, Any] = {"outlierDetection": outlier}
    pool: dict[str, Any] = {}
    if "maxConnections" in breaker:
        pool["tcp"] = {"maxConnections": breaker["maxConnections"]}
    if "maxPendingRequests" in breaker:
        pool["http"] = {"http1MaxPendingRequests": breaker["maxPendingRequests"]}
    if pool:
        policy = {"connectionPool": pool, **policy}
    return policy


def _timestamp(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


WEIGHTS_OWNER = "govbot.dev/weights-owner"
NOTE = "govbot.dev/note"
_ROLLOUT_NOTE = (
    "spec.http[].route[].weight is owned by the Argo Rollouts Rollout (canary.steps / "
    "setWeight); govbot renders only the starting weights. Promote or abort the Rollout "
    "to move traffic."
)


def routed(target: Target) -> bool:
    """Whether the service's traffic is steered by version or policy (either mode)."""
    # An Argo Rollout needs the route whose weights it steers, release or not.
    return target.manager == "argo-rollouts" or carries_routing(target.spec, target.context.now)


def destination_rule_for(target: Target) -> dict[str, Any] | None:
    """The DestinationRule when the service routes or breaks circuits; never under Flagger,
    which generates and rewrites it."""
    if target.manager == "flagger":
        return None
    if not (routed(target) or enabled(target.spec.get("circuitBreaker"))):
        return None
    return destination_rule(target.spec, target.host, target.meta())


def virtual_service_for(target: Target) -> dict[str, Any] | None:
    """The VirtualService when the service routes or is exposed at a gateway; under Argo
    Rollouts it says who owns the weights."""
    exposed = exposure(target.spec)
    if target.manager == "flagger" or not (routed(target) or exposed):
        return None
    obj = virtual_service(target.spec, target.host, target.meta(), target.context.now, exposed)
    if target.manager == "argo-rollouts":
        obj["metadata"]["annotations"].update({WEIGHTS_OWNER: target.manager, NOTE: _ROLLOUT_NOTE})
    return obj

