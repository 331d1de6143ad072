"""Slack request signing at the WSGI edge: v0 HMAC-SHA256, five-minute window.

`signed(app, verifier)` checks `X-Slack-Signature` over the raw body before Bolt sees
the request, with slack_sdk's `SignatureVerifier` and an injectable clock (so Slack's
published example vector can be checked at its own time). A request that fails gets 401
and reaches nothing behind it. Socket Mode needs no signature: the socket is the proof.

Example:
    route = signed(SlackRequestHandler(bolt_app), verifier("8f74…", clock=time.time))
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk.signature import Clock, SignatureVerifier

from bot.chat import WsgiApp

MAX_BODY = 1 << 20  # Slack's payloads are far smaller; refuse to buffer more


class _Clock(Clock):
    def __init__(self, now: Callable[[], float]) -> None:
        self._now = now

    def now(self) -> float:
        return self._now()


def verifier(signing_secret: str, clock: Callable[[], float]) -> SignatureVerifier:
    return SignatureVerifier(signing_secret, clock=_Clock(clock))


def is_signed(check: SignatureVerifier, body: bytes, timestamp: str | None,
              signature: str | None) -> bool:
    """Whether Slack signed `body`; a malformed timestamp is simply not signed."""
    if not timestamp or not timestamp.isdigit():
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
        return app({**environ, "wsgi.input": io.BytesIO(body),
                    "CONTENT_LENGTH": str(len(body))}, start_response)

    return guarded
