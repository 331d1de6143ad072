"""A local Kubernetes API serving `coordination.k8s.io/v1` Leases, as the API server does:
GET (404 Status when absent), POST (409 AlreadyExists when present), PUT with optimistic
concurrency (409 Conflict when `metadata.resourceVersion` is not the stored one; a new
resourceVersion on every write). kmock's emulator replaces objects without comparing
resourceVersions, which is exactly what a Lease needs checked, hence this server.

`between` runs once when the next GET has been read and before it is answered: a test
uses it to write the Lease as another replica would, between a contender's read and its
write.

Example:
    with LeaseApi() as api:
        client = api.client()          # kubernetes.client.ApiClient on it
        api.lease("govbot", "govbot-leader")["spec"]["holderIdentity"]
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kubernetes import client as k8s

PREFIX = "/apis/coordination.k8s.io/v1/namespaces/"


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason, "code": code}


class LeaseApi:
    def __init__(self) -> None:
        self.leases: dict[tuple[str, str], dict[str, Any]] = {}
        self.requests: list[tuple[str, str]] = []
        self.between: Callable[[], None] | None = None
        self._version = 0
        self._guard = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                api._answer(self, "GET")

            def do_POST(self) -> None:
                api._answer(self, "POST")

            def do_PUT(self) -> None:
                api._answer(self, "PUT")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LeaseApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def client(self) -> k8s.ApiClient:
        configuration = k8s.Configuration(host=self.url)
        configuration.retries = False
        return k8s.ApiClient(configuration)

    def lease(self, namespace: str, name: str) -> dict[str, Any]:
        with self._guard:
            return copy.deepcopy(self.leases[namespace, name])

    def write(self, namespace: str, name: str, spec: dict[str, Any]) -> None:
        """Change the Lease's spec as another writer would (a new resourceVersion)."""
        with self._guard:
            lease = self.leases[namespace, name]
            lease["spec"] = {**lease["spec"], **spec}
            lease["metadata"]["resourceVersion"] = self._next()

    def _next(self) -> str:
        self._version += 1
        return str(self._version)

    def _answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        path = request.path.split("?")[0]
        self.requests.append((method, path))
        length = int(request.headers.get("Content-Length") or 0)
        body = json.loads(request.rfile.read(length) or b"null")
        code, answer = self._handle(method, path, body)
        hook, self.between = (self.between, None) if method == "GET" else (None, self.between)
        if hook is not None:  # the answer holds what was read; the write comes after it
            hook()
        data = json.dumps(answer).encode()
        request.send_response(code)
        request.send_header("Content-Type", "application/json")
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        request.wfile.write(data)
        request.wfile.flush()

    def _handle(self, method: str, path: str, body: Any) -> tuple[int, dict[str, Any]]:
        if not path.startswith(PREFIX):
            return 404, _status(404, "NotFound", f"no route {path}")
        parts = path[len(PREFIX):].strip("/").split("/")
        namespace, name = parts[0], parts[2] if len(parts) > 2 else ""
        with self._guard:
            stored = self.leases.get((namespace, name))
            if method == "GET":
                if stored is None:
                    return 404, _status(404, "NotFound",
                                        f'leases.coordination.k8s.io "{name}" not found')
                return 200, copy.deepcopy(stored)
            if method == "POST":
                name = body["metadata"]["name"]
                if (namespace, name) in self.leases:
                    return 409, _status(409, "AlreadyExists",
                                        f'leases.coordination.k8s.io "{name}" already exists')
                created = copy.deepcopy(body)
                created["metadata"].update(namespace=namespace, resourceVersion=self._next())
                self.leases[namespace, name] = created
                return 201, copy.deepcopy(created)
            if stored is None:
                return 404, _status(404, "NotFound",
                                    f'leases.coordination.k8s.io "{name}" not found')
            if body["metadata"].get("resourceVersion") != stored["metadata"]["resourceVersion"]:
                return 409, _status(409, "Conflict", (
                    f'Operation cannot be fulfilled on leases.coordination.k8s.io "{name}": '
                    "the object has been modified; please apply your changes to the latest "
                    "version and try again"))
            replaced = copy.deepcopy(body)
            replaced["metadata"]["resourceVersion"] = self._next()
            self.leases[namespace, name] = replaced
            return 200, copy.deepcopy(replaced)
