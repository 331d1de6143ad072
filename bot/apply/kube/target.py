"""`KubernetesTarget`: a document's objects applied to its environment's cluster.

For one document (`apply`), in this order:
1. list what the document has in the namespace: objects of the governed kinds (and of any
   kind among `objects`) labelled `app.kubernetes.io/managed-by=govbot` and
   `govbot.dev/source=<env>.<namespace>.<service>`; those no longer rendered are stale;
2. dry run: every object server-side applied with `dryRun=All`, every stale one deleted
   with `dryRun=All` — the API server runs its schemas, admission webhooks (istiod's
   validation), quota and RBAC on exactly what follows; any refusal stops here, with
   nothing applied;
3. server-side apply of each object in the given (make-before-break) order:
   `PATCH …?fieldManager=govbot`, `Content-Type: application/apply-patch+yaml`, never
   `force` unless the rollout asks (an approved `/sync`);
4. prune: the stale objects deleted. Nothing without both labels is ever deleted.

Every call is retried on temporary failures (no connection, timeouts, 429, 5xx) with a
doubling wait (`Retry`, honouring `Retry-After`), then `TransientError` (the rollout keeps
"apply pending"); permanent ones raise `Rejected` naming the object, the cluster and the
API server's message. A server that answers 404 to server-side apply of an absent object
(some emulators) gets a create instead.

Example:
    target = KubernetesTarget(Clusters("~/.kube/config"), Retry(first=0.5))
    target.prepare(config.environments())
    target.apply("dev", "demo", "services/dev/demo/svc-user.yaml", objects)
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar, cast

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from bot.apply import Applied, Rejected
from bot.apply.kube import Cluster, Clusters, answers
from bot.apply.kube.kinds import (
    APPS,
    CLAIMS,
    GOVERNED,
    SECRETS,
    Resource,
    name_of,
    resource_of,
)
from bot.core.errors import ConfigError, TransientError
from policies.apps.deployment import parse_app_path
from policies.document import parse_service_path
from policies.rendering import MANAGED_BY, SOURCE, source_label

log = logging.getLogger("govbot.apply.kubernetes")
APPLY_PATCH = "application/apply-patch+yaml"
MANAGER = "govbot"
PAGE = 500
T = TypeVar("T")


@dataclass(frozen=True)
class Retry:
    """How temporary failures are retried: `attempts` calls in all, waiting `first`
    seconds, then twice as long each time (at most 16 × `first`), or what Retry-After
    asks within that bound."""

    attempts: int = 4
    first: float = 0.5

    def wait(self, attempt: int, asked: float | None) -> float:
        longest = self.first * 16
        return float(min(longest, max(self.first * 2.0 ** attempt, asked or 0.0)))


def where(cluster: Cluster) -> str:
    """How messages name a cluster: its kubeconfig context."""
    return cluster.context or "the in-cluster API server"


def _deletion_order(obj: Mapping[str, Any]) -> int:
    """Routes go before the subsets they use (break nothing while deleting)."""
    return {"VirtualService": 0, "HTTPRoute": 0, "DestinationRule": 2}.get(
        str(obj.get("kind")), 1)


def _labelled(obj: Mapping[str, Any], label: str) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return labels.get(MANAGED_BY) == MANAGER and labels.get(SOURCE) == label


def _where_of(source: str) -> tuple[str, str, str] | None:
    return parse_service_path(source) or parse_app_path(source)


class _CorePaths:
    """An ApiClient whose custom-object paths reach the core group too: the generated
    client writes `/apis/{group}/…`, and a core kind (group "") lives under `/api/v1/…`."""

    def __init__(self, inner: k8s.ApiClient) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def param_serialize(self, method: str, resource_path: str,
                        path_params: dict[str, Any] | None = None, **rest: Any) -> Any:
        if path_params is not None and path_params.get("group") == "":
            resource_path = resource_path.replace("/apis/{group}/", "/api/", 1)
            path_params = {k: v for k, v in path_params.items() if k != "group"}
        return self._inner.param_serialize(method, resource_path, path_params, **rest)


def objects_api(api_client: k8s.ApiClient) -> k8s.CustomObjectsApi:
    """The API of objects of any kind, core ones (Service, ConfigMap, Secret) included."""
    return k8s.CustomObjectsApi(cast(k8s.ApiClient, _CorePaths(api_client)))


class KubernetesTarget:
    name = "kubernetes"

    def __init__(self, clusters: Clusters, retry: Retry = Retry(),
                 sleep: Callable[[float], None] = time.sleep,
                 timeout: tuple[float, float] = (5.0, 30.0)) -> None:
        self._clusters = clusters
        self._retry = retry
        self._sleep = sleep
        self.timeout = timeout

    def prepare(self, environments: Mapping[str, Any]) -> None:
        """Each environment's cluster from govbot.yaml; ConfigError when a context is not
        in the kubeconfig."""
        self._clusters.configure(environments)
        self._clusters.check()

    def intact(self) -> bool:
        return True  # the cluster is the state; nothing local to lose

    def apply(self, env: str, namespace: str, source: str,
              objects: Sequence[dict[str, Any]], force: bool = False) -> Applied:
        api = objects_api(self._clusters.client(env))
        place = where(self._clusters.cluster(env))
        service = (_where_of(source) or ("", "", source))[2]
        label = source_label(source)
        kinds = dict.fromkeys([*GOVERNED, *(resource_of(o) for o in objects)])
        # an app's objects may live outside its namespace (an Argo CD Application in
        # argocd): its kinds are listed in every namespace, by the source's label
        app_kinds = dict.fromkeys(APPS) if parse_app_path(source) else {}
        rendered = {(resource_of(o).kind, o["metadata"]["name"]) for o in objects}
        live = [item for resource in kinds if resource not in app_kinds
                for item in self._list(api, place, resource, namespace, label)]
        live += [item for resource in app_kinds
                 for item in self._list(api, place, resource, None, label)]
        stale = sorted((o for o in live if (o.get("kind"), o["metadata"]["name"]) not in
                        rendered and _labelled(o, label)), key=_deletion_order)
        call = _Calls(self, api, place, service, namespace, force)
        self._refuse_foreign(call, objects, live, place)
        for obj in objects:
            call.apply(obj, dry_run=True)
        for obj in stale:
            call.delete(obj, dry_run=True)
        versions = {name_of(o): o["metadata"].get("resourceVersion") for o in live}
        written: dict[str, None] = {}
        unchanged: dict[str, None] = {}
        for obj in objects:
            result = call.apply(obj, dry_run=False)
            version = (result or {}).get("metadata", {}).get("resourceVersion")
            same = version is not None and version == versions.get(name_of(obj))
            (unchanged if same else written)[name_of(obj)] = None
        for obj in stale:
            call.delete(obj, dry_run=False)
        return Applied(tuple(written), tuple(name_of(o) for o in stale),
                       tuple(n for n in unchanged if n not in written))

    def _refuse_foreign(self, call: _Calls, objects: Sequence[dict[str, Any]],
                        live: Sequence[Mapping[str, Any]], place: str) -> None:
        """Rejected when an object of the document exists without govbot's labels:
        someone else's object is never taken over by an ordinary change."""
        ours = {name_of(o) for o in live}
        foreign = [name_of(o) for o in objects if name_of(o) not in ours
                   and call.exists(o)]
        if foreign:
            raise Rejected([f"{name} in {place} exists and is not govbot's (it lacks the "
                            f"{MANAGED_BY}={MANAGER} label): add govbot's labels to adopt "
                            "it, or delete it, then /sync the service" for name in foreign])

    def sources(self) -> list[str]:
        """The documents whose objects the configured clusters hold: the
        `govbot.dev/source` annotation of govbot-labelled objects, counted only in the
        cluster their environment maps to."""
        by_cluster: dict[Cluster, list[str]] = {}
        for env, cluster in self._clusters.environments().items():
            by_cluster.setdefault(cluster, []).append(env)
        found: set[str] = set()
        for cluster, envs in by_cluster.items():
            try:
                api = objects_api(self._clusters.client(envs[0]))
            except ConfigError as error:
                log.warning("listing what govbot applied to %s: %s", where(cluster), error)
                continue
            try:
                for resource in (*GOVERNED, *APPS):
                    for item in self._list(api, where(cluster), resource, None, None):
                        annotations = (item.get("metadata") or {}).get("annotations") or {}
                        path = annotations.get(SOURCE)
                        parts = _where_of(str(path)) if path else None
                        if parts is not None and parts[0] in envs:
                            found.add(str(path))
            except (TransientError, Rejected) as error:
                # one cluster that cannot be listed (down, or a namespace-scoped Role) only
                # leaves its orphans for a later full sync; the others are still applied
                log.warning("listing what govbot applied to %s (orphans there are kept "
                            "until it can be listed): %s", where(cluster), error)
        return sorted(found)

    def generate_secret(self, env: str, namespace: str, name: str, keys: Sequence[str],
                        source: str) -> bool:
        """Create-only: POST the Secret with a random value per key; a 409 (it exists)
        leaves it as it is. The values are in this call's body only, never logged."""
        api = objects_api(self._clusters.client(env))
        place = where(self._clusters.cluster(env))
        body = {"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
                "metadata": {"name": name, "namespace": namespace,
                             "labels": {MANAGED_BY: MANAGER},
                             "annotations": {SOURCE: source,
                                             "govbot.dev/generated": "create-only; govbot "
                                             "never overwrites or reads it back"}},
                "stringData": {key: secrets.token_urlsafe(24) for key in keys}}

        def send() -> bool:
            try:
                api.create_namespaced_custom_object(
                    SECRETS.group, SECRETS.version, namespace, SECRETS.plural, body,
                    field_manager=MANAGER, _request_timeout=self.timeout)
            except ApiException as error:
                if error.status == 409:  # there already: never overwritten
                    return False
                raise
            return True

        service = (_where_of(source) or ("", "", source))[2]
        created = self.call(f"creating Secret/{name}", place, service, send)
        if created:
            log.info("created Secret %s/%s in %s (%d generated keys)", namespace, name, place,
                     len(keys))
        return bool(created)

    def purge(self, env: str, namespace: str, selector: Mapping[str, str],
              source: str) -> tuple[str, ...]:
        """Delete the app's PersistentVolumeClaims (those with all of `selector`'s labels;
        never an unlabelled claim)."""
        if not selector:
            return ()
        api = objects_api(self._clusters.client(env))
        place = where(self._clusters.cluster(env))
        service = (_where_of(source) or ("", "", source))[2]
        wanted = ",".join(f"{k}={v}" for k, v in sorted(selector.items()))
        page = self.call("listing persistentvolumeclaims", place, service, partial(
            api.list_namespaced_custom_object, CLAIMS.group, CLAIMS.version, namespace,
            CLAIMS.plural, label_selector=wanted, _request_timeout=self.timeout))
        found = cast(dict[str, Any], page) if isinstance(page, dict) else {}
        claims = [item for item in found.get("items") or ()
                  if all(((item.get("metadata") or {}).get("labels") or {}).get(k) == v
                         for k, v in selector.items())]
        call = _Calls(self, api, place, service, namespace, False)
        for claim in claims:
            claim.setdefault("kind", CLAIMS.kind)
            claim.setdefault("apiVersion", CLAIMS.api_version)
            call.delete(claim, dry_run=False)
        return tuple(name_of(c) for c in claims)

    def _list(self, api: k8s.CustomObjectsApi, place: str, resource: Resource,
              namespace: str | None, label: str | None) -> list[dict[str, Any]]:
        """Govbot's objects of one kind (of one source, in one namespace), page by page;
        [] when the cluster does not serve the kind."""
        selector = f"{MANAGED_BY}={MANAGER}" + (f",{SOURCE}={label}" if label else "")
        items: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            page = self.call(f"listing {resource.plural}", place, "",
                             partial(self._page, api, resource, namespace, selector, token))
            for item in page.get("items") or ():
                item.setdefault("kind", resource.kind)
                item.setdefault("apiVersion", resource.api_version)
                items.append(item)
            token = (page.get("metadata") or {}).get("continue") or None
            if not token:
                return items

    def _page(self, api: k8s.CustomObjectsApi, resource: Resource, namespace: str | None,
              selector: str, token: str | None) -> dict[str, Any]:
        query: dict[str, Any] = {"label_selector": selector, "limit": PAGE,
                                 "_request_timeout": self.timeout}
        if token:
            query["_continue"] = token
        try:
            if namespace is None:
                page = api.list_cluster_custom_object(resource.group, resource.version,
                                                      resource.plural, **query)
            else:
                page = api.list_namespaced_custom_object(resource.group, resource.version,
                                                         namespace, resource.plural, **query)
        except ApiException as error:
            if error.status == 404:  # the cluster does not serve this kind (no CRD)
                return {}
            raise
        return cast(dict[str, Any], page or {})

    def call(self, what: str, place: str, service: str, work: Callable[[], T]) -> T:
        """`work()`, retried on temporary failures; Rejected on permanent ones."""
        last = ""
        for attempt in range(self._retry.attempts):
            asked: float | None = None
            try:
                return work()
            except ApiException as error:
                if not answers.temporary(error.status):
                    raise Rejected([answers.problem(error, what, place, service)]) from error
                asked = answers.retry_after(error)
                last = f"{what} in {place}: {answers.message(error)}"
            except (urllib3.exceptions.HTTPError, OSError) as error:
                last = f"{what} in {place}: the API server did not answer " \
                       f"({answers.unreachable(error)})"
            log.warning("%s (attempt %d of %d)", last, attempt + 1, self._retry.attempts)
            if attempt + 1 < self._retry.attempts:
                self._sleep(self._retry.wait(attempt, asked))
        raise TransientError(last)


