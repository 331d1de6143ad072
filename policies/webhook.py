"""The semantic checks istiod's validating webhook (and the API server) add to the schemas.

The CRD schemas carry field names and types; istiod's `pkg/config/validation` adds rules no
schema states — weights, regexes, `retryOn`, percentages, status ranges, durations, subset
names. `policies.render` runs `check` on every object it
builds, so nothing leaves govbot that istiod would refuse at apply time; the tests run it on
every rendered object. Beyond istiod, weights must add up to 100 per route (govbot's rule).

Example:
    >>> check({"kind": "HorizontalPodAutoscaler", "spec": {"minReplicas": 3, "maxReplicas": 2}})
    ['spec.maxReplicas: 2 is below minReplicas 3']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from policies import units

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_PRINCIPAL = re.compile(
    r"^[^/\s]+/ns/[a-z0-9]([-a-z0-9]*[a-z0-9])?/sa/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$"
)
# Envoy's retry conditions as istiod accepts them (supportedRetryOnPolicies).
RETRY_ON = frozenset({
    "5xx", "gateway-error", "reset", "reset-before-request", "connect-failure",
    "retriable-4xx", "refused-stream", "retriable-status-codes", "retriable-headers",
    "envoy-ratelimited", "http3-post-connect-failure",
    "cancelled", "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
})
_STRING_MATCH_KEYS = ("exact", "prefix", "regex")
_GATEWAY = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")


def check(obj: Mapping[str, Any]) -> list[str]:
    """Every semantic problem of one object; [] when istiod would accept it."""
    spec = obj.get("spec")
    checker = _CHECKS.get(str(obj.get("kind")))
    if checker is None or not isinstance(spec, Mapping):
        return []
    return checker(spec)


def duration_problem(value: Any, where: str) -> list[str]:
    """A duration as istiod takes it: `1h`, `1m30s`, `250ms`; at least 1 ms, whole ms."""
    problem = units.duration_problem(value)
    return [f"{where}: {problem}"] if problem else []


def _virtual_service(spec: Mapping[str, Any]) -> list[str]:
    problems = [f"spec.gateways: {gateway!r} is not mesh or <namespace>/<name>"
                for gateway in spec.get("gateways") or []
                if gateway != "mesh" and not _GATEWAY.match(str(gateway))]
    for number, http in enumerate(spec.get("http") or []):
        where = f"spec.http[{number}]"
        problems += _weights(http.get("route") or [], where)
        for index, match in enumerate(http.get("match") or []):
            problems += _match_request(match, f"{where}.match[{index}]")
        if "timeout" in http:
            problems += duration_problem(http["timeout"], f"{where}.timeout")
        if "retries" in http:
            problems += _retries(http["retries"], f"{where}.retries")
        if "fault" in http:
            problems += _fault(http["fault"], f"{where}.fault")
    return problems


def _weights(route: list[Any], where: str) -> list[str]:
    weights = [d.get("weight", 0) for d in route]
    if not all(isinstance(w, int) and not isinstance(w, bool) for w in weights):
        return [f"{where}.route: weights must be whole numbers"]
    if any(w < 0 for w in weights):
        return [f"{where}.route: a weight is negative"]
    if len(weights) > 1 and sum(weights) == 0:
        return [f"{where}.route: the weights are all 0"]
    given = len(weights) > 1 or any("weight" in d for d in route)
    if given and sum(weights) != 100:
        return [f"{where}.route: the weights add up to {sum(weights)}, not 100"]
    return []


def _match_request(match: Mapping[str, Any], where: str) -> list[str]:
    problems = []
    for key in ("headers", "withoutHeaders", "queryParams"):
        for name, rule in (match.get(key) or {}).items():
            if key != "queryParams" and not units.is_header_name(name):
                problems.append(f"{where}.{key}: {name!r} is not a lowercase header name")
            problems += _string_match(rule, f"{where}.{key}.{name}")
    for key in ("uri", "scheme", "method", "authority"):
        if key in match:
            problems += _string_match(match[key], f"{where}.{key}")
    return problems


def _string_match(rule: Any, where: str) -> list[str]:
    if not isinstance(rule, Mapping):
        return [f"{where}: must be a map with one of exact, prefix or regex"]
    kinds = [key for key in _STRING_MATCH_KEYS if key in rule]
    if len(kinds) > 1:
        return [f"{where}: has {' and '.join(kinds)}; exactly one is allowed"]
    if not kinds:
        return []  # `{}` checks only that the header is present
    value = rule[kinds[0]]
    if not isinstance(value, str) or (kinds[0] != "exact" and not value):
        return [f"{where}.{kinds[0]}: must be a non-empty string"]
    found = units.re2_problem(value) if kinds[0] == "regex" else None
    return [f"{where}.regex: {found}"] if found else []


def _retries(retries: Mapping[str, Any], where: str) -> list[str]:
    attempts = retries.get("attempts", 0)
    if not isinstance(attempts, int) or attempts < 0:
        return [f"{where}.attempts: {attempts!r} is not a whole number >= 0"]
    extra = [k for k in ("perTryTimeout", "retryOn", "retryRemoteLocalities") if k in retries]
    if attempts == 0 and extra:
        return [f"{where}: {', '.join(extra)} configured with attempts 0"]
    problems = []
    if "perTryTimeout" in retries:
        problems += duration_problem(retries["perTryTimeout"], f"{where}.perTryTimeout")
    for condition in str(retries.get("retryOn", "5xx")).split(","):
        name = condition.strip()
        if name not in RETRY_ON and not (name.isdigit() and 100 <= int(name) <= 599):
            problems.append(f"{where}.retryOn: {name!r} is neither a retry condition nor a code")
    return problems


def _fault(fault: Mapping[str, Any], where: str) -> list[str]:
    if "delay" not in fault and "abort" not in fault:
        return [f"{where}: needs a delay, an abort or both"]
    problems = []
    delay = fault.get("delay")
    if delay is not None:
        if "exponentialDelay" in delay:
            problems.append(f"{where}.delay.exponentialDelay: not supported by istiod")
        problems += duration_problem(delay.get("fixedDelay"), f"{where}.delay.fixedDelay")
        problems += _percentage(delay, f"{where}.delay")
    abort = fault.get("abort")
    if abort is not None:
        kinds = [k for k in ("httpStatus", "grpcStatus", "http2Error") if k in abort]
        status = abort.get("httpStatus")
        if len(kinds) != 1:
            problems.append(f"{where}.abort: needs exactly one of httpStatus or grpcStatus")
        elif kinds == ["http2Error"]:
            problems.append(f"{where}.abort.http2Error: not supported by istiod")
        elif kinds == ["httpStatus"] and not (isinstance(status, int) and 200 <= status <= 599):
            problems.append(f"{where}.abort.httpStatus: {status!r} is not a status 200-599")
        problems += _percentage(abort, f"{where}.abort")
    return problems


def _percentage(owner: Mapping[str, Any], where: str) -> list[str]:
    value = (owner.get("percentage") or {}).get("value", 0)
    if not units.is_fine_percent(value):
        return [f"{where}.percentage.value: {value!r} is not 0 or within 0.0001-100"]
    return []


def _destination_rule(spec: Mapping[str, Any]) -> list[str]:
    problems = []
    for index, subset in enumerate(spec.get("subsets") or []):
        name = subset.get("name")
        if not isinstance(name, str) or not _DNS_LABEL.match(name):
            problems.append(f"spec.subsets[{index}].name: {name!r} is not a DNS-1123 label")
        if "trafficPolicy" in subset:
            problems += _traffic_policy(subset["trafficPolicy"], f"spec.subsets[{index}]")
    if "trafficPolicy" in spec:
        problems += _traffic_policy(spec["trafficPolicy"], "spec")
    return problems


_POOL_COUNTS = {
    "tcp": ("maxConnections",),
    "http": ("http1MaxPendingRequests", "http2MaxRequests", "maxRequestsPerConnection",
             "maxRetries", "maxConcurrentStreams"),
}
_POOL_DURATIONS = {"tcp": ("connectTimeout", "maxConnectionDuration", "idleTimeout"),
                   "http": ("idleTimeout",)}


def _traffic_policy(policy: Mapping[str, Any], where: str) -> list[str]:
    where = f"{where}.trafficPolicy"
    if not policy:
        return [f"{where}: must set at least one field"]
    problems = []
    pool = policy.get("connectionPool")
    if pool is not None and not ("http" in pool or "tcp" in pool):
        problems.append(f"{where}.connectionPool: needs http or tcp")
    for part, counts in _POOL_COUNTS.items():
        section = (pool or {}).get(part) or {}
        problems += _counts(section, counts, f"{where}.connectionPool.{part}")
        for key in _POOL_DURATIONS[part]:
            if key in section:
                problems += duration_problem(section[key], f"{where}.connectionPool.{part}.{key}")
    outlier = policy.get("outlierDetection")
    if outlier is not None:
        problems += _outlier(outlier, f"{where}.outlierDetection")
    return problems


def _outlier(outlier: Mapping[str, Any], where: str) -> list[str]:
    problems = _counts(outlier, ("consecutive5xxErrors", "consecutiveGatewayErrors",
                                 "consecutiveLocalOriginFailures"), where)
    for key in ("interval", "baseEjectionTime"):
        if key in outlier:
            problems += duration_problem(outlier[key], f"{where}.{key}")
    for key in ("maxEjectionPercent", "minHealthPercent"):
        value = outlier.get(key, 0)
        if not units.is_whole_percent(value):
            problems.append(f"{where}.{key}: {value!r} is not a percentage 0-100")
    if "consecutiveLocalOriginFailures" in outlier and not outlier.get(
            "splitExternalLocalOriginErrors"):
        problems.append(f"{where}: consecutiveLocalOriginFailures needs "
                        "splitExternalLocalOriginErrors: true")
    return problems


def _counts(section: Mapping[str, Any], keys: tuple[str, ...], where: str) -> list[str]:
    return [
        f"{where}.{key}: {section[key]!r} is not a whole number >= 0"
        for key in keys
        if key in section and not (isinstance(section[key], int) and section[key] >= 0)
    ]


def _authorization_policy(spec: Mapping[str, Any]) -> list[str]:
    problems = []
    if "selector" in spec and ("targetRef" in spec or "targetRefs" in spec):
        problems.append("spec: selector and targetRef(s) exclude each other")
    for number, rule in enumerate(spec.get("rules") or []):
        for index, entry in enumerate(rule.get("from") or []):
            where = f"spec.rules[{number}].from[{index}].source"
            source = entry.get("source")
            if not source:
                problems.append(f"{where}: must set at least one field")
                continue
            for key in ("principals", "notPrincipals"):
                problems += [p for v in source.get(key) or [] if (p := _principal(v, where))]
    return problems


def _principal(value: Any, where: str) -> str:
    """Why `value` is not a principal istiod and Envoy will match, or ''."""
    if not isinstance(value, str) or not value or any(c.isspace() for c in value):
        return f"{where}.principals: {value!r} is not a non-empty principal"
    if value.startswith("spiffe://"):
        return f"{where}.principals: {value!r} must not carry the spiffe:// scheme"
    if "*" in value.strip("*") or value.count("*") > 1:
        return f"{where}.principals: {value!r} may have one * only at its start or end"
    if "*" not in value and not _PRINCIPAL.match(value):
        return f"{where}.principals: {value!r} is not <trust domain>/ns/<namespace>/sa/<account>"
    return ""


def _autoscaler(spec: Mapping[str, Any]) -> list[str]:
    low, high = spec.get("minReplicas", 1), spec.get("maxReplicas")
    if not isinstance(low, int) or low < 1:
        return [f"spec.minReplicas: {low!r} is below 1"]
    problems = []
    if isinstance(high, int) and high < low:
        problems.append(f"spec.maxReplicas: {high} is below minReplicas {low}")
    for index, metric in enumerate(spec.get("metrics") or []):
        target = (metric.get("resource") or {}).get("target") or {}
        share = target.get("averageUtilization")
        if target.get("type") == "Utilization" and not (isinstance(share, int) and share >= 1):
            problems.append(f"spec.metrics[{index}]: averageUtilization {share!r} is below 1")
    return problems


def _http_route(spec: Mapping[str, Any]) -> list[str]:
    """What the HTTPRoute CRD's CEL rules and Istio's regex engine (RE2) add to its schema."""
    problems = []
    for number, rule in enumerate(spec.get("rules") or []):
        where = f"spec.rules[{number}]"
        for index, ref in enumerate(rule.get("backendRefs") or []):
            weight = ref.get("weight", 1)
            if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
                problems.append(f"{where}.backendRefs[{index}].weight: {weight!r} is not a "
                                "whole number >= 0")
            if ref.get("kind", "Service") == "Service" and "port" not in ref:
                problems.append(f"{where}.backendRefs[{index}]: a Service needs a port")
        for index, match in enumerate(rule.get("matches") or []):
            for header in match.get("headers") or []:
                found = (units.re2_problem(str(header.get("value")))
                         if header.get("type") == "RegularExpression" else None)
                if found:
                    problems.append(f"{where}.matches[{index}].headers.{header.get('name')}: "
                                    f"{found}")
        problems += _route_timeouts(rule.get("timeouts") or {}, f"{where}.timeouts")
    return problems


def _route_timeouts(timeouts: Mapping[str, Any], where: str) -> list[str]:
    request, backend = timeouts.get("request"), timeouts.get("backendRequest")
    if request is None or backend is None:
        return []
    if units.duration_ms(str(request)) and \
            units.duration_ms(str(backend)) > units.duration_ms(str(request)):
        return [f"{where}.backendRequest: {backend} is longer than the request timeout "
                f"{request} (the per-try timeout must fit in the timeout)"]
    return []


def _envoy_filter(spec: Mapping[str, Any]) -> list[str]:
    if "workloadSelector" in spec and "targetRefs" in spec:
        return ["spec: workloadSelector and targetRefs exclude each other"]
    return []


_CHECKS: dict[str, Callable[[Mapping[str, Any]], list[str]]] = {
    "VirtualService": _virtual_service,
    "DestinationRule": _destination_rule,
    "AuthorizationPolicy": _authorization_policy,
    "HorizontalPodAutoscaler": _autoscaler,
    "EnvoyFilter": _envoy_filter,
    "HTTPRoute": _http_route,
}
