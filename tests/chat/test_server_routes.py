"""`bot.server` in-process over real sockets: the body limit per route (forge webhooks may
be larger), `/readyz` naming the check that failed, and a stop that refuses new
connections while the request in flight is answered."""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot import readiness
from bot.core.types import Author
from bot.repo.git import PolicyRepo
from bot.server import make_server
from bot.server import readiness as readiness_route
from bot.store.sql import SqlStore
from tests.support.opa_rest import running

Handler = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class Recorder:
    """A WSGI app that records the bodies it was given; `gate` may hold it."""

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.bodies: list[int] = []
        self.gate = gate
        self.entered = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(60)
        self.bodies.append(len(body))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"taken"]


def post(port: int, path: str, size: int) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", path, body=b"x" * size)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture
def served() -> Iterator[Callable[[dict[str, Handler]], int]]:
    servers = []

    def start(routes: dict[str, Handler]) -> int:
        server = make_server("127.0.0.1", 0, routes, threads=4, max_request_bytes=1024)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_port

    yield start
    for server in servers:
        server.server_close()


def test_a_body_above_the_limit_is_413_but_a_forge_webhook_may_be_larger(
        served: Callable[[dict[str, Handler]], int]) -> None:
    alerts, forge = Recorder(), Recorder()
    port = served({"/alerts": alerts, "/forge/events": forge})
    assert post(port, "/alerts", 1025)[0] == 413
    assert alerts.bodies == []
    # every path, even one that reads no body or has no route
    assert post(port, "/healthz", 2 * 1024 * 1024)[0] == 413
    assert post(port, "/nowhere", 1025)[0] == 413
    assert post(port, "/healthz", 10)[0] == 200
    assert post(port, "/alerts", 1024)[0] == 200
    assert post(port, "/forge/events", 2 * 1024 * 1024)[0] == 200
    assert (alerts.bodies, forge.bodies) == ([1024], [2 * 1024 * 1024])


def test_stop_accepting_refuses_new_connections_and_answers_the_request_in_flight() -> None:
    gate = threading.Event()
    slow = Recorder(gate)
    server = make_server("127.0.0.1", 0, {"/slow": slow}, threads=2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    answers: list[tuple[int, bytes]] = []
    client = threading.Thread(target=lambda: answers.append(post(server.server_port,
                                                                 "/slow", 10)))
    client.start()
    try:
        assert slow.entered.wait(30)
        server.stop_accepting()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", server.server_port), timeout=5)
        assert server.idle(0) == ["POST /slow"]
        gate.set()
        assert server.idle(30) == []
        client.join(30)
        assert answers == [(200, b"taken")]
    finally:
        gate.set()
        server.server_close()


def _ready(checks: dict[str, readiness.Check],
           served: Callable[[dict[str, Handler]], int]) -> tuple[int, dict[str, Any]]:
    port = served({"/readyz": readiness_route(checks)})
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/readyz")
        answer = connection.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        connection.close()


def test_readyz_names_an_opa_server_that_does_not_answer(
        tmp_path: Path, served: Callable[[dict[str, Handler]], int]) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'govbot.db'}")
    repo = PolicyRepo.init(tmp_path / "policy.git", {"govbot.yaml": "environments: {}\n"},
                           Author("govbot", "govbot@example.com"))
    try:
        with running() as (_state, url):
            up = readiness.checks(store.ping, repo.head, "opa", url)
            assert _ready(up, served) == (200, {"ready": True,
                                                "checked": ["guard", "repository", "store"]})
        status, body = _ready(readiness.checks(store.ping, repo.head, "opa", url), served)
        assert (status, sorted(body["failed"])) == (503, ["guard"])
        assert url.split("//")[1] not in json.dumps(body)  # no address in the answer
    finally:
        store.dispose()
