"""The policy repository's own configuration: govbot.yaml and access.yaml as typed lookups.

Pure: built from the two documents as plain data (read from main by `bot.rules`).
Answers who a platform identity is and which (env, namespace) a channel is bound to.
What a person may do where is decided by the guardrails alone (rego/), never here.
Each chat platform brings its own `IdentityMatcher` for the shape of its ids in
access.yaml; authorisation uses stable platform ids only.

Example:
    config = RepoConfig.parse(govbot_yaml, access_yaml)
    alice = config.person("console", "alice")
    scope = config.scope("console", "*", env="prod", namespace=None)   # Scope("prod", "demo")
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import ConfigError, NotAllowed, UsageError
from bot.core.types import Person, Scope
from policies import freeze
from policies import mesh as planes
from policies.units import duration_ms, is_dns_label, is_duration

GROUP_WINDOW = "5m"


@dataclass(frozen=True)
class Binding:
    platform: str
    channel: str
    env: str
    namespace: str


@dataclass(frozen=True)
class KindRule:
    """govbot.yaml `events.kinds.<kind>`: a group is posted once its count reaches
    `threshold` (below it, only stored); `severity` overrides the source's."""

    threshold: int = 1
    severity: str | None = None


@dataclass(frozen=True)
class EventRules:
    """govbot.yaml `events:` — where unbound namespaces' events go, how long a group
    stays open after its last event, and the rules per kind."""

    default_channel: tuple[str, str] | None = None
    group_window_s: float = duration_ms(GROUP_WINDOW) / 1000
    kinds: Mapping[str, KindRule] = field(default_factory=dict)

    def kind(self, name: str) -> KindRule:
        return self.kinds.get(name, KindRule())


def _mapping(value: Any, where: str) -> Mapping[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where} must be a mapping")
    return value


IdentityMatcher = Callable[[object, str, str], bool]
"""Whether `people.<p>.ids.<platform>` (any YAML value) names platform user `user` of
organisation `team`."""


def same_id(value: object, user: str, team: str) -> bool:
    """The identity of platforms whose ids are plain strings (the console)."""
    return value is not None and not isinstance(value, Mapping) and str(value) == user


