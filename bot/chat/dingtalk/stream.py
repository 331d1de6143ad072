"""DingTalk Stream mode: robot messages and card clicks over an outbound WebSocket.

`StreamRunner` runs the `dingtalk-stream` client in a background thread with its own
asyncio loop. The SDK parses frames, routes them by topic and builds the acks; we own the
connection loop (so `stop` is prompt and reconnects back off) and the connection-open
call (so it goes to `api_url`, like every other OpenAPI call, and tests can point it at a
local server).

A frame is acked first: a handler only records the work, and the work is submitted to a
worker thread after the ack went out on the socket. Blocking calls (the workflow, git,
HTTP) never run on the event loop.

Example:
    runner = StreamRunner("dingxxxx", "secret", "https://api.dingtalk.com",
                          on_message=print, on_card=print, submit=pool.submit)
    runner.start(); ...; runner.stop()
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import json
import logging
import socket
import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote_plus, urlsplit

import websockets
from dingtalk_stream import (
    AckMessage,
    CallbackHandler,
    ChatbotMessage,
    Credential,
    DingTalkStreamClient,
)

from bot.chat.dingtalk.api import DeliveryError, Http

log = logging.getLogger("govbot.dingtalk.stream")
CARD_TOPIC = "/v1.0/card/instances/callback"
MAX_BACKOFF_S = 60.0
Work = Callable[[], None]
Receive = Callable[[Mapping[str, Any], str], None]  # (payload, delivery id)
_AFTER_ACK: contextvars.ContextVar[list[Work]] = contextvars.ContextVar("dingtalk_after_ack")


class _Handler(CallbackHandler):  # type: ignore[misc]
    """Acks at once; the work runs after the ack was sent."""

    def __init__(self, receive: Receive, answer: Any) -> None:
        super().__init__()
        self._receive = receive
        self._answer = answer

    async def process(self, message: Any) -> tuple[int, Any]:
        payload = dict(message.data) if isinstance(message.data, Mapping) else {}
        delivery = str(message.headers.message_id or "")
        _AFTER_ACK.get().append(functools.partial(self._receive, payload, delivery))
        return AckMessage.STATUS_OK, self._answer


class _Client(DingTalkStreamClient):  # type: ignore[misc]
    def __init__(self, client_id: str, client_secret: str, api_url: str, http: Http,
                 submit: Callable[[Work], None]) -> None:
        super().__init__(Credential(client_id, client_secret), logger=log)
        self._open_url = api_url.rstrip("/") + "/v1.0/gateway/connections/open"
        self._api_host = urlsplit(api_url).hostname or "api.dingtalk.com"
        self._http = http
        self._submit = submit
        self._frames: set[asyncio.Task[None]] = set()

    def get_host_ip(self) -> str:
        """The local address that routes to the API host (no packet is sent)."""
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
                probe.connect((self._api_host, 443))
                return str(probe.getsockname()[0])
        except OSError:
            return ""

    def open_connection(self) -> dict[str, Any] | None:
        body = {"clientId": self.credential.client_id,
                "clientSecret": self.credential.client_secret,
                "subscriptions": [{"type": "CALLBACK", "topic": topic}
                                  for topic in self.callback_handler_map],
                "ua": "govbot", "localIp": self.get_host_ip()}
        try:
            answer = self._http.send("POST", self._open_url, body)
        except DeliveryError as error:
            log.warning("opening a dingtalk stream connection: %s", error)
            return None
        if not answer.get("endpoint") or not answer.get("ticket"):
            log.warning("opening a dingtalk stream connection: no endpoint or ticket in answer")
            return None
        return answer

    async def serve(self) -> None:
        self.pre_start()
        delay = 1.0
        while True:
            connection = await asyncio.to_thread(self.open_connection)
            if connection:
                try:
                    await self._listen(connection)
                    delay = 1.0
                except (OSError, websockets.exceptions.WebSocketException) as error:
                    log.warning("dingtalk stream connection lost: %s; reconnecting", error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)

    async def _listen(self, connection: Mapping[str, Any]) -> None:
        uri = f"{connection['endpoint']}?ticket={quote_plus(str(connection['ticket']))}"
        async with websockets.connect(uri) as websocket:
            self.websocket = websocket
            log.info("dingtalk stream connected")
            async for raw in websocket:
                task = asyncio.create_task(self._frame(json.loads(raw)))
                self._frames.add(task)
                task.add_done_callback(self._frames.discard)

    async def _frame(self, frame: dict[str, Any]) -> None:
        after_ack: list[Work] = []
        _AFTER_ACK.set(after_ack)
        try:
            result = await self.route_message(frame)  # sends the ack
        except Exception:
            log.exception("routing a dingtalk stream frame")
            return
        for work in after_ack:
            self._submit(work)
        if result == self.TAG_DISCONNECT:
            await self.websocket.close()


class StreamRunner:
    """The Stream client in its own thread and event loop; `stop` cancels it."""

    def __init__(self, client_id: str, client_secret: str, api_url: str, *,
                 on_message: Receive, on_card: Receive, submit: Callable[[Work], None],
                 http: Http | None = None) -> None:
        self._client = _Client(client_id, client_secret, api_url, http or Http(), submit)
        self._client.register_callback_handler(ChatbotMessage.TOPIC,
                                               _Handler(on_message, "OK"))
        self._client.register_callback_handler(CARD_TOPIC, _Handler(on_card, {}))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="dingtalk-stream", daemon=True)

    def start(self) -> None:
        self._thread.start()
        self._ready.wait()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self._client.serve())
        self._ready.set()
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            log.info("dingtalk stream stopped")
        finally:
            loop.close()

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is None or self._task is None:
            return
        self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(timeout)
