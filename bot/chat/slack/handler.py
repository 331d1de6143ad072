"""The WSGI handler of `/slack/events`, behind the signature check (verify.py).

`SlackEdge` answers what govbot takes itself — slash commands and the approval card's
buttons — right here: the body is parsed, the adapter queues the command on its own work
pool and says what to answer ("working on it: …" for a slash command, nothing for a
click), and the request thread answers 200 at once, without going through Bolt's
listener runner (which would hand the listener to its pool and poll for the ack).
Everything else (Events API mentions, URL verification, other interactions) goes to
Bolt, through `BodyHandler`.

Bolt takes any form body that merely contains the word "payload" for an interaction and
looks for a `payload` field in it, so a slash command such as `/route svc-user header
x=payload -> v2` came out empty and was answered 404 — the command lost. Here a form is
an interaction only when it has a `payload` field; everything else is the form itself.

Example:
    edge = SlackEdge(bolt_app, take=chat.take)   # take(body) -> ack text, or None: Bolt
    route = signed(edge, verifier(secret, time.time))
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_bolt.response import BoltResponse

Take = Callable[[dict[str, Any]], "str | None"]


def parse(raw: str, content_type: str | None) -> dict[str, Any]:
    """The body as Slack meant it: JSON, an interaction's `payload`, or a form."""
    if not raw:
        return {}
    if content_type == "application/json" or raw.startswith("{"):
        value = json.loads(raw)
        return value if isinstance(value, dict) else {}
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if "payload" in form:
        value = json.loads(form["payload"])
        return value if isinstance(value, dict) else {}
    return form


class BodyHandler(SlackRequestHandler):
    def __init__(self, app: App) -> None:
        super().__init__(app)

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        bolt = BoltRequest(body=request.get_body(), query=request.query_string,
                           headers=request.get_headers())
        body = parse(bolt.raw_body, bolt.content_type)
        if body != bolt.body:
            bolt.body = body
            bolt.context = build_context(BoltContext({}), body)
        return self.app.dispatch(bolt)


class SlackEdge:
    """`/slack/events` after the signature and shape checks: `take` answers what the
    adapter queues itself; Bolt answers the rest."""

    def __init__(self, bolt: App, take: Take) -> None:
        self._bolt = BodyHandler(bolt)
        self._take = take

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        content_type = str(environ.get("CONTENT_TYPE") or "").split(";")[0] or None
        answer = self._take(parse(raw.decode("utf-8"), content_type))
        if answer is None:
            return self._bolt({**environ, "wsgi.input": io.BytesIO(raw)}, start_response)
        data = answer.encode()
        start_response("200 OK", [("Content-Type", "text/plain;charset=utf-8"),
                                  ("Content-Length", str(len(data)))])
        return [data]
