"""`HttpServer`: `govbot serve`'s HTTP server, waitress in one process, stoppable gracefully.

waitress reads each request whole (headers, then the body up to `max_body_bytes`, else
413 before the application runs) on one I/O thread, and runs the WSGI application on a
bounded pool of `threads`; a connection silent for `idle_seconds` (also one stalled half
way through its headers) is closed, headers above `HEADER_BYTES` are refused, and at most
`CONNECTIONS` connections are open at once. One process, not forked workers: the
scheduler's leader, Slack Socket Mode and DingTalk Stream must run once per replica
(docs/operations-server.md).

`stop_accepting()` closes the listening socket; `idle(timeout)` then waits for the
requests already taken to be answered and flushed, and says what is still running.

Example:
    server = HttpServer("127.0.0.1", 0, app, threads=16, max_body_bytes=1 << 20)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ...
    server.stop_accepting()
    still = server.idle(timeout=25)     # [] when every request was answered
    server.server_close()
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from waitress.channel import HTTPChannel
from waitress.server import TcpWSGIServer
from waitress.wasyncore import dispatcher, loop

# A burst of slash commands arrives at once; a connection the kernel cannot queue is
# reset, and Slack does not retry a slash command. The kernel caps it at
# net.core.somaxconn (4096 on current Linux). GOVBOT_HTTP_BACKLOG sets it for serve.
LISTEN_BACKLOG = 1024
CONNECTIONS = 1000          # open connections at most; more wait in the listen backlog
HEADER_BYTES = 64 * 1024    # Slack, DingTalk, forges and Alertmanager send a few kB
IDLE_SECONDS = 60           # a connection silent this long is closed (also mid-headers)
POLL_SECONDS = 0.5          # how often the I/O loop looks at its stop flag

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class _Running:
    """The requests the application is answering now, by method and path."""

    def __init__(self, app: WsgiApp) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._now: dict[int, str] = {}
        self._ids = itertools.count()

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = next(self._ids)
        with self._lock:
            self._now[key] = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
        try:
            # govbot's routes answer with a list; reading it whole keeps the count honest
            answer = self._app(environ, start_response)
            try:
                return list(answer)
            finally:
                close = getattr(answer, "close", None)
                if close is not None:
                    close()
        finally:
            with self._lock:
                del self._now[key]

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._now.values())


class HttpServer:
    """waitress behind the surface the tests and `serve` use: `serve_forever`,
    `server_port`, `shutdown`, `server_close`, plus `stop_accepting` and `idle`."""

    def __init__(self, host: str, port: int, app: WsgiApp, *, threads: int = 16,
                 max_body_bytes: int = 1024 * 1024, idle_seconds: int = IDLE_SECONDS,
                 backlog: int = LISTEN_BACKLOG) -> None:
        self._running = _Running(app)
        self._map: dict[int, Any] = {}
        self._server = TcpWSGIServer(
            self._running, map=self._map, host=host, port=port, threads=threads,
            backlog=backlog, connection_limit=CONNECTIONS,
            channel_timeout=idle_seconds, max_request_header_size=HEADER_BYTES,
            max_request_body_size=max_body_bytes, expose_tracebacks=False,
            ident="govbot", clear_untrusted_proxy_headers=True, asyncore_use_poll=True)
        self.server_port: int = int(self._server.effective_port)
        self.server_address: tuple[str, int] = (str(self._server.effective_host),
                                                self.server_port)
        self._stopped = threading.Event()
        self._looping = threading.Event()
        self._loop_done = threading.Event()
        self._listening = True

    def serve_forever(self, poll_interval: float = POLL_SECONDS) -> None:
        """Run the I/O loop until `shutdown`; call it in a thread of its own."""
        self._looping.set()
        try:
            while not self._stopped.is_set():
                # poll(2), not select(2): select fails on descriptors above 1023
                loop(timeout=poll_interval, map=self._map, use_poll=True, count=1)
        finally:
            self._loop_done.set()

    def stop_accepting(self) -> None:
        """Close the listening socket (in the I/O loop's thread, which owns it): new
        connections are refused, the open ones are still answered."""
        done = threading.Event()

        def close_listener() -> None:
            if self._listening:
                dispatcher.close(self._server)   # not the server's close: keep the trigger
                self._listening = False
            done.set()

        if not self._looping.is_set() or self._loop_done.is_set():
            close_listener()  # no loop runs: nothing else touches the socket
            return
        self._server.trigger.pull_trigger(close_listener)
        if not done.wait(5):
            raise RuntimeError("closing the listening socket: the i/o loop did not answer")

    def idle(self, timeout: float) -> list[str]:
        """Wait until every request taken is answered and its answer sent; what is still
        running when `timeout` passes (empty when nothing is)."""
        deadline = time.monotonic() + timeout
        while True:
            busy = self._busy()
            if not busy or time.monotonic() >= deadline:
                return busy
            time.sleep(0.05)

    def _busy(self) -> list[str]:
        running = self._running.names()
        channels = [channel for channel in list(self._map.values())
                    if isinstance(channel, HTTPChannel)
                    and (channel.requests or channel.total_outbufs_len)]
        waiting = len(channels) - len(running)
        return running + ([f"{waiting} request(s) queued or being sent"]
                          if waiting > 0 else [])

    def shutdown(self) -> None:
        """End `serve_forever` and wait for it."""
        self._stopped.set()
        self._server.trigger.pull_trigger()
        self._loop_done.wait(5)

    def server_close(self) -> None:
        """Close every socket and let the worker threads go; after `shutdown`."""
        if not self._stopped.is_set():
            self.shutdown()
        for channel in list(self._map.values()):
            with contextlib.suppress(OSError):  # already closed with the server's trigger
                channel.close()
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=1)
