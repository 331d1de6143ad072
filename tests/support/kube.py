"""A Kubernetes API server for tests: kmock's stateful emulator in a background thread.

kmock serves from an asyncio loop; govbot's kubernetes client is synchronous, so each
`KubeCluster` runs its own loop in a daemon thread and listens on 127.0.0.1:<port 0>.
No authentication, no TLS. The emulator is kmock's `KubernetesEmulator` with what a real
API server does and kmock does not:

- server-side apply (PATCH, `application/apply-patch+yaml`) creates an absent object
  (kmock answers 404; `KubeCluster(apply_creates=False)` keeps that answer, to test a
  client's fallback); on a present one the applied top-level fields replace the live
  ones and labels/annotations are merged; an apply that changes nothing keeps the
  `resourceVersion`; `fieldManager` is required (400 without);
- `dryRun=All` on apply, create and delete answers what would happen and changes nothing;
- lists honour `labelSelector` (`k=v`, `k!=v`, `k`, `!k`, comma-separated);
- created objects get `uid`, `resourceVersion`, `creationTimestamp` and `generation`.

There is no managedFields bookkeeping and no real conflict detection: a test provokes a
conflict with `fail(..., 409, manager=..., fields=...)`, which answers the Status a real
API server sends for an apply conflict.

Public API:
    with KubeCluster() as cluster:               # or the `clusters` fixture (dev, prod)
        cluster.url                              # http://127.0.0.1:<port>
        cluster.seed(obj)                        # any object with apiVersion/kind/metadata
        cluster.get(group, version, plural, namespace, name)    # dict, or None when absent
        cluster.objects(group, version, plural, namespace=None) # live objects, sorted by name
        cluster.requests()                       # [Sent], oldest first; .clear_requests()
        cluster.fail(kind, status, times=1, ...) # the next matching request(s) fail
    write_kubeconfig(path, {"dev-ctx": url1, "prod-ctx": url2})

Request kinds (`Sent.kind`, and what `fail` matches): "dry-run" (an apply or delete with
`dryRun`), "apply" (server-side apply), "ssa" (both, for `fail` only), "get", "list",
"delete", "create", "patch" (other patches), "any" (for `fail` only). `fail` narrows by
`plural` and `name`; its body is what a real API server sends:

    cluster.fail("ssa", 409, manager="kubectl-edit", fields=(".spec.http",))
    cluster.fail("dry-run", 422, message='admission webhook "validation.istio.io" denied '
                 'the request: configuration is invalid: ...')
    cluster.fail("apply", 429, retry_after=1)
    cluster.fail("list", 503, times=2)

Example:
    with KubeCluster() as cluster:
        cluster.seed({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": "svc-new", "namespace": "demo"},
                      "spec": {"ports": [{"port": 9090}]}})
        assert cluster.get("", "v1", "services", "demo", "svc-new")["spec"]["ports"]
"""

from __future__ import annotations

import asyncio
import copy
import threading
import uuid
from collections.abc import Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import aiohttp.web
import attrs
import kmock
import pytest
import yaml

APPLY_PATCH = "application/apply-patch+yaml"
T = TypeVar("T")


@dataclass(frozen=True)
class Sent:
    """One request the server received."""

    method: str                   # GET, PATCH, DELETE, …
    path: str                     # /apis/networking.istio.io/v1/namespaces/demo/virtualservices/x
    params: dict[str, str]        # the query: fieldManager, dryRun, force, labelSelector, …
    content_type: str             # without parameters; "" when the request has no body
    body: Any                     # the parsed JSON (or YAML) body, None when empty
    kind: str                     # dry-run, apply, get, list, delete, create, patch

    @property
    def dry_run(self) -> bool:
        return "dryRun" in self.params

    @property
    def field_manager(self) -> str | None:
        return self.params.get("fieldManager")

    @property
    def force(self) -> bool:
        return self.params.get("force", "").lower() == "true"

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


@dataclass
class _Failure:
    kind: str
    status: int
    times: int
    plural: str | None
    name: str | None
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    def matches(self, sent: Sent, plural: str | None, name: str | None) -> bool:
        kinds = {"ssa": ("apply", "dry-run"), "any": (sent.kind,)}.get(self.kind, (self.kind,))
        return (sent.kind in kinds and self.plural in (None, plural)
                and self.name in (None, name))


def plural_of(kind: str) -> str:
    """The resource name of a kind, as Kubernetes derives it (Canary → canaries)."""
    lower = kind.lower()
    if lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        return lower[:-1] + "ies"
    if lower.endswith("s"):
        return lower + "es"
    return lower + "s"


