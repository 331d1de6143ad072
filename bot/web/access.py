"""Who is looking at the dashboard: a session cookie set from a signed /dashboard link,
or a trusted authenticating proxy's header.

`bot.web.app` asks `who` for every page; None means no page with data is served. A
proxy's header (GOVBOT_DASHBOARD_TRUSTED_HEADER) is believed only from an address in
GOVBOT_DASHBOARD_TRUSTED_PROXIES, and maps to a person by `email` in access.yaml.

Example:
    person = who(ctx, settings, environ)   # Person("alice", …) or None
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Mapping
from http.cookies import CookieError, SimpleCookie
from typing import Any

from bot.config import RepoConfig
from bot.core.types import Person
from bot.runners import Context
from bot.runners.links import verify
from bot.settings import DashboardSettings

COOKIE = "govbot_session"
log = logging.getLogger("govbot.web")


def session_of(environ: Mapping[str, Any]) -> str:
    """The session cookie's value, or ""."""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(str(environ.get("HTTP_COOKIE") or ""))
    except CookieError:
        return ""
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else ""


def trusted(settings: DashboardSettings, environ: Mapping[str, Any]) -> bool:
    """Whether the request came straight from a configured proxy address."""
    if not settings.trusted_header or not settings.trusted_proxies:
        return False
    try:
        address = ipaddress.ip_address(str(environ.get("REMOTE_ADDR") or ""))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False)
               for net in settings.trusted_proxies)


def by_email(config: RepoConfig, email: str) -> Person | None:
    """The person of access.yaml whose `email` is `email` (case-insensitive)."""
    wanted = email.strip().lower()
    people = config.access.get("people")
    for person_id, entry in (people.items() if isinstance(people, Mapping) else ()):
        if isinstance(entry, Mapping) and str(entry.get("email") or "").lower() == wanted:
            return config.person_by_id(str(person_id))
    return None


def who(ctx: Context, settings: DashboardSettings, environ: Mapping[str, Any]) -> Person | None:
    """The person a request speaks for, or None."""
    config = ctx.config(ctx.main())
    if trusted(settings, environ):
        header = "HTTP_" + settings.trusted_header.upper().replace("-", "_")
        email = str(environ.get(header) or "")
        if email:
            found = by_email(config, email)
            if found is None:
                log.warning("the dashboard proxy named %r, whom access.yaml does not know",
                            email[:200])
            return found
    person_id = verify(ctx.links.key, "session", session_of(environ), ctx.clock().timestamp())
    return config.person_by_id(person_id) if person_id else None


def secure(settings: DashboardSettings, environ: Mapping[str, Any]) -> bool:
    """Whether the session cookie must be Secure: HTTPS here or at the public URL."""
    forwarded = str(environ.get("HTTP_X_FORWARDED_PROTO") or "")
    return (environ.get("wsgi.url_scheme") == "https" or forwarded == "https"
            or settings.public_url.startswith("https://"))
