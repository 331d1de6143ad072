"""`govbot serve`: one HTTP server for every served chat adapter, plus `/healthz`.

A small WSGI router over the standard library's threading server: each request runs in
its own thread, so a slow handler never delays another platform's acknowledgement.
Adapters bring their own routes (`/slack/events`, `/dingtalk/events`, …); webhooks from
the forge (`/forge/events`) and from Alertmanager (`/alerts`) are answered at once and
handled after.

The listen backlog is `LISTEN_BACKLOG` (the standard library's default is 5): a burst of
slash commands arrives at once, a connection the kernel cannot queue is reset, and Slack
does not retry a slash command. The kernel caps the backlog at `net.core.somaxconn`
(4096 on current Linux); a thread per request means nothing else queues them.

Example:
    server = make_server("127.0.0.1", 0, {"/slack/events": slack_app})
    threading.Thread(target=server.serve_forever, daemon=True).start()
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer
from wsgiref.simple_server import make_server as _make_server

from bot.chat import WsgiApp
from bot.core.events import GovernanceEvent
from bot.forge import Forge, Hook
from bot.forge.api import ForgeError, Unverified
from bot.sources.alertmanager import PayloadError

log = logging.getLogger("govbot.server")


LISTEN_BACKLOG = 1024
MAX_HOOK_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = LISTEN_BACKLOG


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)


def _json(start_response: Callable[..., Any], status: str, body: object) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def router(routes: Mapping[str, WsgiApp]) -> WsgiApp:
    """Dispatch by exact path; `/healthz` answers 200 without touching any dependency."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        if path == "/healthz":
            return _json(start_response, "200 OK", {"ok": True})
        handler = routes.get(path)
        if handler is None:
            return _json(start_response, "404 Not Found", {"error": f"no route {path}"})
        return handler(environ, start_response)

    return app


def _body(environ: dict[str, Any]) -> bytes | None:
    """A webhook's body; None when it is larger than MAX_HOOK_BYTES."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_HOOK_BYTES:
        return None
    return environ["wsgi.input"].read(length) if length else b""


def _in_thread(name: str) -> Callable[[Callable[[], object]], None]:
    """Run work after the answer, in a daemon thread of its own."""
    def start(work: Callable[[], object]) -> None:
        threading.Thread(target=work, name=name, daemon=True).start()
    return start


def forge_events(forge: Forge, handle: Callable[[Hook], object],
                 run: Callable[[Callable[[], object]], None] | None = None) -> WsgiApp:
    """`/forge/events`: a webhook delivery is verified before anything else (401 when its
    signature or token is wrong, and nothing changes), answered at once, and handled by
    `handle` (`Workflow.forge_event`, which drops a repeated delivery id) after the
    answer (`run`, a thread by default)."""

    start = run or _in_thread("govbot-forge-event")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
        body = _body(environ)
        if body is None:
            return _json(start_response, "413 Payload Too Large", {"error": "too large"})
        headers = {key[5:].replace("_", "-").lower(): str(value)
                   for key, value in environ.items() if key.startswith("HTTP_")}
        headers["content-type"] = str(environ.get("CONTENT_TYPE") or "")
        try:
            hook = forge.hook(headers, body)
        except Unverified as error:
            log.warning("refused a %s webhook delivery: %s", forge.kind, error)
            return _json(start_response, "401 Unauthorized", {"error": "unverified"})
        except ForgeError as error:
            return _json(start_response, "400 Bad Request", {"error": error.message})
        start(lambda: handle(hook))
        return _json(start_response, "202 Accepted", {"ok": True, "delivery": hook.delivery})

    return app


def alert_events(token: str, parse: Callable[[bytes], Sequence[GovernanceEvent]],
                 handle: Callable[[Sequence[GovernanceEvent]], object],
                 run: Callable[[Callable[[], object]], None] | None = None) -> WsgiApp:
    """`/alerts`: Alertmanager's webhook. The bearer token is checked before anything else
    (401 when it is missing or wrong, and nothing changes); a body `parse` refuses is a
    400; the events are handed to `handle` (the funnel) after the answer (`run`, a thread
    by default)."""
    expected = f"Bearer {token}".encode()

    start = run or _in_thread("govbot-alerts")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        given = str(environ.get("HTTP_AUTHORIZATION") or "").strip()
        scheme, _space, credentials = given.partition(" ")
        presented = f"Bearer {credentials.strip()}".encode() \
            if scheme.lower() == "bearer" else b""
        if not token or not hmac.compare_digest(presented, expected):
            log.warning("refused an alert delivery: %s bearer token",
                        "wrong" if presented else "no")
            return _json(start_response, "401 Unauthorized", {"error": "unauthorized"})
        if environ.get("REQUEST_METHOD") != "POST":
            return _json(start_response, "405 Method Not Allowed", {"error": "POST only"})
        body = _body(environ)
        if body is None:
            return _json(start_response, "413 Payload Too Large", {"error": "too large"})
        try:
            events = list(parse(body))
        except PayloadError as error:
            log.warning("refused an alert delivery: %s", error)
            return _json(start_response, "400 Bad Request", {"error": str(error)})
        if events:
            start(lambda: handle(events))
        return _json(start_response, "202 Accepted", {"ok": True, "alerts": len(events)})

    return app


def make_server(host: str, port: int, routes: Mapping[str, WsgiApp]) -> WSGIServer:
    return _make_server(host, port, router(routes), server_class=_ThreadingServer,
                        handler_class=_QuietHandler)
