"""Slack request signing at the WSGI edge: v0 HMAC-SHA256, five-minute window.

`signed(app, verifier)` checks `X-Slack-Signature` over the raw body before Bolt sees
the request, with slack_sdk's `SignatureVerifier` and an injectable clock (so Slack's
published example vector can be checked at its own time). A request that fails gets 401
and reaches nothing behind it; a signed request that is malformed (shape.py) gets 400
with a few words on what is wrong. Socket Mode needs no signature: the socket is the
proof.

Example:
    route = signed(SlackRequestHandler(bolt_app), verifier("8f74…", clock=time.time))
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

from bot.chat import WsgiApp
from bot.chat.slack.shape import problem

log = logging.getLogger("govbot.slack")
MAX_BODY = 1 << 20  # Slack's payloads are far smaller; refuse to buffer more


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


class _RawVerifier(SignatureVerifier):
    """slack_sdk's verifier, signing the raw bytes: the SDK decodes the body as UTF-8
    first and raises on a body that is not, which would make it a 500."""

    def generate_signature(self, *, timestamp: str, body: str | bytes) -> str | None:
        if timestamp is None:
            return None
        raw = body.encode() if isinstance(body, str) else body or b""
        base = b"v0:" + timestamp.encode() + b":" + raw
        return "v0=" + hmac.new(self.signing_secret.encode(), base, hashlib.sha256).hexdigest()


def verifier(signing_secret: str, clock: Callable[[], float]) -> SignatureVerifier:
    return _RawVerifier(signing_secret, clock=_Clock(clock))


def is_signed(check: SignatureVerifier, body: bytes, timestamp: str | None,
              signature: str | None) -> bool:
    """Whether Slack signed `body`; a malformed timestamp is simply not signed."""
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
        return False
    return check.is_valid(body, timestamp, signature)


def _answer(start_response: Callable[..., Any], status: str,
            error: str) -> Iterable[bytes]:
    data = json.dumps({"error": error}).encode()
    start_response(status, [("Content-Type", "application/json"),
                            ("Content-Length", str(len(data)))])
    return [data]


def signed(app: WsgiApp, check: SignatureVerifier) -> WsgiApp:
    """`app` behind Slack's signature check."""

    def guarded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST":
            return _answer(start_response, "405 Method Not Allowed", "slack posts here")
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            return _answer(start_response, "413 Content Too Large", "body too large")
        body = environ["wsgi.input"].read(length) if length else b""
        if not is_signed(check, body, environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
                         environ.get("HTTP_X_SLACK_SIGNATURE")):
            return _answer(start_response, "401 Unauthorized", "invalid request")
        wrong = problem(body, environ.get("CONTENT_TYPE"))
        if wrong:
            log.info("signed slack request refused: %s", wrong)
            return _answer(start_response, "400 Bad Request", f"malformed request: {wrong}")
        return app({**environ, "wsgi.input": io.BytesIO(body),
                    "CONTENT_LENGTH": str(len(body))}, start_response)

    return guarded
