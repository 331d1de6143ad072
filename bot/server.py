"""`govbot serve`'s routes: one WSGI router for every served chat adapter, the forge and
Alertmanager webhooks, and the probes, served by waitress (bot/httpd.py).

The router answers `/healthz` itself (alive; touches nothing) and refuses a body larger
than its path's limit with 413 before any handler runs: `max_request_bytes`
(GOVBOT_MAX_REQUEST_BYTES) everywhere, `MAX_HOOK_BYTES` for `/forge/events`, since
GitHub sends webhook payloads up to 25 MB. `/readyz` (`readiness`) asks the checks it is
given. Webhooks from the forge (`/forge/events`) and from Alertmanager (`/alerts`) are
answered at once and handled after, in a `Background` that `serve` waits for when it
stops.

Example:
    server = make_server("127.0.0.1", 0, {"/slack/events": slack_app})
    threading.Thread(target=server.serve_forever, daemon=True).start()
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from bot.chat import WsgiApp
from bot.core.events import GovernanceEvent
from bot.forge import Forge, Hook
from bot.forge.api import ForgeError, Unverified
from bot.httpd import LISTEN_BACKLOG, HttpServer
from bot.sources.alertmanager import PayloadError

__all__ = ["LISTEN_BACKLOG", "MAX_HOOK_BYTES", "Background", "alert_events", "forge_events",
           "make_server", "readiness", "router"]

log = logging.getLogger("govbot.server")

MAX_REQUEST_BYTES = 1024 * 1024     # GOVBOT_MAX_REQUEST_BYTES' default
MAX_HOOK_BYTES = 25 * 1024 * 1024  # GitHub caps webhook payloads at 25 MB
HOOK_PATH = "/forge/events"
Check = Callable[[], str | None]    # a readiness check: None when ready, else what failed


def _json(start_response: Callable[..., Any], status: str, body: object) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def _length(environ: Mapping[str, Any]) -> int:
    try:
        return int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


def router(routes: Mapping[str, WsgiApp],
           max_request_bytes: int = MAX_REQUEST_BYTES) -> WsgiApp:
    """Dispatch by exact path, or to the app mounted at a prefix ending in `/`;
    `/healthz` answers 200 without touching any dependency; a
    body above the path's limit is a 413 and no handler sees it."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        # the limit first, on every path: no route, /healthz included, takes a large body
        limit = MAX_HOOK_BYTES if path == HOOK_PATH else max_request_bytes
        if _length(environ) > limit:
            log.warning("refused a %d-byte request to %s: the limit is %d bytes",
                        _length(environ), path, limit)
            return _json(start_response, "413 Payload Too Large",
                         {"error": f"the body is larger than {limit} bytes"})
        if path == "/healthz":
            return _json(start_response, "200 OK", {"ok": True})
        handler = routes.get(path) or _mounted(routes, path)
        if handler is None:
            return _json(start_response, "404 Not Found", {"error": f"no route {path}"})
        return handler(environ, start_response)

    return app


def _mounted(routes: Mapping[str, WsgiApp], path: str) -> WsgiApp | None:
    """The app mounted at a prefix (a route ending in `/`, e.g. `/ui/`) holding `path`."""
    for prefix, handler in routes.items():
        if prefix.endswith("/") and path.startswith(prefix):
            return handler
    return None


def readiness(checks: Mapping[str, Check]) -> WsgiApp:
    """`/readyz`: 200 when every check passes, else 503 with `{"failed": {name: why}}`.
    A check that raises counts as failed with its exception's kind only (its text may
    hold an address or a credential); the check says what it wants said."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        failed: dict[str, str] = {}
        for name, check in checks.items():
            try:
                problem = check()
            except Exception as error:
                log.warning("readiness check %s: %s", name, type(error).__name__)
                problem = f"{type(error).__name__} while checking"
            if problem:
                failed[name] = problem
        if failed:
            return _json(start_response, "503 Service Unavailable",
                         {"ready": False, "failed": failed})
        return _json(start_response, "200 OK", {"ready": True, "checked": sorted(checks)})

    return app


class Background:
    """Work run after an answer, each in a daemon thread, counted so that `serve` can
    wait for it when it stops."""

    def __init__(self) -> None:
        self._running: Counter[str] = Counter()
        self._changed = threading.Condition()

    def runner(self, name: str) -> Callable[[Callable[[], object]], None]:
        """What `forge_events` and `alert_events` take as `run`."""

        def start(work: Callable[[], object]) -> None:
            with self._changed:
                self._running[name] += 1
            threading.Thread(target=self._run, args=(name, work), name=f"govbot-{name}",
                             daemon=True).start()

        return start

    def _run(self, name: str, work: Callable[[], object]) -> None:
        try:
            work()
        except Exception:
            log.exception("handling a %s after its answer", name)
        finally:
            with self._changed:
                self._running[name] -= 1
                self._changed.notify_all()

    def wait(self, timeout: float) -> list[str]:
        """Wait for the work to end; what still runs after `timeout` (empty when none)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            self._changed.wait_for(lambda: not +self._running,
                                   max(0.0, deadline - time.monotonic()))
            return [f"{count} {name}" for name, count in sorted((+self._running).items())]


def _body(environ: dict[str, Any]) -> bytes | None:
    """A webhook's body; None when it is larger than MAX_HOOK_BYTES (the router refuses
    it first when the handler is behind one)."""
    length = _length(environ)
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


def make_server(host: str, port: int, routes: Mapping[str, WsgiApp], *, threads: int = 16,
                max_request_bytes: int = MAX_REQUEST_BYTES,
                backlog: int = LISTEN_BACKLOG) -> HttpServer:
    """The routes behind the router, on waitress; waitress itself refuses bodies above
    the largest limit, before reading them whole; `backlog` connections wait in the
    kernel's queue."""
    return HttpServer(host, port, router(routes, max_request_bytes), threads=threads,
                      max_body_bytes=max(max_request_bytes, MAX_HOOK_BYTES), backlog=backlog)