@dataclass(frozen=True)
class RepoConfig:
    config: Mapping[str, Any]
    access: Mapping[str, Any]

    @classmethod
    def parse(cls, config: Any, access: Any) -> RepoConfig:
        parsed = cls(_mapping(config, "govbot.yaml"), _mapping(access, "access.yaml"))
        parsed.environments()  # fail early on a malformed file
        return parsed

    @property
    def cluster_domain(self) -> str:
        return str(self.config.get("clusterDomain") or "cluster.local")

    @property
    def default_console_user(self) -> str:
        return str(_mapping(self.config.get("console"), "console").get("defaultUser") or "")

    def environments(self) -> Mapping[str, Any]:
        return _mapping(self.config.get("environments"), "govbot.yaml environments")

    def freezes(self, env: str) -> tuple[freeze.Window, ...]:
        """`environments.<env>.freezes`: the change freezes of `env` (policies/freeze.py);
        what `govbot check` refuses is left out, as the guardrails leave it out."""
        body = self.environments().get(env)
        return freeze.read(body.get("freezes") if isinstance(body, Mapping) else None)

    def mesh(self, env: str, namespace: str) -> planes.Mesh:
        """The data plane of `env`/`namespace` (`policies.mesh`): its
        `environments.<env>.namespaces.<ns>.mesh` (default sidecar), the top-level
        `gatewayApi.channel` (default standard), `ambient.faultInjection: alpha` and the
        namespace's `waypoint` (default `waypoint`). What `govbot check` refuses reads as
        the default."""
        body = self.environments().get(env)
        namespaces = body.get("namespaces") if isinstance(body, Mapping) else None
        entry = namespaces.get(namespace) if isinstance(namespaces, Mapping) else None
        mode = entry.get("mesh") if isinstance(entry, Mapping) else None
        gateway_api = self.config.get("gatewayApi")
        channel = gateway_api.get("channel") if isinstance(gateway_api, Mapping) else None
        ambient = self.config.get("ambient")
        faults = ambient.get("faultInjection") if isinstance(ambient, Mapping) else None
        waypoint = entry.get("waypoint") if isinstance(entry, Mapping) else None
        return planes.Mesh(mode if mode in planes.MODES else planes.SIDECAR,
                         channel if channel in planes.CHANNELS else planes.STANDARD,
                         faults == planes.ALPHA,
                         waypoint if isinstance(waypoint, str) and is_dns_label(waypoint)
                         else planes.WAYPOINT)

    def meshes(self) -> dict[tuple[str, str], planes.Mesh]:
        """Every declared namespace's data plane that is not the default one."""
        found: dict[tuple[str, str], planes.Mesh] = {}
        for env, body in self.environments().items():
            namespaces = body.get("namespaces") if isinstance(body, Mapping) else None
            for namespace in namespaces if isinstance(namespaces, Mapping) else ():
                if (plane := self.mesh(str(env), str(namespace))) != planes.Mesh():
                    found[(str(env), str(namespace))] = plane
        return found

    def groups_of(self, person_id: str) -> tuple[str, ...]:
        groups = _mapping(self.access.get("groups"), "access.yaml groups")
        return tuple(sorted(g for g, members in groups.items() if person_id in (members or ())))

    def is_group(self, name: str) -> bool:
        return name in _mapping(self.access.get("groups"), "access.yaml groups")

    def person_by_id(self, person_id: str) -> Person | None:
        people = _mapping(self.access.get("people"), "access.yaml people")
        entry = people.get(person_id)
        if not isinstance(entry, Mapping):
            return None
        return Person(
            id=person_id,
            name=str(entry.get("name") or person_id),
            email=str(entry.get("email") or f"{person_id}@users.govbot.invalid"),
            groups=self.groups_of(person_id),
        )

    def person(self, platform: str, user: str, team: str = "",
               matches: IdentityMatcher = same_id) -> Person:
        """The person with this platform identity; NotAllowed when access.yaml has none."""
        people = _mapping(self.access.get("people"), "access.yaml people")
        for person_id, entry in people.items():
            ids = _mapping(entry.get("ids") if isinstance(entry, Mapping) else None, "ids")
            if platform in ids and matches(ids[platform], user, team):
                found = self.person_by_id(str(person_id))
                if found is not None:
                    return found
        raise NotAllowed(
            f"{platform} user {user!r} is not in access.yaml of the policy repository; "
            f"ask the platform team to add you (people.<you>.ids.{platform})"
        )

    def bindings(self) -> list[Binding]:
        result = []
        for entry in self.config.get("channels") or ():
            if isinstance(entry, Mapping):
                result.append(Binding(str(entry.get("platform")), str(entry.get("channel")),
                                      str(entry.get("env")), str(entry.get("namespace"))))
        return result

    def event_rules(self) -> EventRules:
        """`events:` of govbot.yaml; what `govbot check` refuses is taken as unset here."""
        events = self.config.get("events")
        events = events if isinstance(events, Mapping) else {}
        default = events.get("defaultChannel")
        channel = None
        if isinstance(default, Mapping) and default.get("platform") and default.get("channel"):
            channel = (str(default["platform"]), str(default["channel"]))
        window = events.get("groupWindow", GROUP_WINDOW)
        window_s = (duration_ms(window) / 1000 if isinstance(window, str) and is_duration(window)
                    else EventRules.group_window_s)
        kinds = {}
        for kind, rule in (events.get("kinds") or {}).items():
            if isinstance(rule, Mapping):
                threshold = rule.get("threshold", 1)
                severity = rule.get("severity")
                kinds[str(kind)] = KindRule(
                    threshold if isinstance(threshold, int) and threshold >= 1 else 1,
                    str(severity) if severity else None)
        return EventRules(channel, window_s, kinds)

    def owners(self, env: str, namespace: str) -> list[tuple[str, str]]:
        """The (platform, channel) of every binding of `env`/`namespace` that names one
        channel (a `*` binding names none, except the console's one conversation). An
        empty `env` (an alert naming only its namespace, which several environments
        hold) matches the namespace in every environment."""
        found: list[tuple[str, str]] = []
        for bound in self.bindings():
            if (env and bound.env != env) or bound.namespace != namespace:
                continue
            channel = bound.channel
            if channel == "*" and bound.platform != "console":
                continue
            if (bound.platform, channel) not in found:
                found.append((bound.platform, channel))
        return found

    def binding(self, platform: str, channel: str) -> Binding | None:
        exact = [b for b in self.bindings() if b.platform == platform and b.channel == channel]
        wildcard = [b for b in self.bindings() if b.platform == platform and b.channel == "*"]
        found = exact or wildcard
        return found[0] if found else None

    def scope(self, platform: str, channel: str, env: str | None, namespace: str | None) -> Scope:
        """Where a command lands: the channel's binding, overridden by --env / --ns."""
        bound = self.binding(platform, channel)
        if bound is None and (env is None or namespace is None):
            raise UsageError(
                f"this {platform} channel is not bound to an environment in govbot.yaml",
                usage="add --env <env> --ns <namespace>, or bind the channel under `channels:`",
                example="/canary svc-user 20% --env dev --ns demo",
            )
        scope = Scope(env or (bound.env if bound else ""),
                      namespace or (bound.namespace if bound else ""))
        environments = self.environments()
        if scope.env not in environments:
            raise UsageError(
                f"unknown environment {scope.env!r}; govbot.yaml defines "
                f"{', '.join(sorted(environments))}",
                usage="--env <env>", example="/canary svc-user 20% --env dev",
            )
        namespaces = _mapping(_mapping(environments[scope.env], "environment").get("namespaces"),
                              "namespaces")
        if scope.namespace not in namespaces:
            raise UsageError(
                f"unknown namespace {scope.namespace!r} in {scope.env}; govbot.yaml defines "
                f"{', '.join(sorted(namespaces)) or 'none'}",
                usage="--ns <namespace>",
                example=f"/canary svc-user 20% --env {scope.env} --ns demo",
            )
        return scope