def status(code: int, reason: str, message: str, **details: Any) -> dict[str, Any]:
    """A `Status` object as the API server answers errors."""
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "details": details, "code": code}


def conflict_status(manager: str, fields: Sequence[str], api_version: str = "",
                    name: str = "", group: str = "", plural: str = "") -> dict[str, Any]:
    """The 409 of an apply conflict with an `Update` manager (kubectl edit, a controller)."""
    who = f'"{manager}" using {api_version}' if api_version else f'"{manager}"'
    if len(fields) == 1:
        message = f"Apply failed with 1 conflict: conflict with {who}: {fields[0]}"
    else:
        message = (f"Apply failed with {len(fields)} conflicts: conflicts with {who}:\n"
                   + "\n".join(f"- {f}" for f in fields))
    causes = [{"type": "FieldManagerConflict", "message": f"conflict with {who}", "field": f}
              for f in fields]
    return status(409, "Conflict", message, name=name, group=group, kind=plural,
                  causes=causes)


def _kind_of(method: str, params: Mapping[str, str], content_type: str, named: bool) -> str:
    if "dryRun" in params and method in ("PATCH", "DELETE", "POST", "PUT"):
        return "dry-run"
    if method == "PATCH":
        return "apply" if content_type == APPLY_PATCH else "patch"
    if method == "GET":
        return "get" if named else "list"
    return {"DELETE": "delete", "POST": "create", "PUT": "replace"}.get(method, method.lower())


def _selected(labels: Mapping[str, str], selector: str) -> bool:
    for term in filter(None, (t.strip() for t in selector.split(","))):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if labels.get(key.strip()) == value.strip():
                return False
        elif "=" in term:
            key, value = term.replace("==", "=").split("=", 1)
            if labels.get(key.strip()) != value.strip():
                return False
        elif term.startswith("!"):
            if term[1:] in labels:
                return False
        elif term not in labels:
            return False
    return True


