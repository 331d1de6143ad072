"""Checks of the service's own fields: port, selector, versions, release, identity, owner.

`policies.kinds.SERVICE_FIELDS` lists them; `release_versions` checks what release names
against the versions the document has.

Example:
    >>> release({"strategy": "blueGreen"}, "spec.release")
    ['spec.release.active: required with strategy blueGreen, a value of spec.versions']
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import hosts, units
from policies.checks import fields

STRATEGIES = ("canary", "blueGreen")
OWNERS = ("govbot", "flagger", "argo-rollouts")


def port(value: Any, field: str) -> list[str]:
    if fields.is_int(value) and 1 <= value <= 65535:
        return []
    return [f"{field}: {value!r} is not a port 1-65535"]


def target_port(value: Any, field: str) -> list[str]:
    """The pods' port: a number 1-65535 or a container port's name (an IANA_SVC_NAME)."""
    if isinstance(value, str) and units.is_port_name(value):
        return []
    if fields.is_int(value) and 1 <= value <= 65535:
        return []
    return [f"{field}: {value!r} is neither a port 1-65535 nor a port name (at most 15 "
            "lowercase letters, digits and '-', with a letter, no '--', no '-' at either "
            "end), e.g. targetPort: 8080 or targetPort: http"]


def selector(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping) or not value:
        return [f"{field}: must be a non-empty map of pod labels, e.g. {{app: svc-user}}"]
    problems = []
    for key, label in value.items():
        if not units.is_label_key(str(key)):
            problems.append(f"{field}.{key}: not a Kubernetes label name")
        if not isinstance(label, str) or not units.is_label_value(label):
            problems.append(
                f"{field}.{key}: {label!r} is not a label value (text of at most 63 "
                "letters, digits, '-', '_' or '.', alphanumeric at both ends)"
            )
    return problems


def versions(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping with stable (and optionally canary)"]
    problems = fields.unknown(value, ("stable", "canary"), f"{field}.")
    problems += fields.required(value, ("stable",), field)
    for key in ("stable", "canary"):
        if key in value:
            problems += fields.label(value[key], f"{field}.{key}")
    if "canary" in value and value.get("canary") == value.get("stable"):
        problems.append(
            f"{field}.canary: {value['canary']!r} is the stable version too; "
            "a canary must be a different version"
        )
    return problems


def release(value: Any, field: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{strategy: canary, canaryWeight: 0}}"]
    problems = fields.unknown(value, ("strategy", "canaryWeight", "active", "progressive",
                                      "expires"), f"{field}.")
    strategy = value.get("strategy", "canary")
    if strategy not in STRATEGIES:
        problems.append(f"{field}.strategy: {strategy!r} is not one of {', '.join(STRATEGIES)}")
    weight = value.get("canaryWeight", 0)
    if not (fields.is_int(weight) and 0 <= weight <= 100):
        problems.append(f"{field}.canaryWeight: {weight!r} is not a whole percentage 0-100")
    if strategy == "blueGreen" and "active" not in value:
        problems.append(
            f"{field}.active: required with strategy blueGreen, a value of spec.versions")
    if strategy == "canary" and "active" in value:
        problems.append(
            f"{field}.active: only with strategy blueGreen; remove it for a canary release")
    if "expires" in value:
        problems += fields.timestamp(value["expires"], f"{field}.expires")
    if "progressive" in value:
        problems += progressive(value["progressive"], f"{field}.progressive")
        if strategy != "canary":
            problems.append(f"{field}.progressive: only with strategy canary")
    return problems


def progressive(value: Any, field: str) -> list[str]:
    """A progressive canary's plan: `step` points every `every` up to `until`, while the
    optional `gate` (successRate percent, p99 duration) holds.

    Example:
        >>> progressive({"step": 0, "every": "15m", "until": 50}, "spec.release.progressive")
        ['spec.release.progressive.step: 0 is not a whole number 1-100']
    """
    if not isinstance(value, Mapping):
        return [f"{field}: must be a mapping, e.g. {{step: 10, every: 15m, until: 50}}"]
    problems = fields.unknown(value, ("step", "every", "until", "gate"), f"{field}.")
    problems += fields.required(value, ("step", "every", "until"), field)
    if "step" in value:
        problems += fields.whole(value["step"], f"{field}.step", 1, 100)
    if "every" in value:
        problems += fields.duration(value["every"], f"{field}.every")
    if "until" in value:
        problems += fields.whole(value["until"], f"{field}.until", 1, 100)
    gate = value.get("gate")
    if gate is None:
        return problems
    if not isinstance(gate, Mapping) or not gate:
        return [*problems, f"{field}.gate: must be a mapping of successRate and/or p99, "
                           "e.g. {successRate: 99.5, p99: 500ms}"]
    problems += fields.unknown(gate, ("successRate", "p99"), f"{field}.gate.")
    if "successRate" in gate and not (fields.is_number(gate["successRate"])
                                      and 0 <= gate["successRate"] <= 100):
        problems.append(f"{field}.gate.successRate: {gate['successRate']!r} is not a "
                        "percentage 0-100")
    if "p99" in gate:
        problems += fields.duration(gate["p99"], f"{field}.gate.p99")
    return problems


def service_account(value: Any, field: str) -> list[str]:
    return fields.label(value, field)


def exposed(value: Any, field: str) -> list[str]:
    """`true`/`false` (the whitelist keeps the ingress gateway; no routes at it), or the
    mapping `{hosts: [...], gateway: <ns>/<name>}` that routes the hosts at the gateway.

    Example:
        >>> exposed({"hosts": ["user.example.com:443"], "gateway": "public"}, "spec.exposed")[0]
        "spec.exposed.hosts[0]: 'user.example.com:443' has a port: the gateway's listener \
decides the port, so give the host alone, like user.example.com"
    """
    if isinstance(value, bool):
        return []
    if not isinstance(value, Mapping):
        return [f"{field}: {value!r} is not true, false or a mapping of hosts and gateway, "
                f"e.g. {{hosts: [{hosts.EXAMPLE_HOST}], gateway: {hosts.EXAMPLE_GATEWAY}}}"]
    problems = fields.unknown(value, ("hosts", "gateway"), f"{field}.")
    problems += fields.required(value, ("hosts", "gateway"), field)
    if "hosts" in value:
        problems += _hosts(value["hosts"], f"{field}.hosts")
    gateway = value.get("gateway")
    if "gateway" in value:
        problem = (hosts.gateway_problem(gateway) if isinstance(gateway, str)
                   else f"{gateway!r} is not <namespace>/<name>, like {hosts.EXAMPLE_GATEWAY}")
        problems += [f"{field}.gateway: {problem}"] if problem else []
    return problems


def _hosts(value: Any, field: str) -> list[str]:
    if not isinstance(value, list) or not value:
        return [f"{field}: must be a non-empty list of host names, e.g. "
                f"[{hosts.EXAMPLE_HOST}]"]
    problems, seen = [], set()
    for number, host in enumerate(value):
        problem = (hosts.host_problem(host) if isinstance(host, str)
                   else f"{host!r} is not a host name, like {hosts.EXAMPLE_HOST}")
        if problem is None and host in seen:
            problem = f"{host!r} is listed twice; list each host once"
        if problem:
            problems.append(f"{field}[{number}]: {problem}")
        seen.add(host)
    return problems


def managed_by(value: Any, field: str) -> list[str]:
    if value in OWNERS:
        return []
    return [f"{field}: {value!r} is not one of {', '.join(OWNERS)}"]


def release_versions(spec: Mapping[str, Any]) -> list[str]:
    """What release and routes name must be a version the document has."""
    release, versions = spec.get("release"), spec.get("versions")
    if not isinstance(versions, Mapping):
        return []  # `versions` reports its own problem
    known = [v for k, v in versions.items() if k in ("stable", "canary")]
    named = ", ".join(str(v) for v in known)
    problems = []
    weight = release.get("canaryWeight", 0) if isinstance(release, Mapping) else 0
    if fields.is_int(weight) and weight > 0 and "canary" not in versions:
        problems.append(f"spec.release.canaryWeight: {weight}% needs spec.versions.canary")
    active = release.get("active") if isinstance(release, Mapping) else None
    if active is not None and active not in known:
        problems.append(f"spec.release.active: {active!r} is not a version here ({named})")
    routes = spec.get("routes")
    for number, route in enumerate(routes if isinstance(routes, list) else []):
        target = route.get("to") if isinstance(route, Mapping) else None
        if target is not None and target not in known:
            problems.append(f"spec.routes[{number}].to: {target!r} is not a version here ({named})")
    return problems