# Top-level settings of govbot.yaml that every service's rendering reads (hosts,
# principals, the ingress gateway's caller and gateway).
RENDERED_EVERYWHERE = ("clusterDomain", "trustDomain", "ingressGateway")


def rendering_changes(before: RepoConfig,
                      after: RepoConfig) -> frozenset[tuple[str, str]] | None:
    """The (env, namespace) pairs whose services render differently under `after` than
    under `before`: a data plane switched, or an ambient namespace's Gateway API channel,
    fault path or waypoint changed. None when a setting every service reads changed (clusterDomain,
    trustDomain, ingressGateway): then every service does.

    Example:
        >>> old = RepoConfig.parse({"environments": {"dev": {"namespaces": {"demo": {}}}}}, {})
        >>> new = RepoConfig.parse({"environments": {"dev": {"namespaces": {
        ...     "demo": {"mesh": "ambient"}}}}}, {})
        >>> sorted(rendering_changes(old, new) or ())
        [('dev', 'demo')]
    """
    if any(before.config.get(k) != after.config.get(k) for k in RENDERED_EVERYWHERE):
        return None
    scopes = {(str(env), str(namespace))
              for config in (before, after) for env, body in config.environments().items()
              for namespace in _declared(body)}
    return frozenset(s for s in scopes if _rendered(before.mesh(*s)) != _rendered(after.mesh(*s)))


def _declared(body: Any) -> list[str]:
    namespaces = body.get("namespaces") if isinstance(body, Mapping) else None
    return [str(n) for n in namespaces] if isinstance(namespaces, Mapping) else []


def _rendered(plane: planes.Mesh) -> planes.Mesh:
    """What rendering reads of a data plane: sidecars ignore the Gateway API settings."""
    return plane if plane.mode == planes.AMBIENT else planes.Mesh()