@attrs.define(kw_only=True)
class _Emulator(kmock.KubernetesEmulator):
    """kmock's emulator plus server-side apply, dry runs, label selectors and failures."""

    apply_creates: bool = True
    failures: list[_Failure] = attrs.field(factory=list)
    sent: list[Sent] = attrs.field(factory=list)
    guard: threading.Lock = attrs.field(factory=threading.Lock)
    counter: list[int] = attrs.field(factory=lambda: [0])

    async def _handle(self, request: kmock.Request) -> aiohttp.web.StreamResponse:
        content_type = request.headers.get("Content-Type", "").split(";")[0].strip()
        body = request.data
        if body is None and request.text.strip():
            try:
                body = yaml.safe_load(request.text)
            except yaml.YAMLError:
                body = None
        params = dict(request.params)
        sent = Sent(str(request.method.value).upper(), request.url.path, params,
                    content_type if request.body else "", body,
                    _kind_of(str(request.method.value).upper(), params, content_type,
                             request.name is not None))
        plural = request.resource.plural if request.resource is not None else None
        with self.guard:
            self.sent.append(sent)
            failure = next((f for f in self.failures if f.matches(sent, plural, request.name)),
                           None)
            if failure is not None:
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
        if failure is not None:
            return aiohttp.web.json_response(failure.body, status=failure.status,
                                             headers=failure.headers)
        if request.resource is not None and sent.method == "POST" and sent.dry_run \
                and isinstance(body, dict) and (body.get("metadata") or {}).get("name"):
            return aiohttp.web.json_response(self._merged(None, body, request.namespace),
                                             status=201)
        if request.resource is not None and request.name is not None:
            if sent.method == "PATCH" and content_type == APPLY_PATCH:
                return await self._apply(request, sent)
            if sent.method == "DELETE" and sent.dry_run:
                async with self._lock:
                    live = self._live(request.resource, request.namespace, request.name)
                if live is None:
                    return self._error(404, "NotFound", f'"{request.name}" not found')
                return aiohttp.web.json_response(live)
        return await super()._handle(request)

    def _live(self, resource: kmock.resource, namespace: str | None,
              name: str) -> dict[str, Any] | None:
        key = (resource, namespace, name)
        if key not in self.objects or self.objects[key].deleted:
            return None
        return copy.deepcopy(dict(self.objects[key].raw))

    @staticmethod
    def _error(code: int, reason: str, message: str) -> aiohttp.web.StreamResponse:
        return aiohttp.web.json_response(status(code, reason, message), status=code)

    async def _apply(self, request: kmock.Request, sent: Sent) -> aiohttp.web.StreamResponse:
        assert request.resource is not None and request.name is not None
        applied = sent.body
        if not sent.field_manager:
            return self._error(400, "BadRequest", "PATCH requests with apply content type "
                               "require fieldManager")
        if not isinstance(applied, dict) or not applied.get("apiVersion") \
                or not applied.get("kind"):
            return self._error(400, "BadRequest", "apiVersion and kind must be set")
        meta = applied.get("metadata") or {}
        if meta.get("name") != request.name:
            return self._error(400, "BadRequest", "the name of the object "
                               f"({meta.get('name')}) does not match the name on the URL "
                               f"({request.name})")
        async with self._lock:
            live = self._live(request.resource, request.namespace, request.name)
            if live is None and not self.apply_creates:
                return self._error(404, "NotFound", f'{request.resource.plural} '
                                   f'"{request.name}" not found')
            result = self._merged(live, applied, request.namespace)
            if not sent.dry_run:
                self.objects[request.resource, request.namespace, request.name] = result
        return aiohttp.web.json_response(result, status=200 if live else 201)

    def _merged(self, live: dict[str, Any] | None, applied: dict[str, Any],
                namespace: str | None) -> dict[str, Any]:
        with self.guard:
            self.counter[0] += 1
            version = str(self.counter[0])
        result = copy.deepcopy(live) if live else {}
        for key, value in applied.items():
            if key != "metadata":
                result[key] = copy.deepcopy(value)
        meta = result.setdefault("metadata", {})
        new_meta = applied.get("metadata") or {}
        for key in ("labels", "annotations"):
            merged = {**(meta.get(key) or {}), **(new_meta.get(key) or {})}
            if merged:
                meta[key] = merged
        meta["name"] = new_meta["name"]
        if namespace:
            meta["namespace"] = namespace
        if live is None:
            meta.update(uid=str(uuid.uuid4()), generation=1,
                        creationTimestamp=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
        elif result == live:
            return result  # nothing changed: no new resourceVersion
        elif {k: v for k, v in result.items() if k not in ("metadata", "status")} != \
                {k: v for k, v in live.items() if k not in ("metadata", "status")}:
            meta["generation"] = int(meta.get("generation", 1)) + 1
        meta["resourceVersion"] = version
        return result

    async def _serve_list(self, request: kmock.Request) -> Any:
        selector = request.params.get("labelSelector", "")
        async with self._lock:
            items = [dict(obj.raw) for (resource, namespace, _name), obj in self.objects.items()
                     if resource == request.resource and not obj.deleted
                     and (request.namespace is None or namespace == request.namespace)]
        items = [copy.deepcopy(item) for item in items
                 if _selected((item.get("metadata") or {}).get("labels") or {}, selector)]
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": "1"},
                "items": items}


