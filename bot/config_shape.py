"""The shape of govbot.yaml: every key govbot or the guardrails read, block by block, and
the type each one takes. `bot.config_checks.config_problems` calls `shape_problems` first,
so a misspelt key (`aprovals`) or a block of the wrong type (`approvals: 7`) is refused
instead of silently leaving its setting at a weaker default.

The values inside a block (a limit's bounds, a duration, a group name) are judged by the
checks in `bot.config_checks`; this module knows only names and types. A block marked
`typed=False` has its own, more specific "not a mapping" message there.

Example:
    shape_problems({"environments": {"prod": {"aprovals": {"required": 1}}}})
    # ["govbot.yaml environments.prod.aprovals: unknown key; did you mean approvals? …"]
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Value:
    """A leaf: `kinds` the Python types YAML may give it (empty: any, judged elsewhere)."""

    expected: str = ""
    example: str = ""
    kinds: tuple[type, ...] = ()


@dataclass(frozen=True)
class Block:
    """A mapping with known keys; `typed` False leaves "not a mapping" to its own check."""

    keys: Mapping[str, Node]
    example: str
    typed: bool = True


@dataclass(frozen=True)
class Each:
    """A mapping of names chosen by the repository (environments, namespaces) to `child`."""

    child: Node
    example: str
    typed: bool = True


@dataclass(frozen=True)
class ListOf:
    """A list whose entries are each `child`."""

    child: Node
    example: str = field(default="")


Node = Value | Block | Each | ListOf

ANY = Value()
TEXT = Value("text", "istio-system/public", (str,))
TEXTS = Value("a list of names", "[sre, platform]", (list,))
WHOLE = Value("a whole number", "2", (int,))

_RULE: dict[str, Node] = {"required": WHOLE, "from": TEXTS}
DEESCALATION = Block(_RULE, "{required: 1, from: [sre]}")
APPROVALS = Block({**_RULE, "deescalation": DEESCALATION},
                  "{required: 2, from: [sre]}")
GUARDRAIL_APPROVALS = Block(_RULE, "{required: 2, from: [sre]}")
LIMIT_NAMES = ("canaryMaxStep", "blueGreenSwitch", "rateLimitMinWindow", "rateLimitMaxRequests",
               "faultRequireTimebox", "faultMaxDuration", "faultMaxAbortPercent", "timeoutMin",
               "timeoutMax", "retriesMax", "retryBudget", "maxEjectionPercent")
NAMESPACE = Block({"maxReplicas": ANY, "quota": ANY, "mesh": ANY, "waypoint": ANY},
                  "{maxReplicas: 20, mesh: ambient}")
ENVIRONMENT = Block({
    "approvals": APPROVALS,
    "limits": Block({name: ANY for name in LIMIT_NAMES}, "{canaryMaxStep: 25, timeoutMax: 60s}"),
    "namespaces": Each(NAMESPACE, "{demo: {maxReplicas: 20}}"),
    "cluster": Block({"context": ANY, "kubeconfig": ANY}, "{context: prod-east}", typed=False),
    "prometheus": ANY,
    "freezes": ANY,  # policies.freeze checks each window, its keys included
    "apps": Block({"allowed": ANY, "versions": ANY}, "{allowed: [redis]}", typed=False),
}, "{approvals: {required: 1}, namespaces: {demo: {}}}")
CHANNEL = Block({"platform": ANY, "channel": ANY, "env": ANY, "namespace": ANY},
                "{platform: slack, channel: C0123, env: prod, namespace: demo}")
EVENTS = Block({
    "defaultChannel": Block({"platform": ANY, "channel": ANY}, "{platform: slack, channel: C0456}"),
    "groupWindow": ANY,
    "kinds": Each(Block({"threshold": ANY, "severity": ANY}, "{threshold: 10}", typed=False),
                  "{rate_limit: {threshold: 10, severity: warning}}"),
}, "{groupWindow: 5m}", typed=False)
DOCUMENT = Block({
    "apiVersion": TEXT, "kind": TEXT, "clusterDomain": ANY, "trustDomain": ANY,
    "ingressGateway": Block({"caller": TEXT, "serviceAccount": TEXT, "gateway": TEXT,
                             "domains": Value("a list of DNS domains", "[example.com]", (list,))},
                            "{caller: istio-system/istio-ingressgateway}"),
    "console": Block({"defaultUser": TEXT}, "{defaultUser: alice}"),
    "environments": Each(ENVIRONMENT, "{dev: {approvals: {required: 1}}}"),
    "gatewayApi": Block({"channel": ANY}, "{channel: standard}", typed=False),
    "ambient": Block({"faultInjection": ANY}, "{faultInjection: off}", typed=False),
    "merge": ANY,
    "governance": Block({"approvals": GUARDRAIL_APPROVALS}, "{approvals: {required: 2}}"),
    "templates": Block({"approvals": GUARDRAIL_APPROVALS}, "{approvals: {required: 1}}"),
    "channels": ListOf(CHANNEL, "[{platform: console, channel: '*', env: dev, namespace: demo}]"),
    "events": EVENTS,
}, "")


def shape_problems(config: Mapping[str, Any]) -> list[str]:
    """Every unknown key and every value of the wrong type in govbot.yaml."""
    return _walk(DOCUMENT, config, "")


def closest(word: str, known: list[str] | tuple[str, ...]) -> str | None:
    """The known name `word` was most likely meant to be, or None when none is close."""
    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _walk(node: Node, value: Any, where: str) -> list[str]:
    match node:
        case Value(kinds=()):
            return []
        case Value(expected=expected, example=example, kinds=kinds):
            if isinstance(value, kinds) and not isinstance(value, bool):
                return []
            return [f"govbot.yaml {where}: {value!r} is not {expected}; write it like "
                    f"{where.rsplit('.', 1)[-1]}: {example}"]
        case ListOf(child=child, example=example):
            if not isinstance(value, list):
                return [_not_a(where, value, "list", example)]
            return [p for n, entry in enumerate(value)
                    for p in _walk(child, entry, f"{where}[{n}]")]
        case Each(child=child, example=example, typed=typed):
            if not isinstance(value, Mapping):
                return [_not_a(where, value, "mapping", example)] if typed and value is not None \
                    else []
            return [p for name, entry in value.items()
                    for p in _walk(child, entry, f"{where}.{name}")]
        case Block(keys=keys, example=example, typed=typed):
            if not isinstance(value, Mapping):
                return [_not_a(where, value, "mapping", example)] if typed and value is not None \
                    else []
            return _block(keys, value, where, example)
    return []


def _block(keys: Mapping[str, Node], value: Mapping[str, Any], where: str,
           example: str) -> list[str]:
    problems = []
    prefix = f"{where}." if where else ""
    like = f" (like {where.rsplit('.', 1)[-1]}: {example})" if example else ""
    for key, entry in value.items():
        if key in keys:
            problems += _walk(keys[key], entry, f"{prefix}{key}")
            continue
        guess = closest(str(key), list(keys))
        hint = f"did you mean {guess}? " if guess else ""
        problems.append(f"govbot.yaml {prefix}{key}: unknown field, so it would change nothing; "
                        f"{hint}known fields here: {', '.join(keys)}{like}")
    return problems


def _not_a(where: str, value: Any, kind: str, example: str) -> str:
    return (f"govbot.yaml {where}: {value!r} is not a {kind}; expected a {kind} like "
            f"{where.rsplit('.', 1)[-1]}: {example}")
