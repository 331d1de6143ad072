"""Render one ServicePolicy to the Kubernetes/Istio objects that carry it out: pure, no I/O.

After a merge the workflow renders each service the merge changed and hands the objects,
in apply order, to the apply target: DestinationRule (subsets by the pod label `version`),
VirtualService (canary weights summing to 100), and an EnvoyFilter for Envoy's local rate
limit when one is enabled. Every object carries `app.kubernetes.io/managed-by: govbot`
and `govbot.dev/source` (a label-safe form of the path as a label, the exact path as an
annotation), so the apply target can find and prune what a document no longer renders.

Example:
    >>> from policies.document import new_document, plain
    >>> path = "services/prod/demo/svc-user.yaml"
    >>> describe(render(plain(new_document("prod", "demo", "svc-user")), path))
    'VirtualService svc-user (v1 100 / v2 0), DestinationRule svc-user'
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from typing import Any

import yaml

from bot.core.errors import InvalidDocument
from policies import units
from policies.document import parse_service_path, validate

MANAGED_BY = "app.kubernetes.io/managed-by"
SOURCE = "govbot.dev/source"
_TYPED_STRUCT = "type.googleapis.com/udpa.type.v1.TypedStruct"
_LOCAL_RATELIMIT = (
    "type.googleapis.com/envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit"
)
_FILTER = "envoy.filters.http.local_ratelimit"
# With a header match, requests without that header draw from a default bucket so large
# that it never limits (Envoy requires one per route).
_DEFAULT_BUCKET = 1_000_000


def render(
    data: Mapping[str, Any], path: str, cluster_domain: str = "cluster.local"
) -> list[dict[str, Any]]:
    """The objects of one service document, in apply order; InvalidDocument if invalid."""
    problems = validate(data, path)
    parts = parse_service_path(path)
    if problems or parts is None:
        raise InvalidDocument(path, problems)
    _, namespace, service = parts
    spec = data["spec"]
    host = f"{service}.{namespace}.svc.{cluster_domain}"
    objects = [
        _destination_rule(spec, host, _metadata(service, namespace, path)),
        _virtual_service(spec, host, _metadata(service, namespace, path)),
    ]
    limit = spec.get("rateLimit")
    if limit is not None and limit.get("enabled", True):
        name = f"{service}-local-ratelimit"
        objects.append(_envoy_filter(spec, limit, _metadata(name, namespace, path)))
    return objects


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


def file_name(obj: Mapping[str, Any]) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def dump_object(obj: Mapping[str, Any]) -> str:
    """Block-style YAML of one object."""
    return yaml.safe_dump(dict(obj), sort_keys=False, allow_unicode=True, width=4096)


def _metadata(name: str, namespace: str, path: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": namespace,
        "labels": {MANAGED_BY: "govbot", SOURCE: source_label(path)},
        "annotations": {SOURCE: path},
    }


def _versions(spec: Mapping[str, Any]) -> list[str]:
    versions = spec["versions"]
    return [versions["stable"], *([versions["canary"]] if "canary" in versions else [])]


def _destination_rule(spec: Mapping[str, Any], host: str, meta: dict[str, Any]) -> dict[str, Any]:
    subsets = [{"name": v, "labels": {"version": v}} for v in _versions(spec)]
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "DestinationRule",
        "metadata": meta,
        "spec": {"host": host, "subsets": subsets},
    }


def _virtual_service(spec: Mapping[str, Any], host: str, meta: dict[str, Any]) -> dict[str, Any]:
    versions = _versions(spec)
    canary = spec.get("release", {}).get("canaryWeight", 0) if len(versions) > 1 else 0
    weights = [100 - canary, canary][: len(versions)]
    route = [
        {"destination": {"host": host, "subset": version}, "weight": weight}
        for version, weight in zip(versions, weights, strict=True)
    ]
    return {
        "apiVersion": "networking.istio.io/v1",
        "kind": "VirtualService",
        "metadata": meta,
        "spec": {"hosts": [host], "http": [{"name": "default", "route": route}]},
    }


def _envoy_filter(
    spec: Mapping[str, Any], limit: Mapping[str, Any], meta: dict[str, Any]
) -> dict[str, Any]:
    bucket = _bucket(limit["requests"], limit["per"])
    headers = limit.get("match", {}).get("headers", {})
    if headers:
        ((header, rule),) = headers.items()
        patches = [
            _filter_patch({}),
            _route_patch(spec["port"], header, rule["exact"], bucket, limit),
        ]
    else:
        patches = [_filter_patch({"token_bucket": bucket, **_ENFORCED})]
    return {
        "apiVersion": "networking.istio.io/v1alpha3",
        "kind": "EnvoyFilter",
        "metadata": meta,
        "spec": {"workloadSelector": {"labels": dict(spec["selector"])}, "configPatches": patches},
    }


def _bucket(requests: int, per: str) -> dict[str, Any]:
    """A token bucket of `requests` tokens refilled every `per`: burst = rate = requests."""
    ms = units.duration_ms(per)
    # protobuf's JSON form of a Duration is seconds only: 5s, 0.050s, 90s
    interval = f"{ms // 1000}s" if ms % 1000 == 0 else f"{ms // 1000}.{ms % 1000:03d}s"
    return {"max_tokens": requests, "tokens_per_fill": requests, "fill_interval": interval}


def _percent(key: str) -> dict[str, Any]:
    return {"runtime_key": key, "default_value": {"numerator": 100, "denominator": "HUNDRED"}}


# Both default to 0 %: without them Envoy counts but never limits.
_ENFORCED = {
    "filter_enabled": _percent("local_rate_limit_enabled"),
    "filter_enforced": _percent("local_rate_limit_enforced"),
}


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
            "value": {"name": _FILTER, "typed_config": _local_ratelimit(config)},
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
        **_ENFORCED,
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
                "typed_per_filter_config": {_FILTER: _local_ratelimit(config)},
            },
        },
    }


def _describe_one(obj: Mapping[str, Any]) -> str:
    kind, name = obj["kind"], obj["metadata"]["name"]
    if kind == "VirtualService":
        route = obj["spec"]["http"][0]["route"]
        weights = " / ".join(f"{d['destination']['subset']} {d['weight']}" for d in route)
        return f"{kind} {name} ({weights})"
    if kind == "EnvoyFilter":
        return f"{kind} {name} ({_describe_limit(obj['spec']['configPatches'])})"
    return f"{kind} {name}"


def _describe_limit(patches: list[dict[str, Any]]) -> str:
    """`500/5s` or `500/5s, user=w_shenyu`, read back from the rendered patches."""
    for patch in reversed(patches):
        value = patch["patch"]["value"]
        config = value.get("typed_per_filter_config", {}).get(_FILTER) or value["typed_config"]
        for descriptor in config["value"].get("descriptors", []):
            entries = ", ".join(f"{e['key']}={e['value']}" for e in descriptor["entries"])
            return f"{_rate(descriptor['token_bucket'])}, {entries}"
        if "token_bucket" in config["value"]:
            return _rate(config["value"]["token_bucket"])
    return "rate limit"


def _rate(bucket: Mapping[str, Any]) -> str:
    ms = round(float(bucket["fill_interval"].removesuffix("s")) * 1000)
    return f"{bucket['tokens_per_fill']}/{units.format_ms(ms)}"
