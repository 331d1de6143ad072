"""`KubeLive`: what an environment's cluster runs now, read with the kubernetes client.

The runners ask it three things (the `bot.apply.Live` port):

- `objects`: govbot's live objects of one policy document, found by the labels the
  renderer puts on every object (`app.kubernetes.io/managed-by=govbot`,
  `govbot.dev/source=<label>`), of every kind govbot renders, for `/drift`;
- `owner`: whether a Flagger `Canary` (flagger.app/v1beta1) targets the service, or an
  Argo `Rollout` (argoproj.io/v1alpha1) steers it, for the ownership refusal;
- `workload`: the `Service` (its first port) and the `Deployment`s it selects (their pods'
  `version` labels and service accounts), to onboard a service from the cluster.

Only reads: list and get. A kind whose API the cluster does not serve (Flagger not
installed) answers 404 and reads as none. 403 is configuration (govbot's account lacks a
grant); what `answers.temporary` calls temporary (no answer, 401, 408, 429, 5xx) is said
to be tried again; any other answer is refused with the API server's message. Labels are
checked again here, so a server that ignores the label selector cannot hand over someone
else's object.

Example:
    live = KubeLive(clusters, lambda: config.environments())
    live.owner("prod", "demo", "svc-user")          # "flagger" | "argo-rollouts" | None
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar, cast

from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException
from urllib3.exceptions import HTTPError

from bot.apply import Workload
from bot.apply.kube import Clusters, answers
from bot.apply.kube.kinds import GOVERNED, Resource
from bot.core.errors import ConfigError, Refused, TransientError

MANAGED_BY: Final = "app.kubernetes.io/managed-by"
SOURCE: Final = "govbot.dev/source"
TIMEOUT: Final = (5.0, 20.0)  # seconds to connect, to read an answer

CANARIES: Final = Resource("flagger.app", "v1beta1", "canaries", "Canary")
ROLLOUTS: Final = Resource("argoproj.io", "v1alpha1", "rollouts", "Rollout")
DEPLOYMENTS: Final = Resource("apps", "v1", "deployments", "Deployment")
_DIGITS = re.compile(r"(\d+)")
_T = TypeVar("_T")


class KubeLive:
    """The `Live` port over the clusters of `bot.apply.kube.Clusters`."""

    reads_cluster = True

    def __init__(self, clusters: Clusters,
                 environments: Callable[[], Mapping[str, Any]]) -> None:
        self._clusters = clusters
        self._environments = environments

    def objects(self, env: str, namespace: str, source_label: str | None) -> list[dict[str, Any]]:
        selector = f"{MANAGED_BY}=govbot" + (f",{SOURCE}={source_label}" if source_label else "")
        found: list[dict[str, Any]] = []
        for resource in GOVERNED:
            found += [obj for obj in self._list(env, namespace, resource, selector)
                      if _labelled(obj, source_label)]
        return found

    def owner(self, env: str, namespace: str, service: str) -> str | None:
        canaries = self._list(env, namespace, CANARIES)
        rollouts = self._list(env, namespace, ROLLOUTS)
        if not canaries and not rollouts:  # the common case: two reads, nothing to match
            return None
        selector = _selector(self._service(env, namespace, service))
        deployments = [_name(d) for d in self._list(env, namespace, DEPLOYMENTS)
                       if _selects(selector, _pod_labels(d))]
        names = {service, *deployments, *(d.removesuffix("-primary") for d in deployments)}
        if any(_targets(canary, service, names) for canary in canaries):
            return "flagger"
        if any(_steers(rollout, service, selector) for rollout in rollouts):
            return "argo-rollouts"
        return None

    def workload(self, env: str, namespace: str, service: str) -> Workload | None:
        found = self._service(env, namespace, service)
        if found is None:
            return None
        selector = _selector(found)
        deployments = [d for d in self._list(env, namespace, DEPLOYMENTS)
                       if _selects(selector, _pod_labels(d))]
        versions = {str(v) for d in deployments
                    if isinstance(v := _pod_labels(d).get("version"), str) and v}
        accounts = {_account(d) for d in deployments}
        return Workload(_port(found), tuple(sorted(versions, key=_natural)),
                        tuple(sorted(accounts)), _replicas(deployments), _target_port(found))

    # -- reading --------------------------------------------------------------------------

    def _api(self, env: str) -> k8s.ApiClient:
        self._clusters.configure(self._environments())
        return self._clusters.client(env)

    def _list(self, env: str, namespace: str, resource: Resource,
              selector: str | None = None) -> list[dict[str, Any]]:
        """Every object of one kind in the namespace; [] when the cluster does not serve
        the kind. Each carries its apiVersion and kind (a list's items may not)."""
        api = k8s.CustomObjectsApi(self._api(env))
        answer = self._read(f"{resource.plural} in {env}/{namespace}", lambda: (
            api.list_namespaced_custom_object(resource.group, resource.version, namespace,
                                              resource.plural, label_selector=selector,
                                              _request_timeout=TIMEOUT)))
        items = answer.get("items") if isinstance(answer, Mapping) else None
        return [{**item, "apiVersion": resource.api_version, "kind": resource.kind}
                for item in (items if isinstance(items, list) else [])
                if isinstance(item, dict)]

    def _service(self, env: str, namespace: str, service: str) -> dict[str, Any] | None:
        core = k8s.CoreV1Api(self._api(env))
        answer = self._read(f"service {service} in {env}/{namespace}", lambda: json.loads(
            # without preloading the client answers the raw response, not a V1Service
            cast(Any, core.read_namespaced_service(service, namespace, _preload_content=False,
                                                   _request_timeout=TIMEOUT)).data))
        return answer if isinstance(answer, dict) else None

    def _read(self, what: str, call: Callable[[], _T]) -> _T | None:
        """The answer of one read; None for a 404. Errors say what was being read."""
        try:
            return call()
        except ApiException as error:
            status = int(error.status or 0)
            if status == 404:
                return None
            said = answers.message(error)
            if status == 403:
                raise ConfigError(f"reading {what}: {said}; govbot's account needs get and "
                                  "list on it (docs/kubernetes.md)") from error
            if answers.temporary(status):
                raise TransientError(f"reading {what}: {said}") from error
            raise Refused(f"reading {what}: {said}") from error
        except (HTTPError, OSError) as error:
            raise TransientError(f"reading {what}: the API server did not answer "
                                 f"({answers.unreachable(error)})") from error


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _name(obj: Mapping[str, Any]) -> str:
    return str(_mapping(obj.get("metadata")).get("name") or "")


def _labelled(obj: Mapping[str, Any], source_label: str | None) -> bool:
    labels = _mapping(_mapping(obj.get("metadata")).get("labels"))
    return labels.get(MANAGED_BY) == "govbot" and (
        source_label is None or labels.get(SOURCE) == source_label)


def _selector(service: Mapping[str, Any] | None) -> dict[str, str]:
    """A Service's pod selector; {} selects no pods (a Service without a selector)."""
    selector = _mapping(_mapping((service or {}).get("spec")).get("selector"))
    return {str(k): str(v) for k, v in selector.items()}


def _selects(selector: Mapping[str, str], labels: Mapping[str, Any]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def _pod_labels(workload: Mapping[str, Any]) -> Mapping[str, Any]:
    template = _mapping(_mapping(workload.get("spec")).get("template"))
    return _mapping(_mapping(template.get("metadata")).get("labels"))


def _account(deployment: Mapping[str, Any]) -> str:
    pod = _mapping(_mapping(_mapping(deployment.get("spec")).get("template")).get("spec"))
    return str(pod.get("serviceAccountName") or pod.get("serviceAccount") or "default")


def _port(service: Mapping[str, Any]) -> int | None:
    ports = _mapping(service.get("spec")).get("ports")
    first = _mapping(ports[0]) if isinstance(ports, list) and ports else {}
    port = first.get("port")
    return port if isinstance(port, int) and not isinstance(port, bool) else None


def _target_port(service: Mapping[str, Any]) -> int | str | None:
    """The first port's `targetPort`: a number, a container port's name, or None when
    the Service leaves it out (Kubernetes then uses the port)."""
    ports = _mapping(service.get("spec")).get("ports")
    first = _mapping(ports[0]) if isinstance(ports, list) and ports else {}
    target = first.get("targetPort")
    if isinstance(target, str) and target.isdigit():
        return int(target)  # an IntOrString sent as text
    if isinstance(target, bool) or not isinstance(target, (int, str)) or target == "":
        return None
    return target


def _natural(version: str) -> list[Any]:
    """Sorting key that puts v2 before v10."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part)
            for part in _DIGITS.split(version) if part]


def _targets(canary: Mapping[str, Any], service: str, names: set[str]) -> bool:
    """A Flagger Canary whose target is one of the service's Deployments (or named like the
    service), or whose generated Service is this one."""
    spec = _mapping(canary.get("spec"))
    target = _mapping(spec.get("targetRef")).get("name")
    return target in names or _mapping(spec.get("service")).get("name") == service


def _steers(rollout: Mapping[str, Any], service: str, selector: Mapping[str, str]) -> bool:
    """An Argo Rollout named like the service, running the pods the service selects, or
    naming it as a canary/stable/active/preview Service or as its VirtualService."""
    spec = _mapping(rollout.get("spec"))
    strategy = _mapping(spec.get("strategy"))
    canary, blue_green = _mapping(strategy.get("canary")), _mapping(strategy.get("blueGreen"))
    istio = _mapping(_mapping(canary.get("trafficRouting")).get("istio"))
    services = {canary.get("canaryService"), canary.get("stableService"),
                blue_green.get("activeService"), blue_green.get("previewService")}
    routes = [_mapping(istio.get("virtualService"))]
    listed = istio.get("virtualServices")
    routes += [_mapping(v) for v in listed] if isinstance(listed, list) else []
    named = {str(v.get("name", "")).split(".")[0] for v in routes}
    pods = {**_mapping(_mapping(spec.get("selector")).get("matchLabels")),
            **_pod_labels(rollout)}
    return (_name(rollout) == service or service in services or service in named
            or _selects(selector, pods))


def _replicas(deployments: list[dict[str, Any]]) -> int | None:
    """The pods the Deployments ask for (`spec.replicas`, 1 when unset); None for none."""
    if not deployments:
        return None
    counts = [_mapping(d.get("spec")).get("replicas", 1) for d in deployments]
    return sum(c for c in counts if isinstance(c, int) and not isinstance(c, bool))
