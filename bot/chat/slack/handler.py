"""The WSGI handler of `/slack/events`: Bolt's, with the request body parsed by us.

Bolt takes any form body that merely contains the word "payload" for an interaction and
looks for a `payload` field in it, so a slash command such as `/route svc-user header
x=payload -> v2` came out empty and was answered 404 — the command lost. Here a form is
an interaction only when it has a `payload` field; everything else is the form itself.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltContext
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context
from slack_bolt.response import BoltResponse


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
