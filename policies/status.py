"""What `/status <svc>` and `/policies` answer: a service's policies and their state.

`status` gives one line per policy (on, off or not set), like a governance console;
`overview` gives one line per service for `/policies`; a line that reads "" is left out
(the exposure, shown only for a service that is exposed). Pure, no I/O: the workflow
passes plain data (`policies.document.plain`). A document a human broke still gets an
answer: missing or odd fields read as "not set" or "?".

Example:
    >>> data = {"metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
    ...         "spec": {"versions": {"stable": "v1", "canary": "v2"},
    ...                  "release": {"strategy": "canary", "canaryWeight": 20},
    ...                  "rateLimit": {"enabled": True, "requests": 500, "per": "5s"},
    ...                  "timeout": "3s"}}
    >>> print(status(data))
    svc-user in prod/demo
    versions: stable v1, canary v2
    release: canary, 80% to v1, 20% to v2
    routes: not set
    rate limit: on, 500 requests per 5s
    circuit breaker: not set
    whitelist: not set
    fault: not set
    timeout: 3s, no retries
    autoscale: not set
    >>> overview(data)
    'svc-user  canary 20% · routes — · ratelimit on · circuitbreak — · whitelist — · fault — \
· timeout 3s · autoscale —'

`plane` names a namespace's data plane for the `/policies` heading, and `unavailable`
what that plane cannot carry, before anyone types the command (`policies.mesh`):

    >>> plane(Mesh(AMBIENT, "experimental"))
    'mesh: ambient, Gateway API experimental channel'
    >>> for line in unavailable(Mesh(AMBIENT, "experimental")):  # doctest: +ELLIPSIS
    ...     print(line)
    fault: not available in ambient mode: fault injection has no ambient-supported API ...
    ratelimit: not available in ambient mode: local rate limiting needs an EnvoyFilter, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from policies import kinds
from policies.mesh import AMBIENT, Mesh, unsupported
from policies.status_lines import NOT_SET, StatusLine, versions_line

__all__ = ["NOT_SET", "overview", "plane", "status", "unavailable"]

# A document holding every section some mode cannot carry, and the command each is.
_PROBE = {"fault": {"abort": {"httpStatus": 503, "percent": 1}},
          "rateLimit": {"requests": 1, "per": "1s"}, "retries": {"attempts": 1}}
_COMMANDS = {"fault": "fault", "rateLimit": "ratelimit", "retries": "retries"}


def status(data: Mapping[str, Any], now: datetime | None = None) -> str:
    """One line per policy of the service; `now` marks an expired fault."""
    meta, spec = _mapping(data.get("metadata")), _mapping(data.get("spec"))
    title = f"{meta.get('name', '?')} in {meta.get('env', '?')}/{meta.get('namespace', '?')}"
    owner = spec.get("managedBy", "govbot")
    lines = [title] + ([f"managed by: {owner}"] if owner != "govbot" else [])
    lines.append(versions_line(_mapping(spec.get("versions"))))
    shown = [text for line in _lines() if (text := line.line(spec, now))]
    return "\n".join(lines + shown)


def overview(data: Mapping[str, Any], now: datetime | None = None) -> str:
    """One line for `/policies`: the service and the state of each policy."""
    spec = _mapping(data.get("spec"))
    parts = [text for line in _lines() if (text := line.brief(spec, now))]
    owner = spec.get("managedBy", "govbot")
    if owner != "govbot":
        parts.append(f"managed by {owner}")
    name = _mapping(data.get("metadata")).get("name", "?")
    return f"{name}  " + " · ".join(parts)


def plane(of: Mesh) -> str:
    """The data plane of a namespace in a few words."""
    if of.mode != AMBIENT:
        return f"mesh: {of.mode}"
    alpha = ", alpha fault injection" if of.alpha_faults else ""
    return f"mesh: {of.mode}, Gateway API {of.channel} channel{alpha}"


def unavailable(of: Mesh) -> list[str]:
    """One line per policy the data plane cannot carry: why, and what to do instead."""
    return [f"{_COMMANDS[r.section]}: not available in {of.mode} mode: {r.reason}; "
            f"{r.alternatives}" for r in unsupported(_PROBE, of)]


def _lines() -> list[StatusLine]:
    """Each kind's line once, in the order of `kinds.KINDS` (canary and blue-green share
    the release line)."""
    found: list[StatusLine] = []
    for kind in kinds.KINDS:
        if kind.status is not None and kind.status not in found:
            found.append(kind.status)
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
