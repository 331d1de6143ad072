"""The outgoing robot's HTTP callback, mounted by `govbot serve` at `/dingtalk/events`.

DingTalk POSTs the robot message as JSON with headers `timestamp` (ms) and `sign`. The
signature covers no body, so after checking it (and the one-hour window) the app also
checks `robotCode` and claims the `msgId` before doing anything: a captured request
replayed with a forged or repeated body is refused or ignored, and nothing is written.

    wrong or missing sign, stale timestamp → 401     other robot's code → 403
    repeated msgId                         → 200 {} (nothing done)
    fresh message                          → 200 {} at once; the work runs in a thread

Example:
    app = callback_app("appSecret", "dingrobot", store, accept=pool_submit_message)
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.chat import ChatRefs, WsgiApp
from bot.chat.dingtalk.sign import verify_callback

log = logging.getLogger("govbot.dingtalk.callback")
MAX_BODY = 1 << 20


def _answer(start_response: Callable[..., Any], status: str,
            body: Mapping[str, Any]) -> Iterable[bytes]:
    data = json.dumps(body).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def _payload(environ: Mapping[str, Any]) -> dict[str, Any] | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length <= 0 or length > MAX_BODY:
        return None
    try:
        value = json.loads(environ["wsgi.input"].read(length))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def message_key(msg_id: str) -> str:
    """The delivery key both DingTalk paths claim, so a message runs once."""
    return f"dingtalk:msg:{msg_id}"


def callback_app(app_secret: str, robot_code: str, refs: ChatRefs,
                 accept: Callable[[dict[str, Any]], None],
                 clock: Callable[[], float] = time.time) -> WsgiApp:
    """A WSGI app that verifies, dedupes and hands each fresh message to `accept`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"error": "use POST"})
        if not verify_callback(environ.get("HTTP_TIMESTAMP"), environ.get("HTTP_SIGN"),
                               app_secret, round(clock() * 1000)):
            log.warning("dingtalk callback refused: bad or stale signature")
            return _answer(start_response, "401 Unauthorized", {"error": "invalid signature"})
        payload = _payload(environ)
        if payload is None or not payload.get("msgId"):
            return _answer(start_response, "400 Bad Request", {"error": "no message"})
        if robot_code and payload.get("robotCode") != robot_code:
            log.warning("dingtalk callback refused: robotCode %r", payload.get("robotCode"))
            return _answer(start_response, "403 Forbidden", {"error": "unknown robot"})
        if not refs.claim_event(message_key(str(payload["msgId"]))):
            log.info("dingtalk callback: message %s seen before; ignored", payload["msgId"])
            return _answer(start_response, "200 OK", {})
        accept(payload)
        return _answer(start_response, "200 OK", {})

    return app
