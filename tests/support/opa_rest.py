"""A small server that speaks OPA's REST API on top of the embedded OPA engine.

Enough of the API for `opa-python-client` and govbot's OPA-server guard: policies
(`PUT/GET/DELETE /v1/policies/{id}`), data (`PUT /v1/data/{path}` → 204, `GET|POST
/v1/data/{path}` → `{"result": …}` or `{}` when undefined), and `GET /health`. Every
request is recorded in `requests` for assertions. A decision whose input targets a
service in `held` waits until that service's event is set (after setting `arrived`), so
tests can hold one guard call while others go on. Like OPA, it compiles the policies and
data once, when they change, not per query.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import opa_bindings


class OpaRestServer:
    def __init__(self) -> None:
        self.policies: dict[str, str] = {}
        self.data: dict[str, Any] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        self.held: dict[str, threading.Event] = {}
        self.arrived = threading.Event()
        self._engine: tuple[str, opa_bindings.OpaEngine] | None = None
        self._compiling = threading.Lock()

    def wait_if_held(self, body: bytes) -> None:
        try:
            target = json.loads(body or b"{}").get("input", {}).get("target")
        except (ValueError, AttributeError):
            return
        gate = self.held.get(str(target))
        if gate is not None:
            self.arrived.set()
            gate.wait(timeout=60)

    def put_data(self, path: str, value: Any) -> None:
        node = self.data
        parts = [p for p in path.split("/") if p]
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        if parts:
            node[parts[-1]] = value
        else:
            self.data = value

    def evaluate(self, path: str, input: Any) -> Any:
        dotted = ".".join(p for p in path.split("/") if p)
        return self._compiled().eval_document(dotted, input)

    def _compiled(self) -> opa_bindings.OpaEngine:
        """The engine of the policies and data as they are now, built when they changed."""
        key = json.dumps([sorted(self.policies.items()), self.data], sort_keys=True)
        with self._compiling:
            if self._engine is None or self._engine[0] != key:
                engine = opa_bindings.OpaEngine()
                engine.add_data(self.data)
                for policy_id, source in sorted(self.policies.items()):
                    engine.add_policy(policy_id, source)
                # the engine it replaces is left open: a query may still be running on it
                self._engine = (key, engine)
            return self._engine[1]


def _handler(state: OpaRestServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, code: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _body(self) -> bytes:
            if not hasattr(self, "_read"):
                self._read = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            return self._read

        def _route(self, method: str) -> None:
            path = self.path.split("?")[0]
            if method == "POST":
                state.wait_if_held(self._body())
            with state.lock:
                state.requests.append((method, path))
                self._dispatch(method, path)

        def _dispatch(self, method: str, path: str) -> None:
            if path == "/health":
                return self._send(200, {})
            if path.startswith("/v1/policies"):
                return self._policies(method, path.removeprefix("/v1/policies").strip("/"))
            if path.startswith("/v1/data"):
                return self._data(method, path.removeprefix("/v1/data"))
            return self._send(404, {"code": "resource_not_found"})

        def _policies(self, method: str, policy_id: str) -> None:
            if method == "GET" and not policy_id:
                return self._send(200, {"result": [{"id": i} for i in sorted(state.policies)]})
            if method == "PUT":
                source = self._body().decode()
                engine = opa_bindings.OpaEngine()
                try:
                    engine.add_policy(policy_id, source)
                except opa_bindings.OpaError as error:
                    return self._send(400, {"code": "invalid_parameter", "message": str(error)})
                finally:
                    engine.close()
                state.policies[policy_id] = source
                return self._send(200, {})
            if method == "DELETE":
                state.policies.pop(policy_id, None)
                return self._send(200, {})
            return self._send(405, {})

        def _data(self, method: str, path: str) -> None:
            if method == "PUT":
                state.put_data(path, json.loads(self._body() or b"null"))
                return self._send(204)
            body = json.loads(self._body() or b"{}") if method == "POST" else {}
            try:
                return self._send(200, {"result": state.evaluate(path, body.get("input"))})
            except opa_bindings.OpaUndefinedError:
                return self._send(200, {})
            except opa_bindings.OpaError as error:
                return self._send(500, {"code": "internal_error", "message": str(error)})

        def do_GET(self) -> None:
            self._route("GET")

        def do_PUT(self) -> None:
            self._route("PUT")

        def do_POST(self) -> None:
            self._route("POST")

        def do_DELETE(self) -> None:
            self._route("DELETE")

    return Handler


@contextmanager
def running() -> Iterator[tuple[OpaRestServer, str]]:
    """An OPA REST server on 127.0.0.1 and a free port; yields (state, base URL)."""
    state = OpaRestServer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
