"""Validation of govbot.yaml and access.yaml, for `govbot check` (and so for the policy
repository's CI): every reference must resolve and every limit must have its type. The
keys and types of each block are `bot.config_shape`'s; access.yaml's own references are
`bot.access_checks`'s.

Pure: plain data in, one message per problem out, each naming the file and the field.

Example:
    config_problems({"environments": {"dev": {"approvals": {"required": "two"}}}}, {})
    # ["govbot.yaml environments.dev.approvals.required: 'two' is not a whole number ≥ 0"]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.access_checks import access_problems
from bot.config_shape import shape_problems
from bot.core import yamlread
from bot.core.events import GOVERNANCE_KINDS
from policies import freeze
from policies import mesh as planes
from policies.apps import quantity
from policies.units import duration_ms, is_dns_label, is_duration

_DOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_URL = re.compile(r"https?://[^\s/?#]+(/[^\s?#]*)?")
PLATFORMS = ("console", "slack", "dingtalk")
MERGE_MODES = ("govbot", "forge")
SEVERITIES = ("info", "warning", "critical")
NUMBER_LIMITS = {"canaryMaxStep": (0, 100), "rateLimitMaxRequests": (1, 2**32 - 1),
                 "faultMaxAbortPercent": (0, 100), "retriesMax": (0, 100),
                 "maxEjectionPercent": (0, 100)}
DURATION_LIMITS = ("rateLimitMinWindow", "faultMaxDuration", "timeoutMin", "timeoutMax")
CHOICE_LIMITS = {"retryBudget": ("warn", "deny", "off"), "faultRequireTimebox": (True, False),
                 "blueGreenSwitch": ("allow", "deny")}


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _whole(value: Any, low: int, high: int | None = None) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool) and value >= low
            and (high is None or value <= high))


def _approvals(where: str, value: Any, access: Mapping[str, Any], env: str | None) -> list[str]:
    """Problems of an approvals section (`env` None: the guardrails' own), and of its
    `deescalation` path, which has the same shape."""
    problems = _approval_rule(where, value, access, env)
    if env is not None and "deescalation" in _map(value):
        deescalation = _map(value)["deescalation"]
        if not isinstance(deescalation, Mapping):
            problems.append(f"govbot.yaml {where}.deescalation: not a mapping of required and "
                            "from")
        else:
            problems += _approval_rule(f"{where}.deescalation", deescalation, access, env)
    return problems


def _approval_rule(where: str, value: Any, access: Mapping[str, Any],
                   env: str | None) -> list[str]:
    problems = []
    approvals, groups = _map(value), _map(access.get("groups"))
    required = approvals.get("required", 1)
    if "required" in approvals and not _whole(required, 0):
        problems.append(f"govbot.yaml {where}.required: {required!r} is not a "
                        "whole number ≥ 0")
    given = approvals.get("from")
    listed: list[Any] = given if isinstance(given, list) else []
    from_groups = [g for g in listed if isinstance(g, str)]
    for group in listed:
        if group not in groups:
            problems.append(f"govbot.yaml {where}.from: group {group!r} is not in access.yaml")
    if _whole(required, 0):
        people = approvers(access, env, from_groups if approvals.get("from") else None)
        if required > len(people):
            problems.append(_unmet(where, required, len(people), env, from_groups))
    return problems


def _unmet(where: str, required: int, able: int, env: str | None, groups: list[str]) -> str:
    place = f"in {env}" if env is not None else "for the guardrails"
    who = (f"members of {', '.join(groups)} holding an approve grant" if groups
           else "people holding an approve grant")
    return (f"govbot.yaml {where}.required: {required} approvals are required {place}, but "
            f"only {able} {'person' if able == 1 else 'people'} may approve there ({who}"
            f"{f' for {env}' if env is not None else ''}); lower the number or grant approve "
            "to more people")


def approvers(access: Mapping[str, Any], env: str | None,
              from_groups: list[str] | None) -> set[str]:
    """The people of access.yaml who may approve in `env` (None: anywhere): holding an
    approve grant for it and, when `from_groups` is given, a member of one of them."""
    people, groups = _map(access.get("people")), _map(access.get("groups"))
    able: set[str] = set()
    for grant in access.get("grants") or ():
        entry = _map(grant)
        envs = entry.get("envs") or ()
        if "approve" not in (entry.get("can") or ()) or not isinstance(envs, list | tuple):
            continue
        if env is not None and "*" not in envs and env not in envs:
            continue
        group = entry.get("group")
        members = groups.get(group) if isinstance(group, str) else None
        able.update(str(m) for m in members or () if m in people)
        if entry.get("person") in people:
            able.add(str(entry["person"]))
    if from_groups is not None:
        able = {p for p in able if any(p in (groups.get(g) or ()) for g in from_groups)}
    return able


def _limits(where: str, value: Any, spelt: Mapping[str, str]) -> list[str]:
    problems = []
    bounds = [_map(value).get(k) for k in ("timeoutMin", "timeoutMax")]
    if all(isinstance(b, str) and is_duration(b) for b in bounds) and \
            duration_ms(str(bounds[0])) > duration_ms(str(bounds[1])):
        problems.append(f"govbot.yaml {where}.timeoutMax: {bounds[1]} is below timeoutMin "
                        f"{bounds[0]}")
    for name, setting in _map(value).items():
        if name in NUMBER_LIMITS and not _whole(setting, *NUMBER_LIMITS[name]):
            low, high = NUMBER_LIMITS[name]
            problems.append(f"govbot.yaml {where}.{name}: {setting!r} is not a whole number "
                            f"from {low} to {high}")
        elif name in DURATION_LIMITS and not (isinstance(setting, str) and is_duration(setting)
                                              and duration_ms(setting) > 0):
            problems.append(f"govbot.yaml {where}.{name}: {setting!r} is not a duration like "
                            "50ms or 1h")
        elif name in CHOICE_LIMITS and setting not in CHOICE_LIMITS[name]:
            problems.append(_not_one_of(f"{where}.{name}", setting, CHOICE_LIMITS[name], spelt))
    return problems


def _cluster(where: str, value: Any) -> list[str]:
    """Problems of an environment's cluster mapping: {context, kubeconfig (optional)}."""
    if not isinstance(value, Mapping):
        return [f"govbot.yaml {where}: not a mapping such as {{context: prod-east}}"]
    problems = []
    context = value.get("context")
    if not isinstance(context, str) or not context.strip():
        problems.append(f"govbot.yaml {where}.context: {context!r} does not name a kubeconfig "
                        "context (for example prod-east)")
    kubeconfig = value.get("kubeconfig", "")
    if not isinstance(kubeconfig, str):
        problems.append(f"govbot.yaml {where}.kubeconfig: {kubeconfig!r} is not a path")
    return problems


def _environments(config: Mapping[str, Any], access: Mapping[str, Any],
                  spelt: Mapping[str, str]) -> list[str]:
    problems = []
    environments = _map(config.get("environments"))
    if not environments:
        problems.append("govbot.yaml environments: at least one environment is needed")
    for env, body in environments.items():
        where = f"environments.{env}"
        if not is_dns_label(str(env)):
            problems.append(f"govbot.yaml {where}: not a DNS-1123 name")
        problems += _approvals(f"{where}.approvals", _map(body).get("approvals"), access,
                               str(env))
        problems += _limits(f"{where}.limits", _map(body).get("limits"), spelt)
        if "cluster" in _map(body):
            problems += _cluster(f"{where}.cluster", _map(body)["cluster"])
        if "prometheus" in _map(body):
            problems += _prometheus(f"{where}.prometheus", _map(body)["prometheus"])
        problems += [f"govbot.yaml {p}" for p in freeze.problems(_map(body).get("freezes"),
                                                                 f"{where}.freezes")]
        if "apps" in _map(body):
            problems += _apps(f"{where}.apps", _map(body)["apps"])
        for namespace, settings in _map(_map(body).get("namespaces")).items():
            if not is_dns_label(str(namespace)):
                problems.append(f"govbot.yaml {where}.namespaces.{namespace}: not a DNS-1123 "
                                "name")
            replicas = _map(settings).get("maxReplicas")
            if replicas is not None and not _whole(replicas, 1):
                problems.append(f"govbot.yaml {where}.namespaces.{namespace}.maxReplicas: "
                                f"{replicas!r} is not a whole number ≥ 1")
            if "quota" in _map(settings):
                problems += _quota(f"{where}.namespaces.{namespace}.quota",
                                   _map(settings)["quota"])
            if "mesh" in _map(settings) and _map(settings)["mesh"] not in planes.MODES:
                problems.append(_not_one_of(
                    f"{where}.namespaces.{namespace}.mesh", _map(settings)["mesh"],
                    planes.MODES, spelt, f"`{namespace}: {{mesh: ambient}}` (docs/ambient.md)"))
            problems += _waypoint(f"{where}.namespaces.{namespace}", _map(settings))
    return problems


def _waypoint(where: str, settings: Mapping[str, Any]) -> list[str]:
    """A namespace's `waypoint`: the name of its waypoint (a DNS-1123 label), whose
    service account the ambient whitelist allows."""
    if "waypoint" not in settings or (isinstance(settings["waypoint"], str)
                                      and is_dns_label(settings["waypoint"])):
        return []
    return [f"govbot.yaml {where}.waypoint: {settings['waypoint']!r} is not a waypoint name "
            "(a DNS-1123 label: lowercase letters, digits and '-'), like `waypoint: waypoint` "
            "(docs/ambient.md)"]


# govbot.yaml's data-plane blocks: each key, its choices and an example of the block
MESH_BLOCKS = {"gatewayApi": ({"channel": planes.CHANNELS}, "gatewayApi: {channel: standard}"),
               "ambient": ({"faultInjection": ("off", planes.ALPHA)},
                           "ambient: {faultInjection: off}")}


def _mesh_blocks(config: Mapping[str, Any], spelt: Mapping[str, str]) -> list[str]:
    """`gatewayApi` (which Gateway API channel the clusters installed) and `ambient` (the
    alpha fault path in ambient namespaces): known keys only, each one of its choices."""
    problems = []
    for block, (keys, example) in MESH_BLOCKS.items():
        if block not in config:
            continue
        value = config[block]
        if not isinstance(value, Mapping):
            problems.append(f"govbot.yaml {block}: {value!r} is not a mapping like {example}")
            continue
        for key, given in value.items():
            setting = "off" if given is False else given  # YAML 1.1 reads a bare off as false
            if key in keys and setting not in keys[key]:
                problems.append(_not_one_of(f"{block}.{key}", given, keys[key], spelt, example))
    return problems


def _not_one_of(where: str, value: Any, choices: tuple[Any, ...], spelt: Mapping[str, str],
                example: str = "") -> str:
    """`govbot.yaml ambient.faultInjection: on (read as true) is not one of off, alpha`:
    a word YAML 1.1 read as a boolean is named as written, and when it is one of the
    choices, the answer says to quote it."""
    words = [str(c).lower() for c in choices]
    written = spelt.get(where)
    text = f"govbot.yaml {where}: {yamlread.shown(value, written)} is not one of {', '.join(words)}"
    if isinstance(value, bool) and written is not None and written.lower() in words:
        text += f'; quote it to keep the word: "{written}"'
    return text + (f" (like {example})" if example else "")


def _apps(where: str, value: Any) -> list[str]:
    """`apps: {allowed: [<app>, …], versions: {<app>: [<tag>, …]}}`: which store apps (and
    versions) an environment may run; absent parts allow any."""
    example = "like {allowed: [redis, mysql], versions: {redis: [\"7.4.2\"]}}"
    if not isinstance(value, Mapping):
        return [f"govbot.yaml {where}: not a mapping {example}"]
    problems = []
    allowed = value.get("allowed")
    if "allowed" in value and not (isinstance(allowed, list)
                                   and all(isinstance(a, str) and is_dns_label(a)
                                           for a in allowed)):
        problems.append(f"govbot.yaml {where}.allowed: {allowed!r} is not a list of app names "
                        "(catalog/<app>.yaml)")
    versions = value.get("versions")
    if "versions" in value and not isinstance(versions, Mapping):
        problems.append(f"govbot.yaml {where}.versions: not a mapping of app to its tags")
    for app, tags in _map(versions).items():
        if not (isinstance(tags, list) and tags and all(isinstance(t, str) and t for t in tags)):
            problems.append(f"govbot.yaml {where}.versions.{app}: {tags!r} is not a list of "
                            "version tags (quote them: \"7.4.2\")")
    return problems


def _quota(where: str, value: Any) -> list[str]:
    """A namespace's quota for its store apps: `{cpu: 8, memory: 32Gi, storage: 500Gi}`."""
    if not isinstance(value, Mapping) or not value:
        return [f"govbot.yaml {where}: not a mapping like {{cpu: 8, memory: 32Gi, "
                "storage: 500Gi}"]
    problems = []
    for key, amount in value.items():
        if key not in ("cpu", "memory", "storage"):
            problems.append(f"govbot.yaml {where}.{key}: unknown field; known fields: cpu, "
                            "memory, storage")
        elif isinstance(amount, bool) or not quantity.is_quantity(amount):
            problems.append(f"govbot.yaml {where}.{key}: {amount!r} is not a quantity "
                            f"{quantity.EXAMPLES}")
    return problems


def _prometheus(where: str, value: Any) -> list[str]:
    """The address of an environment's Prometheus: http(s)://host[:port][/path]."""
    if (isinstance(value, str) and _URL.fullmatch(value)
            and "@" not in value.split("://", 1)[1].split("/", 1)[0]):
        return []
    return [f"govbot.yaml {where}: {value!r} is not an http:// or https:// address such as "
            "http://prometheus.monitoring:9090 (credentials do not belong in govbot.yaml)"]


def _channels(config: Mapping[str, Any]) -> list[str]:
    problems = []
    environments = _map(config.get("environments"))
    channels = config.get("channels")
    for number, channel in enumerate(channels if isinstance(channels, list) else ()):
        entry, where = _map(channel), f"govbot.yaml channels[{number}]"
        if entry.get("platform") not in PLATFORMS:
            problems.append(f"{where}.platform: {entry.get('platform')!r} is not one of "
                            f"{', '.join(PLATFORMS)}")
        env, namespace = str(entry.get("env")), entry.get("namespace")
        if env not in environments:
            problems.append(f"{where}.env: {env!r} is not an environment of govbot.yaml")
        elif namespace not in _map(_map(environments[env]).get("namespaces")):
            problems.append(f"{where}.namespace: {namespace!r} is not a namespace of {env}")
    return problems


def _events(value: Any) -> list[str]:
    """Problems of `events:`: the default channel, the group window, the kinds' rules."""
    if not isinstance(value, Mapping):
        return ["govbot.yaml events: not a mapping of defaultChannel, groupWindow and kinds"]
    problems = []
    if "defaultChannel" in value:
        default = _map(value["defaultChannel"])
        if default.get("platform") not in PLATFORMS:
            problems.append(f"govbot.yaml events.defaultChannel.platform: "
                            f"{default.get('platform')!r} is not one of {', '.join(PLATFORMS)}")
        channel = default.get("channel")
        if not isinstance(channel, str) or not channel.strip() or channel == "*":
            problems.append(f"govbot.yaml events.defaultChannel.channel: {channel!r} does not "
                            "name one channel (a Slack channel id, a DingTalk conversation id)")
    window = value.get("groupWindow", "5m")
    if not (isinstance(window, str) and is_duration(window)):
        problems.append(f"govbot.yaml events.groupWindow: {window!r} is not a duration like "
                        "5m")
    elif duration_ms(window) <= 0:
        problems.append(f"govbot.yaml events.groupWindow: {window!r} groups nothing; use a "
                        "window longer than 0, like 5m")
    for kind, rule in _map(value.get("kinds")).items():
        where = f"govbot.yaml events.kinds.{kind}"
        if kind not in GOVERNANCE_KINDS:
            problems.append(f"{where}: unknown kind; use {', '.join(GOVERNANCE_KINDS)}")
        if not isinstance(rule, Mapping):
            problems.append(f"{where}: not a mapping of threshold and severity")
            continue
        if "threshold" in rule and not _whole(rule["threshold"], 1):
            problems.append(f"{where}.threshold: {rule['threshold']!r} is not a whole number "
                            "≥ 1")
        if "severity" in rule and rule["severity"] not in SEVERITIES:
            problems.append(f"{where}.severity: {rule['severity']!r} is not one of "
                            f"{', '.join(SEVERITIES)}")
    return problems


def config_problems(config: Any, access: Any, spelt: Mapping[str, str] | None = None) -> list[str]:
    """Every problem of govbot.yaml and access.yaml together; `spelt` (from
    `bot.core.yamlread.load`) lets a message quote a boolean as it was written."""
    config, access, spelt = _map(config), _map(access), spelt or {}
    problems = shape_problems(config)
    for key in ("clusterDomain", "trustDomain"):
        if key in config and not _DOMAIN.fullmatch(str(config[key])):
            problems.append(f"govbot.yaml {key}: {config[key]!r} is not a DNS domain")
    problems += _environments(config, access, spelt)
    problems += _mesh_blocks(config, spelt)
    problems += _approvals("governance.approvals", _map(config.get("governance")).get(
        "approvals"), access, None)
    problems += _approvals("templates.approvals", _map(config.get("templates")).get(
        "approvals"), access, None)
    if config.get("merge", "govbot") not in MERGE_MODES:
        problems.append(f"govbot.yaml merge: {config.get('merge')!r} is not one of "
                        f"{', '.join(MERGE_MODES)} (govbot merges approved pull requests; "
                        "forge leaves people's pull requests to the forge, gated by the "
                        "govbot/guard status)")
    problems += _channels(config)
    if "events" in config:
        problems += _events(config["events"])
    problems += access_problems(config, access)
    return problems


def scope_problem(config: Any, env: str, namespace: str) -> str | None:
    """Why a document at services/<env>/<namespace>/ has no place in govbot.yaml, if so."""
    environments = _map(_map(config).get("environments"))
    if env not in environments:
        return f"environment {env!r} is not in govbot.yaml"
    if namespace not in _map(_map(environments[env]).get("namespaces")):
        return f"namespace {namespace!r} is not in govbot.yaml's {env}"
    return None
