"""DingTalk signatures and message text: pure functions, no I/O.

Two different HMAC-SHA256 schemes share the string `f"{timestamp}\\n{secret}"`:

- the outgoing robot's HTTP callback carries headers `timestamp` (ms) and `sign` =
  base64(HMAC(key=appSecret, msg)), *not* URL-encoded; `verify_callback` checks it and a
  one-hour window;
- the custom group robot is called with `&timestamp=…&sign=…` where `sign` is the same
  base64 value *URL-encoded* (`quote_plus`); `signed_url` appends it.

Example:
    callback_sign("1577262236757", "this is a secret")
    # 'DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA='
    strip_mention("@govbot  /canary svc-user 20%")   # '/canary svc-user 20%'
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from urllib.parse import quote_plus

HOUR_MS = 3600 * 1000
_MENTION = re.compile(r"^\s*@\S+")


def _digest(timestamp: str, secret: str) -> str:
    message = f"{timestamp}\n{secret}".encode()
    mac = hmac.new(secret.encode(), message, hashlib.sha256).digest()
    return base64.b64encode(mac).decode()


def callback_sign(timestamp: str, app_secret: str) -> str:
    """The `sign` header DingTalk puts on an outgoing-robot callback."""
    return _digest(timestamp, app_secret)


def verify_callback(timestamp: str | None, sign: str | None, app_secret: str,
                    now_ms: int, window_ms: int = HOUR_MS) -> bool:
    """Whether a callback's `timestamp`/`sign` headers are genuine and fresh.

    The signature covers no body, so a caller must still dedupe by `msgId`.
    """
    if not timestamp or not sign or not app_secret or not _ascii_digits(timestamp):
        return False
    if abs(now_ms - int(timestamp)) > window_ms:
        return False
    return hmac.compare_digest(callback_sign(timestamp, app_secret), sign)


def _ascii_digits(text: str) -> bool:
    """0-9 only: `str.isdigit` also takes other scripts' digits (`١٢`) and `²`."""
    return text.isascii() and text.isdigit()


def robot_sign(timestamp_ms: int, secret: str) -> str:
    """The URL-encoded `sign` query value of a custom-robot webhook call."""
    return quote_plus(_digest(str(timestamp_ms), secret))


def signed_url(webhook: str, secret: str, now_ms: int) -> str:
    """`webhook` with `timestamp` and `sign` appended; unchanged when there is no secret."""
    if not secret:
        return webhook
    joiner = "&" if "?" in webhook else "?"
    return f"{webhook}{joiner}timestamp={now_ms}&sign={robot_sign(now_ms, secret)}"


def strip_mention(text: str) -> str:
    """Drop a leading `@<name>` and the whitespace DingTalk leaves around it."""
    return _MENTION.sub("", text, count=1).strip()