class _Calls:
    """The object calls of one `apply`: one cluster, one namespace, one service."""

    def __init__(self, target: KubernetesTarget, api: k8s.CustomObjectsApi, place: str,
                 service: str, namespace: str, force: bool) -> None:
        self._target, self._api, self._place = target, api, place
        self._service, self._namespace, self._force = service, namespace, force

    def apply(self, obj: dict[str, Any], dry_run: bool) -> dict[str, Any] | None:
        resource = resource_of(obj)
        namespace = obj["metadata"].get("namespace") or self._namespace
        options: dict[str, Any] = {"field_manager": MANAGER,
                                   "_request_timeout": self._target.timeout}
        if dry_run:
            options["dry_run"] = "All"
        forced: dict[str, Any] = {"force": True} if self._force else {}

        def send() -> object:
            try:
                return self._api.patch_namespaced_custom_object(
                    resource.group, resource.version, namespace, resource.plural,
                    obj["metadata"]["name"], obj, _content_type=APPLY_PATCH,
                    **forced, **options)
            except ApiException as error:
                if error.status != 404:
                    raise
            # a server that does not create on apply: create it, as apply would have
            return self._api.create_namespaced_custom_object(
                resource.group, resource.version, namespace, resource.plural, obj, **options)

        result = self._target.call(name_of(obj), self._place, self._service, send)
        return cast(dict[str, Any], result) if isinstance(result, dict) else None

    def exists(self, obj: Mapping[str, Any]) -> bool:
        """Whether an object of that kind and name is in the cluster already."""
        resource = resource_of(obj)
        namespace = obj["metadata"].get("namespace") or self._namespace

        def send() -> bool:
            try:
                self._api.get_namespaced_custom_object(
                    resource.group, resource.version, namespace, resource.plural,
                    obj["metadata"]["name"], _request_timeout=self._target.timeout)
            except ApiException as error:
                if error.status == 404:
                    return False
                raise
            return True

        return bool(self._target.call(f"reading {name_of(obj)}", self._place, self._service,
                                      send))

    def delete(self, obj: Mapping[str, Any], dry_run: bool) -> None:
        resource = resource_of(obj)
        options: dict[str, Any] = {"_request_timeout": self._target.timeout}
        if dry_run:
            options["dry_run"] = "All"

        def send() -> None:
            try:
                self._api.delete_namespaced_custom_object(
                    resource.group, resource.version, obj["metadata"].get("namespace")
                    or self._namespace, resource.plural, obj["metadata"]["name"], **options)
            except ApiException as error:
                if error.status != 404:  # gone already: what pruning wants
                    raise

        what = ("dry run of deleting " if dry_run else "deleting ") + name_of(obj)
        self._target.call(what, self._place, self._service, send)