class KubeCluster:
    """One fake cluster's API server; a context manager yielding itself."""

    def __init__(self, apply_creates: bool = True) -> None:
        self.url = ""
        self._apply_creates = apply_creates
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="kube-cluster")
        self._stop: asyncio.Event | None = None
        self._handler: _Emulator | None = None
        self._error: BaseException | None = None

    def __enter__(self) -> KubeCluster:
        self._thread.start()
        if not self._ready.wait(10) or self._handler is None:
            raise RuntimeError(f"the fake Kubernetes API did not start: {self._error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)
        self._loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self._loop.run_until_complete(self._serve())
        except BaseException as error:  # reported by __enter__
            self._error = error
            self._ready.set()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with _Emulator(apply_creates=self._apply_creates) as handler, \
                kmock.Server(handler) as server:
            self._handler, self.url = handler, str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()

    def _on_loop(self, work: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(10)

    @property
    def handler(self) -> _Emulator:
        assert self._handler is not None, "enter the KubeCluster first"
        return self._handler

    def seed(self, obj: Mapping[str, Any], plural: str | None = None) -> None:
        """Put an object in the cluster as someone else made it (no request recorded)."""
        group, _, version = str(obj["apiVersion"]).rpartition("/")
        meta = obj["metadata"]
        resource = kmock.resource(group, version, plural or plural_of(str(obj["kind"])))
        body = copy.deepcopy(dict(obj))
        body["metadata"].setdefault("uid", str(uuid.uuid4()))
        with self.handler.guard:
            self.handler.counter[0] += 1
            body["metadata"].setdefault("resourceVersion", str(self.handler.counter[0]))

        async def put() -> None:
            async with self.handler._lock:
                self.handler.objects[resource, meta.get("namespace"), meta["name"]] = body
        self._on_loop(put())

    def get(self, group: str, version: str, plural: str, namespace: str | None,
            name: str) -> dict[str, Any] | None:
        """The live object, or None when it does not exist."""
        async def read() -> dict[str, Any] | None:
            async with self.handler._lock:
                return self.handler._live(kmock.resource(group, version, plural), namespace,
                                          name)
        return self._on_loop(read())

    def objects(self, group: str, version: str, plural: str,
                namespace: str | None = None) -> list[dict[str, Any]]:
        """The live objects of one resource (in one namespace), sorted by name."""
        wanted = kmock.resource(group, version, plural)

        async def read() -> list[dict[str, Any]]:
            async with self.handler._lock:
                return [copy.deepcopy(dict(obj.raw))
                        for (resource, ns, _name), obj in self.handler.objects.items()
                        if resource == wanted and not obj.deleted
                        and namespace in (None, ns)]
        return sorted(self._on_loop(read()), key=lambda o: str(o["metadata"]["name"]))

    def requests(self) -> list[Sent]:
        """Every request received, oldest first."""
        with self.handler.guard:
            return list(self.handler.sent)

    def clear_requests(self) -> None:
        with self.handler.guard:
            self.handler.sent.clear()

    def fail(self, kind: str, status_code: int, *, times: int = 1, plural: str | None = None,
             name: str | None = None, message: str | None = None, manager: str = "",
             fields: Sequence[str] = (), api_version: str = "",
             retry_after: int | None = None) -> None:
        """Answer the next `times` requests of `kind` (on `plural`/`name`) with an error.

        409 answers an apply conflict with `manager` (default "kubectl-edit") over `fields`
        (default `.spec`); 422 an admission webhook's denial (`message`, default istiod's);
        429 "too many requests" with `Retry-After: retry_after` (default 1); anything else
        a plain Status with `message`.
        """
        headers: dict[str, str] = {}
        match status_code:
            case 409:
                body = conflict_status(manager or "kubectl-edit", tuple(fields) or (".spec",),
                                       api_version, name or "", "", plural or "")
                if message:
                    body["message"] = message
            case 422:
                body = status(422, "Invalid", message or (
                    'admission webhook "validation.istio.io" denied the request: '
                    "configuration is invalid: weight must be in range 0..100"),
                    name=name or "", kind=plural or "")
            case 429:
                seconds = 1 if retry_after is None else retry_after
                headers["Retry-After"] = str(seconds)
                body = status(429, "TooManyRequests",
                              message or "Too many requests, please try again later.",
                              retryAfterSeconds=seconds)
            case code if code >= 500:
                body = status(code, "InternalError" if code == 500 else "ServiceUnavailable",
                              message or "Internal error occurred: etcdserver: request timed "
                              "out")
            case code:
                body = status(code, {400: "BadRequest", 403: "Forbidden", 404: "NotFound"}
                              .get(code, "Unknown"), message or f"answered {code}")
        with self.handler.guard:
            self.handler.failures.append(
                _Failure(kind, status_code, times, plural, name, body, headers))


def write_kubeconfig(path: Path, contexts: Mapping[str, str]) -> Path:
    """A kubeconfig with one context (and cluster of the same name) per entry, no auth."""
    config = {
        "apiVersion": "v1", "kind": "Config", "preferences": {},
        "clusters": [{"name": name, "cluster": {"server": url}}
                     for name, url in contexts.items()],
        "users": [{"name": "govbot", "user": {}}],
        "contexts": [{"name": name, "context": {"cluster": name, "user": "govbot"}}
                     for name in contexts],
        "current-context": next(iter(contexts), ""),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


@dataclass(frozen=True)
class KubeClusters:
    """Two clusters, for the dev and prod environments, and a kubeconfig naming both."""

    dev: KubeCluster
    prod: KubeCluster
    kubeconfig: Path
    contexts: Mapping[str, str] = field(
        default_factory=lambda: {"dev": "dev-ctx", "prod": "prod-ctx"})


@pytest.fixture
def clusters(tmp_path: Path) -> Iterator[KubeClusters]:
    """Clusters dev (context dev-ctx) and prod (prod-ctx), and their kubeconfig."""
    with KubeCluster() as dev, KubeCluster() as prod:
        path = write_kubeconfig(tmp_path / "kubeconfig",
                                {"dev-ctx": dev.url, "prod-ctx": prod.url})
        yield KubeClusters(dev, prod, path)
