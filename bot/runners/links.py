"""Signed dashboard links and sessions, and the dashboard's page addresses.

The /dashboard runner (`bot.runners.dashboard`) signs a login link for the person who
asked; the dashboard (`bot.web`) checks it and signs the session cookie it sets. A token
is `<person id, base64url>.<expiry, unix seconds>.<HMAC-SHA256 hex>`, the HMAC over the
purpose (`login` or `session`), the person id and the expiry, so a session cookie is no
login link and neither outlives its expiry.

Example:
    >>> links = Links("https://govbot.example.com", b"k" * 32, 3600)
    >>> token = sign(links.key, "login", "alice", 2_000_000_000)
    >>> verify(links.key, "login", token, 1_900_000_000)
    'alice'
    >>> links.page("changes#7")
    'https://govbot.example.com/ui/changes#7'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

PURPOSES = ("login", "session")


@dataclass(frozen=True)
class Links:
    """Where the dashboard is (`base`, GOVBOT_PUBLIC_URL; empty: not published), the key
    that signs its tokens and how long a link lives."""

    base: str = ""
    key: bytes = b""
    ttl_seconds: float = 12 * 3600

    def page(self, path: str) -> str:
        """The address of a dashboard page, or "" when no public URL is configured."""
        return f"{self.base}/ui/{path}" if self.base else ""

    def service(self, env: str, namespace: str, service: str) -> str:
        return self.page(f"{quote(env)}/{quote(namespace)}/{quote(service)}")

    def change(self, change_id: int) -> str:
        return self.page(f"changes#{change_id}")

    def login(self, person_id: str, now: datetime) -> tuple[str, int]:
        """A login link for `person_id` and its expiry (unix seconds)."""
        expires = int(now.timestamp() + self.ttl_seconds)
        token = sign(self.key, "login", person_id, expires)
        return self.page(f"login?token={token}"), expires


def _encode(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode(text: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def _mac(key: bytes, purpose: str, person: str, expires: int) -> str:
    message = f"{purpose}\n{person}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(key: bytes, purpose: str, person: str, expires: int) -> str:
    """A token for `person` until `expires`; `purpose` is one of PURPOSES."""
    if purpose not in PURPOSES or not key:
        raise ValueError(f"signing a {purpose!r} token needs a key and a purpose in {PURPOSES}")
    return f"{_encode(person)}.{expires}.{_mac(key, purpose, person, expires)}"


def verify(key: bytes, purpose: str, token: str, now: float) -> str | None:
    """The person a token of `purpose` names, or None when it is malformed, forged or
    expired at `now` (unix seconds)."""
    parts = token.split(".")
    if not key or len(parts) != 3 or not parts[1].isdigit():
        return None
    person, expires = _decode(parts[0]), int(parts[1])
    if not person or expires <= now:
        return None
    if not hmac.compare_digest(parts[2], _mac(key, purpose, person, expires)):
        return None
    return person
