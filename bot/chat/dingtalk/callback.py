"""The outgoing robot's HTTP callback, mounted by `govbot serve` at `/dingtalk/events`.

DingTalk POSTs the robot message as JSON with headers `timestamp` (ms) and `sign`. The
signature covers the timestamp only, not the body, so one captured (timestamp, sign) pair
would otherwise carry any body for an hour. After checking the signature and the window
the app therefore:

- claims the (timestamp, sign) pair in the store: a pair is good for one request, so a
  captured pair replayed with a new `msgId` and a new body is refused;
- checks the body's shape, the `robotCode` and, when configured, the organisation
  (`senderCorpId`, and `chatbotCorpId` when present, must be the configured corp id);
- claims the `msgId`, so a message runs once across both DingTalk paths.

    wrong or missing sign, stale timestamp, pair used before → 401
    not JSON, or a field missing or of the wrong type         → 400
    other robot's code, other organisation                    → 403
    repeated msgId                                            → 200 {} (nothing done)
    fresh message                                             → 200 {}; work in a thread

Nothing is written for a request refused before its pair is claimed, and nothing but the
claim for one refused after.

Example:
    app = callback_app("appSecret", "dingrobot", store, accept=pool_submit_message,
                       corp_id="ding9f50b15bccd16741")
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from bot.chat import ChatRefs, WsgiApp
from bot.chat.dingtalk.sign import verify_callback

log = logging.getLogger("govbot.dingtalk.callback")
MAX_BODY = 1 << 20
MAX_ID = 128  # characters of msgId, conversationId and the like; DingTalk's are far shorter


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
    except (ValueError, RecursionError):  # not JSON, not UTF-8, or nested past the stack
        return None
    return value if isinstance(value, dict) else None


def _id(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID


def _optional(payload: Mapping[str, Any], key: str, kind: type | tuple[type, ...]) -> bool:
    return payload.get(key) is None or isinstance(payload[key], kind)


def malformed(payload: Mapping[str, Any]) -> str:
    """What is wrong with a robot message's fields, or "" when they can be used."""
    if not _id(payload.get("msgId")):
        return "msgId"
    if not _id(payload.get("conversationId")):
        return "conversationId"
    msgtype = payload.get("msgtype", "text")
    if not isinstance(msgtype, str):
        return "msgtype"
    if msgtype == "text":
        text = payload.get("text")
        if not isinstance(text, Mapping) or not isinstance(text.get("content"), str):
            return "text.content"
    for key in ("senderStaffId", "senderCorpId", "chatbotCorpId", "robotCode",
                "sessionWebhook"):
        if not _optional(payload, key, str):
            return key
    expires = payload.get("sessionWebhookExpiredTime")
    if expires is not None and (isinstance(expires, bool) or not isinstance(expires, int)):
        return "sessionWebhookExpiredTime"
    return ""


def message_key(msg_id: str) -> str:
    """The delivery key both DingTalk paths claim, so a message runs once."""
    return f"dingtalk:msg:{msg_id}"


def pair_key(timestamp: str, sign: str) -> str:
    """The key that claims one (timestamp, sign) pair; the sign is hashed to a fixed size."""
    digest = hashlib.sha256(f"{timestamp}\n{sign}".encode()).hexdigest()[:40]
    return f"dingtalk:sign:{digest}"


def callback_app(app_secret: str, robot_code: str, refs: ChatRefs,
                 accept: Callable[[dict[str, Any]], None],
                 clock: Callable[[], float] = time.time, *, corp_id: str = "") -> WsgiApp:
    """A WSGI app that verifies, dedupes and hands each fresh message to `accept`."""

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", {"error": "use POST"})
        timestamp, sign = environ.get("HTTP_TIMESTAMP"), environ.get("HTTP_SIGN")
        if not verify_callback(timestamp, sign, app_secret, round(clock() * 1000)):
            log.warning("dingtalk callback refused: bad or stale signature")
            return _answer(start_response, "401 Unauthorized", {"error": "invalid signature"})
        assert timestamp is not None and sign is not None  # verified above
        payload = _payload(environ)
        if payload is None:
            return _answer(start_response, "400 Bad Request", {"error": "no JSON object"})
        if not refs.claim_event(pair_key(timestamp, sign)):
            log.warning("dingtalk callback refused: its timestamp and sign were used before "
                        "(a replay)")
            return _answer(start_response, "401 Unauthorized", {"error": "signature used"})
        wrong = malformed(payload)
        if wrong:
            log.info("dingtalk callback refused: field %s missing or malformed", wrong)
            return _answer(start_response, "400 Bad Request", {"error": f"bad {wrong}"})
        if robot_code and payload.get("robotCode") != robot_code:
            log.warning("dingtalk callback refused: robotCode %r",
                        str(payload.get("robotCode"))[:60])
            return _answer(start_response, "403 Forbidden", {"error": "unknown robot"})
        if corp_id and not _same_corp(payload, corp_id):
            log.warning("dingtalk callback refused: corp %r is not the configured one",
                        str(payload.get("senderCorpId"))[:60])
            return _answer(start_response, "403 Forbidden", {"error": "unknown organisation"})
        if not refs.claim_event(message_key(payload["msgId"])):
            log.info("dingtalk callback: message %s seen before; ignored",
                     payload["msgId"])
            return _answer(start_response, "200 OK", {})
        accept(payload)
        return _answer(start_response, "200 OK", {})

    return app


def _same_corp(payload: Mapping[str, Any], corp_id: str) -> bool:
    """The sender is of the configured organisation (and so is the robot, when named)."""
    bot_corp = payload.get("chatbotCorpId")
    return payload.get("senderCorpId") == corp_id and bot_corp in (None, "", corp_id)
