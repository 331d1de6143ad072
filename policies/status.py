"""What `/status <svc>` answers: a few lines on one service's policy, pure, no I/O.

The workflow reads the document on main and passes its plain data (`policies.document.plain`).
A document a human broke still gets an answer: missing or odd fields read as "not set".

Example:
    >>> print(status({"metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
    ...               "spec": {"versions": {"stable": "v1", "canary": "v2"},
    ...                        "release": {"strategy": "canary", "canaryWeight": 20},
    ...                        "rateLimit": {"enabled": True, "requests": 500, "per": "5s"}}}))
    svc-user in prod/demo
    versions: stable v1, canary v2
    release: canary, 80% to v1, 20% to v2
    rate limit: on, 500 requests per 5s
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def status(data: Mapping[str, Any]) -> str:
    meta = _mapping(data.get("metadata"))
    spec = _mapping(data.get("spec"))
    versions = _mapping(spec.get("versions"))
    title = f"{meta.get('name', '?')} in {meta.get('env', '?')}/{meta.get('namespace', '?')}"
    return "\n".join([title, _versions(versions), _release(spec, versions), _limit(spec)])


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _versions(versions: Mapping[str, Any]) -> str:
    stable, canary = versions.get("stable", "not set"), versions.get("canary")
    return f"versions: stable {stable}" + (f", canary {canary}" if canary else ", no canary")


def _release(spec: Mapping[str, Any], versions: Mapping[str, Any]) -> str:
    release = _mapping(spec.get("release"))
    stable, canary = versions.get("stable", "?"), versions.get("canary")
    weight = release.get("canaryWeight", 0) if canary else 0
    if not isinstance(weight, int) or isinstance(weight, bool):
        return f"release: canary weight {weight!r} is not a percentage"
    strategy = release.get("strategy", "canary")
    if weight == 0:
        return f"release: {strategy}, all traffic to {stable}"
    return f"release: {strategy}, {100 - weight}% to {stable}, {weight}% to {canary}"


def _limit(spec: Mapping[str, Any]) -> str:
    if "rateLimit" not in spec:
        return "rate limit: not set"
    limit = _mapping(spec.get("rateLimit"))
    state = "on" if limit.get("enabled", True) is True else "off"
    text = f"rate limit: {state}, {limit.get('requests', '?')} requests per {limit.get('per', '?')}"
    headers = _mapping(_mapping(limit.get("match")).get("headers"))
    for header, rule in headers.items():
        text += f", only header {header}={_mapping(rule).get('exact', '?')}"
    return text
