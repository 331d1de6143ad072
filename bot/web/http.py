"""The dashboard's responses: every one carries the same strict security headers.

`bot.web.app` builds its answers here, so no page can leave out the
Content-Security-Policy (no script runs, styles only from the dashboard's own CSS), the
nosniff and no-referrer headers, or framing protection.

Example:
    return html(start_response, "200 OK", page_text)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = (
    ("Content-Security-Policy", CSP),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("X-Frame-Options", "DENY"),
    ("Cache-Control", "no-store"),
)
StartResponse = Callable[..., Any]


def respond(start_response: StartResponse, status: str, content_type: str, body: bytes,
            extra: Sequence[tuple[str, str]] = (), head: bool = False) -> Iterable[bytes]:
    """One response with the security headers; a HEAD request gets the headers only."""
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body))),
               *SECURITY_HEADERS, *extra]
    start_response(status, headers)
    return [] if head else [body]


def html(start_response: StartResponse, status: str, text: str,
         extra: Sequence[tuple[str, str]] = (), head: bool = False) -> Iterable[bytes]:
    return respond(start_response, status, "text/html; charset=utf-8", text.encode(), extra,
                   head)


def redirect(start_response: StartResponse, location: str,
             extra: Sequence[tuple[str, str]] = ()) -> Iterable[bytes]:
    return respond(start_response, "303 See Other", "text/plain; charset=utf-8",
                   b"see " + location.encode(), [("Location", location), *extra])


def cookie(name: str, value: str, *, secure: bool, max_age: int) -> tuple[str, str]:
    """A session cookie only the dashboard's paths receive and no script can read."""
    flags = f"; Max-Age={max_age}; Path=/ui/; HttpOnly; SameSite=Lax"
    return ("Set-Cookie", f"{name}={value}{flags}{'; Secure' if secure else ''}")
