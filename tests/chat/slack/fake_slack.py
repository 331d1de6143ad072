"""A local stand-in for Slack's Web API and response_url, recording every call.

`FakeSlack` answers `chat.postMessage` (with increasing ts), `chat.update`,
`chat.postEphemeral`, `auth.test` and posts to `/response/…` (the slash commands'
response_url). `throttle[method] = n` answers the next n calls of that method with 429 and
`Retry-After: 1`, as Slack does; `fail[method] = (status, body)` answers its next call
so. With `socket_url` set it also answers `apps.connections.open` with that URL, for
Socket Mode.

`FakeSocketMode` is Slack's Socket Mode end on 127.0.0.1: it greets each connection with
`hello`, sends the envelopes a test gives it and records the acks that come back.
"""

from __future__ import annotations

import itertools
import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any]
    raw: str
    status: int
    authorization: str = ""

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/")


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.throttle: dict[str, int] = {}
        self.fail: dict[str, tuple[int, dict[str, Any]]] = {}  # method → next answer
        self.socket_url: str | None = None
        self._changed = threading.Condition()
        self._ts = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                status, answer, headers = fake.answer(self.path, self.headers, raw)
                data = answer.encode()
                self.send_response(status)
                for name, value in {"Content-Length": str(len(data)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def answer(self, path: str, headers: Any, raw: str) -> tuple[int, str, dict[str, str]]:
        if "json" in (headers.get("Content-Type") or ""):
            body = json.loads(raw or "{}")
        else:
            body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
        method = path.removeprefix("/api/")
        auth = str(headers.get("Authorization") or "")
        with self._changed:
            if self.throttle.get(method):
                self.throttle[method] -= 1
                self._record(Call(path, body, raw, 429, auth))
                return 429, json.dumps({"ok": False, "error": "ratelimited"}), {
                    "Retry-After": "1", "Content-Type": "application/json"}
            failure = self.fail.pop(method, None)
            if failure is not None:
                self._record(Call(path, body, raw, failure[0], auth))
                return failure[0], json.dumps(failure[1]), {"Content-Type": "application/json"}
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
            self._record(Call(path, body, raw, 200, auth))
        if path.startswith("/response/"):
            return 200, "ok", {"Content-Type": "text/plain"}
        answers: dict[str, dict[str, Any]] = {
            "chat.postMessage": {"channel": body.get("channel"), "ts": ts},
            "chat.update": {"channel": body.get("channel"), "ts": body.get("ts")},
            "chat.postEphemeral": {"message_ts": ts},
            "auth.test": {"user_id": "UGOVBOT", "bot_id": "BGOVBOT", "team_id": "T0123"},
        }
        if self.socket_url is not None:
            answers["apps.connections.open"] = {"url": self.socket_url}
        if method not in answers:
            return 404, json.dumps({"ok": False, "error": "unknown_method"}), {}
        return 200, json.dumps({"ok": True, **answers[method]}), {
            "Content-Type": "application/json"}

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self._changed.notify_all()

    def ok(self, method: str) -> list[Call]:
        """Answered calls of one Web API method (or `response` for response_url posts)."""
        with self._changed:
            return [c for c in self.calls if c.status == 200 and
                    (c.method == method or (method == "response" and
                                            c.path.startswith("/response/")))]

    def wait_for(self, ready: Callable[[FakeSlack], bool], timeout: float = 30) -> None:
        """Block until `ready(self)` holds; a deadline only so a broken test cannot hang."""
        with self._changed:
            done = self._changed.wait_for(lambda: ready(self), timeout)
        assert done, [(c.path, c.status, c.raw[:300]) for c in self.calls]


HELLO = {"type": "hello", "num_connections": 1,
         "debug_info": {"host": "applink-local", "approximate_connection_time": 18060},
         "connection_info": {"app_id": "A1"}}


class FakeSocketMode:
    """Slack's Socket Mode end: `hello` first, then the envelopes `send` is given.

    `acks` holds every message a client sent back; `closes` the close code of each ended
    connection (1000 for a clean close, 1006 when the TCP connection just dropped).
    """

    def __init__(self) -> None:
        self.acks: list[dict[str, Any]] = []
        self.closes: list[int | None] = []
        self.paths: list[str] = []
        self._live: ServerConnection | None = None
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self.server = serve(self._session, "127.0.0.1", 0)
        port = self.server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link/?ticket=local-ticket"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps(HELLO))
        with self._changed:
            self._live = connection
            self.paths.append(connection.request.path if connection.request else "")
            self._changed.notify_all()
        try:
            for message in connection:
                with self._changed:
                    self.acks.append(json.loads(message))
                    self._changed.notify_all()
        except ConnectionClosed:
            pass  # the close code below says how it ended
        finally:
            with self._changed:
                if self._live is connection:
                    self._live = None
                self.closes.append(connection.close_code)
                self._changed.notify_all()

    @property
    def connected(self) -> bool:
        with self._changed:
            return self._live is not None

    def send(self, kind: str, payload: dict[str, Any], **fields: Any) -> str:
        """Deliver one envelope on the open connection; its envelope_id is returned."""
        envelope_id = f"envelope-{next(self._ids)}"
        with self._changed:
            live = self._live
        assert live is not None, "no socket mode connection to deliver on"
        live.send(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                              **fields}))
        return envelope_id

    def acked(self, envelope_id: str) -> list[dict[str, Any]]:
        with self._changed:
            return [ack for ack in self.acks if ack.get("envelope_id") == envelope_id]

    def wait_for(self, ready: Callable[[FakeSocketMode], bool], timeout: float = 30) -> None:
        """Block until `ready(self)` holds; a deadline only so a broken test cannot hang."""
        with self._changed:
            done = self._changed.wait_for(lambda: ready(self), timeout)
        assert done, (self.paths, self.acks, self.closes)
