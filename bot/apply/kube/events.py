"""`KubeEvents`: what Kubernetes says about the objects govbot applies, as governance events.

`govbot serve` with GOVBOT_APPLY=kubernetes calls `poll()` every
GOVBOT_KUBE_EVENTS_SECONDS and hands the result to the funnel. Each poll lists the
core/v1 `Event`s of every namespace of every environment of govbot.yaml, one list per
kind govbot renders, narrowed by a field selector:

- HorizontalPodAutoscaler: all of them (`SuccessfulRescale` is how an autoscaler says
  it decided; `FailedGetResourceMetric` and friends are warnings);
- VirtualService, DestinationRule, EnvoyFilter, AuthorizationPolicy, and an ambient
  namespace's HTTPRoute and version Services: warnings only.

An event is news when its uid is new or its resourceVersion moved (Kubernetes counts a
repeat on the same Event); what happened before govbot started is history and is not
told. Its object is read once: an object someone else manages is left alone; govbot's
own names its service (and environment) by its `govbot.dev/source` annotation or label;
an object that no longer exists is named by the event. The event's uid is the key, so a
repeat updates one message, and its count is the repeats since the last poll.

Only reads (list and get). A namespace that cannot be read is logged and skipped; the
others are still told.

Example:
    events = KubeEvents(clusters, lambda: config.environments())
    events.poll()   # [GovernanceEvent(kind="kubernetes", service="svc-user", ...)]
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, cast

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from bot.apply.kube import Cluster, Clusters, answers
from bot.apply.kube.kinds import GOVERNED, Resource
from bot.core.errors import ConfigError, GovbotError, Refused, TransientError
from bot.core.events import GovernanceEvent

log = logging.getLogger("govbot.kube.events")

MANAGED_BY: Final = "app.kubernetes.io/managed-by"
SOURCE: Final = "govbot.dev/source"
TIMEOUT: Final = (5.0, 20.0)  # seconds to connect, to read an answer
AUTOSCALER: Final = "HorizontalPodAutoscaler"
WATCHED: Final = {resource.kind: resource for resource in GOVERNED}
_PATH = re.compile(r"^services/([^/]+)/([^/]+)/([^/]+)\.yaml$")
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")

Scope = tuple[Cluster, str]  # a namespace of one cluster, whichever environments share it


def selector(kind: str) -> str:
    """The field selector of one kind's events: all of an autoscaler's, warnings of the
    rest."""
    return f"involvedObject.kind={kind}" + ("" if kind == AUTOSCALER else ",type=Warning")


class KubeEvents:
    """A governance-event source over the clusters of `bot.apply.kube.Clusters`."""

    def __init__(self, clusters: Clusters, environments: Callable[[], Mapping[str, Any]],
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clusters = clusters
        self._environments = environments
        self._now = now
        self._since = now()
        # per scope and kind: each Event's uid → (resourceVersion, count) at the last poll
        self._seen: dict[tuple[Scope, str], dict[str, tuple[str, int]]] = {}

    def poll(self) -> list[GovernanceEvent]:
        """What happened since the last poll, in every namespace of every environment."""
        environments = self._environments()
        self._clusters.configure(environments)
        found: list[GovernanceEvent] = []
        for scope, envs in self._scopes(environments).items():
            for kind in WATCHED:
                try:
                    found += self._poll(scope, envs, kind)
                except GovbotError as error:
                    log.warning("reading %s events in %s/%s: %s", kind, envs[0], scope[1],
                                error)
        return found

    def _scopes(self, environments: Mapping[str, Any]) -> dict[Scope, list[str]]:
        scopes: dict[Scope, list[str]] = {}
        for env, settings in environments.items():
            namespaces = settings.get("namespaces") if isinstance(settings, Mapping) else None
            for namespace in namespaces if isinstance(namespaces, Mapping | list) else ():
                scopes.setdefault((self._clusters.cluster(env), str(namespace)),
                                  []).append(str(env))
        return scopes

    def _poll(self, scope: Scope, envs: list[str], kind: str) -> list[GovernanceEvent]:
        namespace = scope[1]
        items = [item for item in self._events(envs[0], namespace, kind) if _about(item, kind)]
        before = self._seen.get((scope, kind), {})
        now: dict[str, tuple[str, int]] = {}
        news: list[tuple[Mapping[str, Any], int]] = []
        for item in items:
            meta = _mapping(item.get("metadata"))
            uid, version, count = str(meta.get("uid") or ""), str(meta.get("resourceVersion")
                                                                  or ""), _count(item)
            if not uid:
                continue
            now[uid] = (version, count)
            previous = before.get(uid)
            if previous is not None and previous[0] == version:
                continue
            if previous is None and (_time(item) or self._now()) < self._since:
                continue  # history: it happened before govbot started
            news.append((item, max(1, count - previous[1]) if previous else count))
        self._seen[(scope, kind)] = now
        objects: dict[str, Mapping[str, Any] | None] = {}
        told = []
        for item, repeats in news:
            name = str(_mapping(item.get("involvedObject")).get("name") or "")
            if name not in objects:
                objects[name] = self._object(envs[0], namespace, WATCHED[kind], name)
            event = _governance(item, repeats, objects[name], envs, namespace,
                                self._now)
            if event is not None:
                told.append(event)
        return told

    # -- reading --------------------------------------------------------------------------

    def _events(self, env: str, namespace: str, kind: str) -> list[Mapping[str, Any]]:
        core = k8s.CoreV1Api(self._clusters.client(env))
        answer = _read(f"{kind} events in {env}/{namespace}", lambda: json.loads(
            # without preloading the client answers the raw response, not a V1EventList
            cast(Any, core.list_namespaced_event(
                namespace, field_selector=selector(kind), _preload_content=False,
                _request_timeout=TIMEOUT)).data))
        items = answer.get("items") if isinstance(answer, Mapping) else None
        return [item for item in items if isinstance(item, Mapping)] \
            if isinstance(items, list) else []

    def _object(self, env: str, namespace: str, resource: Resource,
                name: str) -> Mapping[str, Any] | None:
        if not name:
            return None
        api = k8s.CustomObjectsApi(self._clusters.client(env))
        answer = _read(f"{resource.kind} {name} in {env}/{namespace}", lambda: json.loads(
            cast(Any, api.get_namespaced_custom_object(
                resource.group, resource.version, namespace, resource.plural, name,
                _preload_content=False, _request_timeout=TIMEOUT)).data))
        return answer if isinstance(answer, Mapping) else None


def _read(what: str, call: Callable[[], Any]) -> Any:
    """The answer of one read; None for a 404. Errors say what was being read."""
    try:
        return call()
    except ApiException as error:
        status = int(error.status or 0)
        if status == 404:
            return None
        said = answers.message(error)
        if status == 403:
            raise ConfigError(f"reading {what}: {said}; govbot's account needs list on "
                              "events and get on what it applies (docs/kubernetes.md)"
                              ) from error
        if answers.temporary(status):
            raise TransientError(f"reading {what}: {said}") from error
        raise Refused(f"reading {what}: {said}") from error
    except (HTTPError, OSError, ValueError) as error:
        raise TransientError(f"reading {what}: the API server did not answer "
                             f"({answers.unreachable(error)})") from error


def _governance(item: Mapping[str, Any], repeats: int, obj: Mapping[str, Any] | None,
                envs: list[str], namespace: str,
                now: Callable[[], datetime]) -> GovernanceEvent | None:
    """The governance event of one Kubernetes Event; None when its object exists and
    govbot does not manage it."""
    involved = _mapping(item.get("involvedObject"))
    kind, name = str(involved.get("kind") or ""), str(involved.get("name") or "")
    env, service = (envs[0] if len(envs) == 1 else ""), name
    if obj is not None:
        meta = _mapping(obj.get("metadata"))
        if _mapping(meta.get("labels")).get(MANAGED_BY) != "govbot":
            return None
        source = _source(meta)
        if source is not None and (source[0] in envs or not source[0]):
            env, service = source[0] or env, source[2] or service
    reason = str(item.get("reason") or "")
    message = " ".join(str(item.get("note") or item.get("message") or "").split())
    warning = str(item.get("type") or "") == "Warning"
    return GovernanceEvent(
        kind="kubernetes", env=env, namespace=namespace, service=service,
        at=_time(item) or now(), count=repeats,
        severity="warning" if warning else "info",
        title=f"{reason or 'event'} on {kind}/{name}" + (f": {message}" if message else ""),
        key=str(_mapping(item.get("metadata")).get("uid") or ""))


def _source(meta: Mapping[str, Any]) -> tuple[str, str, str] | None:
    """(env, namespace, service) from govbot's source annotation (the document's path) or
    label (`<env>.<namespace>.<service>`)."""
    path = _PATH.match(str(_mapping(meta.get("annotations")).get(SOURCE) or ""))
    if path is not None:
        env, namespace, service = path.groups()
        return env, namespace, service
    parts = str(_mapping(meta.get("labels")).get(SOURCE) or "").split(".")
    return (parts[0], parts[1], parts[2]) if len(parts) == 3 else None


def _about(item: Mapping[str, Any], kind: str) -> bool:
    """Checked again here: a server that ignores the field selector hands over all."""
    return _mapping(item.get("involvedObject")).get("kind") == kind and (
        kind == AUTOSCALER or item.get("type") == "Warning")


def _count(item: Mapping[str, Any]) -> int:
    for value in (_mapping(item.get("series")).get("count"), item.get("count")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return 1


def _time(item: Mapping[str, Any]) -> datetime | None:
    """When the event last happened: its series, its last timestamp, its event time."""
    candidates: Iterable[Any] = (
        _mapping(item.get("series")).get("lastObservedTime"), item.get("lastTimestamp"),
        item.get("eventTime"), item.get("firstTimestamp"),
        _mapping(item.get("metadata")).get("creationTimestamp"))
    for value in candidates:
        found = _TIME.match(value) if isinstance(value, str) else None
        if found is None:
            continue
        whole, fraction, zone = found.groups()
        text = whole + (f".{fraction[:6].ljust(6, '0')}" if fraction else "")
        try:
            return datetime.fromisoformat(text + ("+00:00" if zone == "Z" else zone)
                                          ).astimezone(UTC)
        except ValueError:
            continue
    return None


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
