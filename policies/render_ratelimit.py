"""Envoy local rate limit of one service as an EnvoyFilter.

Called by `policies.render`. Istio has no first-class rate-limit API, so the limit is an
EnvoyFilter that inserts `envoy.filters.http.local_ratelimit` before the router on the
workload's inbound listener; a header match becomes a descriptor on the inbound route.

Example:
    >>> spec = {"port": 8080, "selector": {"app": "svc-user"}}
    >>> obj = envoy_filter(spec, {"requests": 500, "per": "5s"}, {"name": "x"})
    >>> describe_limit(obj["spec"]["configPatches"])
    '500/5s'
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import units
from policies.rendering import Renderer, Target, enabled, nothing

_TYPED_STRUCT = "type.googleapis.com/udpa.type.v1.TypedStruct"
_LOCAL_RATELIMIT = (
    "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
)
FILTER = "envoy.filters.http.local_ratelimit"
# With a header match, requests without that header draw from a default bucket so large
# that it never limits (Envoy requires one per route).
_DEFAULT_BUCKET = 1_000_000


def envoy_filter(
    spec: Mapping[str, Any], limit: Mapping[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    """The EnvoyFilter of an enabled `rateLimit` section."""
    bucket = _bucket(limit["requests"], limit["per"])
    headers = limit.get("match", {}).get("headers", {})
    if headers:
        ((header, rule),) = headers.items()
        patches = [
            _filter_patch({}),
            _route_patch(spec["port"], header, rule["exact"], bucket, limit),
        ]
    else:
        patches = [_filter_patch({"token_bucket": bucket, **_enforcement(limit)})]
    return {
        "apiVersion": "networking.istio.io/v1alpha3",
        "kind": "EnvoyFilter",
        "metadata": meta,
        "spec": {"workloadSelector": {"labels": dict(spec["selector"])}, "configPatches": patches},
    }


def describe_limit(patches: list[dict[str, Any]]) -> str:
    """`500/5s` or `500/5s, user=w_shenyu`, read back from the rendered patches."""
    for patch in reversed(patches):
        value = patch["patch"]["value"]
        config = value.get("typed_per_filter_config", {}).get(FILTER) or value["typed_config"]
        for descriptor in config["value"].get("descriptors", []):
            entries = ", ".join(f"{e['key']}={e['value']}" for e in descriptor["entries"])
            return f"{_rate(descriptor['token_bucket'])}, {entries}"
        if "token_bucket" in config["value"]:
            return _rate(config["value"]["token_bucket"])
    return "rate limit"


def _bucket(requests: int, per: str) -> dict[str, Any]:
    """A token bucket of `requests` tokens refilled every `per`: burst = rate = requests."""
    ms = units.duration_ms(per)
    # protobuf's JSON form of a Duration is seconds only: 5s, 0.050s, 90s
    interval = f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms // 1000}.{ms % 1000:03d}s"
    return {"max_tokens": requests, "tokens_per_fill": requests, "fill_interval": interval}


def _percent(key: str, numerator: int) -> dict[str, Any]:
    return {"runtime_key": key,
            "default_value": {"numerator": numerator, "denominator": "HUNDRED"}}


def _enforcement(limit: Mapping[str, Any]) -> dict[str, Any]:
    """Both default to 0 %: without them Envoy neither counts nor limits. A shadow limit
    is enabled (counted: `http_local_rate_limit.rate_limited`) and enforced at 0 %."""
    enforced = 0 if limit.get("mode") == "shadow" else 100
    return {"filter_enabled": _percent("local_rate_limit_enabled", 100),
            "filter_enforced": _percent("local_rate_limit_enforced", enforced)}


def _local_ratelimit(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "@type": _TYPED_STRUCT,
        "type_url": _LOCAL_RATELIMIT,
        "value": {"stat_prefix": "http_local_rate_limiter", **config},
    }


def _filter_patch(config: Mapping[str, Any]) -> dict[str, Any]:
    """Insert the local rate limit filter before the router on inbound traffic."""
    return {
        "applyTo": "HTTP_FILTER",
        "match": {
            "context": "SIDECAR_INBOUND",
            "listener": {
                "filterChain": {
                    "filter": {
                        "name": "envoy.filters.network.http_connection_manager",
                        "subFilter": {"name": "envoy.filters.http.router"},
                    }
                }
            },
        },
        "patch": {
            "operation": "INSERT_BEFORE",
            "value": {"name": FILTER, "typed_config": _local_ratelimit(config)},
        },
    }


def _route_patch(
    port: int, header: str, value: str, bucket: dict[str, Any], limit: Mapping[str, Any]
) -> dict[str, Any]:
    """Per-route config of the inbound vhost: a descriptor per header value, and a default
    bucket that matching requests do not draw from."""
    default = _bucket(max(_DEFAULT_BUCKET, limit["requests"]), limit["per"])
    config = {
        "token_bucket": default,
        "always_consume_default_token_bucket": False,
        "descriptors": [{"entries": [{"key": header, "value": value}], "token_bucket": bucket}],
        **_enforcement(limit),
    }
    action = {"request_headers": {"header_name": header, "descriptor_key": header}}
    return {
        "applyTo": "HTTP_ROUTE",
        "match": {
            "context": "SIDECAR_INBOUND",
            "routeConfiguration": {
                "vhost": {"name": f"inbound|http|{port}", "route": {"action": "ANY"}}
            },
        },
        "patch": {
            "operation": "MERGE",
            "value": {
                "route": {"rate_limits": [{"actions": [action]}]},
                "typed_per_filter_config": {FILTER: _local_ratelimit(config)},
            },
        },
    }


def _rate(bucket: Mapping[str, Any]) -> str:
    ms = round(float(bucket["fill_interval"].removesuffix("s")) * 1000)
    return f"{bucket['tokens_per_fill']}/{units.format_ms(ms)}"


def envoy_filter_for(target: Target) -> dict[str, Any] | None:
    """The EnvoyFilter of an enabled rate limit, else None."""
    limit = target.spec.get("rateLimit")
    if not enabled(limit):
        return None
    return envoy_filter(target.spec, limit, target.meta(f"{target.service}-local-ratelimit"))


# Waypoints ignore EnvoyFilters silently: an ambient namespace never gets one (the limit
# is refused there, `policies.mesh`).
ENVOY_FILTER = Renderer("rateLimit", envoy_filter_for, nothing)
