"""The read-only dashboard: a WSGI app `govbot serve` mounts under `/ui/`.

Pages (stable URLs): `/ui/` the namespaces the person may see, `/ui/<env>/<ns>/` a
namespace's services (`?q=` filter, `?page=`), `/ui/<env>/<ns>/<svc>` one service,
`/ui/changes` open changes, `/ui/events` the audit (`/ui/events.csv` to export),
`/ui/login?token=` where a /dashboard link lands, `/ui/dashboard.css` the one stylesheet.
Only GET and HEAD are answered (405 otherwise: nothing here writes). No page with data
is served without a session (bot.web.access); a namespace the person's grants do not
cover is a 404, as if it did not exist, and so is a service with no document and no
change. A filter or page number that is not valid is a 400 saying what was wrong.
Errors are logged with an incident id; the page says only that id.

Example:
    routes["/ui/"] = dashboard_app(app.workflow.context, settings.dashboard)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.chat import WsgiApp
from bot.core.types import Person
from bot.rollout import incident
from bot.runners import Context
from bot.runners.dashboard import may_see, visible
from bot.runners.links import sign, verify
from bot.settings import DashboardSettings
from bot.web import access, pages
from bot.web.csvexport import csv_text, event_filter
from bot.web.http import StartResponse, cookie, html, redirect, respond

HERE = Path(__file__).parent
log = logging.getLogger("govbot.web")
NO_SESSION = ("no session: ask govbot for a link with /dashboard (看板) in chat; it signs "
              "you in for a limited time")


def templates() -> Environment:
    """Jinja2 with autoescaping on for every template: user text is always shown as text."""
    jinja = Environment(loader=FileSystemLoader(HERE / "templates"),
                        autoescape=select_autoescape(default=True, default_for_string=True))
    jinja.globals["events_shown"] = pages.EVENTS_SHOWN
    return jinja


def dashboard_app(ctx: Context, settings: DashboardSettings) -> WsgiApp:
    jinja = templates()
    css = (HERE / "dashboard.css").read_bytes()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD") or "GET")
        head = method == "HEAD"
        if method not in ("GET", "HEAD"):
            return respond(start_response, "405 Method Not Allowed",
                           "text/plain; charset=utf-8", b"the dashboard is read-only",
                           [("Allow", "GET, HEAD")])
        path = str(environ.get("PATH_INFO") or "/ui/")[len("/ui/"):]
        query = parse_qs(str(environ.get("QUERY_STRING") or ""))
        try:
            if path == "dashboard.css":
                return respond(start_response, "200 OK", "text/css; charset=utf-8", css,
                               head=head)
            if path == "login":
                return _login(ctx, settings, environ, query, start_response, jinja)
            person = access.who(ctx, settings, environ)
            if person is None:
                return html(start_response, "403 Forbidden", jinja.get_template(
                    "refused.html").render(message=NO_SESSION), head=head)
            status, text, content_type = _page(ctx, jinja, person, path, query)
        except Exception:
            number = incident()
            log.exception("incident %s serving dashboard page %r", number, path[:200])
            return html(start_response, "500 Internal Server Error", jinja.get_template(
                "refused.html").render(message=f"something went wrong on govbot's side "
                                       f"(incident {number})"), head=head)
        return respond(start_response, status, content_type, text.encode(), head=head)

    return app


def _login(ctx: Context, settings: DashboardSettings, environ: Mapping[str, Any],
           query: Mapping[str, list[str]], start_response: StartResponse,
           jinja: Environment) -> Iterable[bytes]:
    """A /dashboard link: a valid token sets the session cookie and goes to /ui/."""
    token = (query.get("token") or [""])[0]
    now = ctx.clock().timestamp()
    person_id = verify(ctx.links.key, "login", token, now)
    config = ctx.config(ctx.main())
    if person_id is None or config.person_by_id(person_id) is None:
        log.warning("refused a dashboard link: forged, expired or of nobody in access.yaml")
        return html(start_response, "403 Forbidden", jinja.get_template("refused.html").render(
            message="this link is not valid: it expired or was altered; ask govbot for a "
                    "new one with /dashboard"))
    expires = int(token.split(".")[1])
    session = sign(ctx.links.key, "session", person_id, expires)
    return redirect(start_response, "/ui/", [cookie(
        access.COOKIE, session, secure=access.secure(settings, environ),
        max_age=max(1, int(expires - now)))])


def _scoped(ctx: Context, jinja: Environment, person: Person, parts: list[str],
            one: Callable[[str], str]) -> tuple[str, str, str]:
    """A namespace page or a service page the person may see."""
    page_html = "text/html; charset=utf-8"
    refused = jinja.get_template("refused.html")
    env, ns, name = parts
    if name == "":
        text = one("page")
        number = pages.number_of(text) if text else 1
        if number is None:
            return "400 Bad Request", refused.render(
                message=f"page {text!r} is not a valid page number such as 2"), page_html
        listing = pages.namespace(ctx, env, ns, one("q"), number)
        return "200 OK", jinja.get_template("namespace.html").render(
            person=person, page=listing), page_html
    page = pages.service(ctx, env, ns, name)
    if page is None:
        return "404 Not Found", refused.render(
            message=f"{env}/{ns} has no service {name!r}: no policy document on main and no "
                    f"change ever touched it"), page_html
    return "200 OK", jinja.get_template("service.html").render(
        person=person, page=page), page_html


NAME = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")


def _named(parts: list[str]) -> bool:
    """`<env>/<ns>/<svc or nothing>` of DNS-1123 labels: nothing else names a page."""
    return (len(parts) == 3 and all(NAME.fullmatch(p) for p in parts[:2])
            and (parts[2] == "" or NAME.fullmatch(parts[2]) is not None))


def _page(ctx: Context, jinja: Environment, person: Person, path: str,
          query: Mapping[str, list[str]]) -> tuple[str, str, str]:
    """(status, body, content type) of a page for `person`."""
    def one(name: str) -> str:
        return (query.get(name) or [""])[0].strip()

    page_html = "text/html; charset=utf-8"
    parts = path.split("/")
    if path == "":
        scopes = visible(ctx, person)
        return "200 OK", jinja.get_template("index.html").render(
            person=person, scopes=scopes), page_html
    if path == "changes":
        return "200 OK", jinja.get_template("changes.html").render(
            person=person, changes=pages.open_changes(ctx, visible(ctx, person))), page_html
    if path in ("events", "events.csv"):
        wanted, problem = event_filter(one, ctx.clock())
        found, cut = (pages.events(ctx, visible(ctx, person), wanted) if not problem
                      else ([], False))
        status = "400 Bad Request" if problem else "200 OK"
        if path == "events.csv":
            if problem:
                return status, problem + "\n", "text/plain; charset=utf-8"
            return status, csv_text(found), "text/csv; charset=utf-8"
        return status, jinja.get_template("events.html").render(
            person=person, events=found, wanted=wanted, problem=problem, cut=cut,
            form={k: one(k) for k in ("service", "kind", "code", "caller", "since", "until")},
            ), page_html
    if _named(parts) and may_see(ctx, person, parts[0], parts[1]):
        return _scoped(ctx, jinja, person, parts, one)
    return "404 Not Found", jinja.get_template("refused.html").render(
        message="no such page, or not one your grants cover"), page_html
