"""DingTalk at the wire, on 127.0.0.1 port 0: the OpenAPI, session webhooks and the custom
robot as one HTTP server that records every request, and the Stream gateway as a real
WebSocket server that sends CALLBACK frames and records the acks."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve

from bot.core.events import Event
from bot.core.types import Command

CORP = "ding9f50b15bccd16741"
ALICE, BOB, CAROL = "04574258341072934", "04574258341072935", "04574258341072936"
CONVERSATION = "cidXXXX"
BOT_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
WAIT_S = 60.0  # a bound on waiting for the other side, not a timing assertion


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    raw_query: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(self.raw_query)


class Journal:
    """An ordered record shared by the fakes and the test, with waiting."""

    def __init__(self) -> None:
        self.entries: list[Any] = []
        self._cond = threading.Condition()

    def add(self, entry: Any) -> None:
        with self._cond:
            self.entries.append(entry)
            self._cond.notify_all()

    def wait_for(self, predicate: Callable[[list[Any]], bool]) -> list[Any]:
        with self._cond:
            assert self._cond.wait_for(lambda: predicate(self.entries), WAIT_S), self.entries
            return list(self.entries)


class DingTalkServer:
    """OpenAPI host, session webhooks (`/session/...`) and custom robot (`/robot/send`)."""

    def __init__(self) -> None:
        self.seen = Journal()
        self.ws_url = ""
        self.answers: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _any(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                body = json.loads(raw) if raw else {}
                server.seen.add(Seen(self.command, parts.path, parts.query,
                                     {k.lower(): v for k, v in self.headers.items()}, body))
                status, answer = server.answer(parts.path)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = do_PUT = _any

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        queued = self.answers.get(path)
        if queued:
            return queued.pop(0)
        if path == "/v1.0/gateway/connections/open":
            return 200, {"endpoint": self.ws_url, "ticket": "ticket-1"}
        if path == "/v1.0/oauth2/accessToken":
            return 200, {"accessToken": "token-1", "expireIn": 7200}
        if path.startswith(("/session/", "/robot/")):
            return 200, {"errcode": 0, "errmsg": "ok"}
        return 200, {"success": True}

    def requests(self, path: str, method: str = "POST") -> list[Seen]:
        return [s for s in self.seen.entries if s.path == path and s.method == method]

    def wait(self, path: str, count: int, method: str = "POST") -> list[Seen]:
        self.seen.wait_for(lambda entries: len(
            [s for s in entries if s.path == path and s.method == method]) >= count)
        return self.requests(path, method)

    def close(self) -> None:
        self._http.shutdown()
        self._http.server_close()


class StreamGateway:
    """The Stream WebSocket: sends frames to the connected client, records its acks."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.tickets: list[str] = []
        self._connection: ServerConnection | None = None
        self._connected = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._started.wait(WAIT_S)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        async def listen() -> Server:
            return await serve(self._handle, "127.0.0.1", 0)

        self._server = self._loop.run_until_complete(listen())
        self._started.set()
        self._loop.run_forever()

    @property
    def url(self) -> str:
        port = next(iter(self._server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/connect"

    async def _handle(self, connection: ServerConnection) -> None:
        path = connection.request.path if connection.request else ""
        self.tickets.append(parse_qs(urlsplit(path).query)["ticket"][0])
        self._connection = connection
        self._connected.set()
        async for raw in connection:
            ack = json.loads(raw)
            self.journal.add(("ack", ack["headers"].get("messageId"), ack))

    def send(self, frame: dict[str, Any]) -> None:
        assert self._connected.wait(WAIT_S), "the stream client never connected"
        assert self._connection is not None
        asyncio.run_coroutine_threadsafe(self._connection.send(json.dumps(frame)),
                                         self._loop).result(WAIT_S)

    def close(self) -> None:
        async def shut() -> None:
            self._server.close()
            await self._server.wait_closed()

        asyncio.run_coroutine_threadsafe(shut(), self._loop).result(WAIT_S)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(WAIT_S)


class GatedCore:
    """The real workflow behind a gate the test holds, journaling when work starts/ends."""

    def __init__(self, inner: Any, journal: Journal) -> None:
        self.inner = inner
        self.journal = journal
        self.gate = threading.Event()
        self.gate.set()

    def handle(self, command: Command) -> list[Event]:
        self.journal.add(("work", command.event_id))
        assert self.gate.wait(WAIT_S)
        events: list[Event] = self.inner.handle(command)
        self.journal.add(("done", command.event_id))
        return events


def robot_frame(message_id: str, msg_id: str, text: str, staff: str, webhook: str,
                expires_ms: int, conversation_type: str = "2") -> dict[str, Any]:
    data = {"msgtype": "text", "text": {"content": text}, "msgId": msg_id,
            "conversationId": CONVERSATION, "conversationType": conversation_type,
            "conversationTitle": "prod demo", "senderStaffId": staff, "senderCorpId": CORP,
            "senderNick": staff, "sessionWebhook": webhook,
            "sessionWebhookExpiredTime": expires_ms, "robotCode": "dingrobot",
            "chatbotCorpId": CORP, "isInAtList": True}
    return _frame(message_id, BOT_TOPIC, data)


def card_frame(message_id: str, change_id: int, staff: str, action: str) -> dict[str, Any]:
    content = {"cardPrivateData": {"actionIds": [action], "params": {}}}
    data = {"corpId": CORP, "userId": staff, "userIdType": 1, "type": "actionCallback",
            "outTrackId": f"govbot-change-{change_id}", "spaceType": "IM_GROUP",
            "spaceId": CONVERSATION, "content": json.dumps(content), "extension": "{}"}
    return _frame(message_id, CARD_TOPIC, data)


def _frame(message_id: str, topic: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"specVersion": "1.0", "type": "CALLBACK",
            "headers": {"messageId": message_id, "topic": topic, "appId": "app-1",
                        "contentType": "application/json", "time": "1764237600000"},
            "data": json.dumps(data)}
