"""A local stand-in for Slack's Web API and response_url, recording every call.

`FakeSlack` answers `chat.postMessage` (with increasing ts), `chat.update`,
`chat.postEphemeral`, `auth.test` and posts to `/response/…` (the slash commands'
response_url). `throttle[method] = n` answers the next n calls of that method with 429 and
`Retry-After: 1`, as Slack does.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Call:
    path: str
    body: dict[str, Any]
    raw: str
    status: int

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/")


class FakeSlack:
    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.throttle: dict[str, int] = {}
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
        with self._changed:
            if self.throttle.get(method):
                self.throttle[method] -= 1
                self._record(Call(path, body, raw, 429))
                return 429, json.dumps({"ok": False, "error": "ratelimited"}), {
                    "Retry-After": "1", "Content-Type": "application/json"}
            self._ts += 1
            ts = f"1700000000.{self._ts:06d}"
            self._record(Call(path, body, raw, 200))
        if path.startswith("/response/"):
            return 200, "ok", {"Content-Type": "text/plain"}
        answers: dict[str, dict[str, Any]] = {
            "chat.postMessage": {"channel": body.get("channel"), "ts": ts},
            "chat.update": {"channel": body.get("channel"), "ts": body.get("ts")},
            "chat.postEphemeral": {"message_ts": ts},
            "auth.test": {"user_id": "UGOVBOT", "bot_id": "BGOVBOT", "team_id": "T0123"},
        }
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
