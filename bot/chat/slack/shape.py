"""The shape of a signed Slack request, checked before Bolt parses it.

A request Slack signed can still be malformed (a broken form encoding, a `payload=` that
is not JSON, a missing field): `problem` says what is wrong in a few words, and the WSGI
edge answers 400 with them, so nothing malformed reaches Bolt or a listener, and no
request ends in a 500 or a traceback. It parses the way Bolt does: JSON when the content
type says so or the body starts with `{`, else a form, with `payload` holding JSON.

    slash command    form: command (/…), user_id, channel_id, team_id
    interaction      form: payload = JSON object with type; block_actions also user.id
                     and actions [{action_id, action_ts}]
    Events API       JSON object with type; event_callback also event_id and event.type;
                     app_mention also event.user, event.channel, event.text

Example:
    problem(b"payload=%7Bnot-json", "application/x-www-form-urlencoded")
    # 'payload is not JSON'
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

MAX_FIELDS = 100
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _text(value: object) -> bool:
    return isinstance(value, str) and value != ""


def problem(body: bytes, content_type: str | None) -> str:
    """What is wrong with a signed Slack request body, or "" when it is usable."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "not UTF-8"
    if not text:
        return "empty body"
    if (content_type or "").split(";")[0].strip() == "application/json" \
            or text.startswith("{"):
        return _event(text)
    return _form(text)


def _json_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, or nested past the parser's stack
        return None
    return value if isinstance(value, dict) else None


def _event(text: str) -> str:
    body = _json_object(text)
    if body is None:
        return "not a JSON object"
    if not _text(body.get("type")):
        return "no type"
    if body["type"] == "url_verification":
        return "" if _text(body.get("challenge")) else "no challenge"
    if body["type"] != "event_callback":
        return ""
    event = body.get("event")
    if not _text(body.get("event_id")) or not isinstance(event, Mapping):
        return "no event"
    if not _text(event.get("type")):
        return "no event type"
    if not isinstance(event.get("text", ""), str):
        return "malformed event text"
    if event["type"] == "app_mention" and not (_text(event.get("user"))
                                                and _text(event.get("channel"))):
        return "incomplete mention"
    return ""


def _form(text: str) -> str:
    if _BAD_ESCAPE.search(text):
        return "bad form encoding"
    try:
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=True,
                          errors="strict", max_num_fields=MAX_FIELDS)
    except ValueError:  # also UnicodeDecodeError of a percent-encoded byte
        return "bad form encoding"
    if any(len(values) != 1 for values in fields.values()):
        return "repeated field"
    form = {key: values[0] for key, values in fields.items()}
    if "payload" in form:
        return _interaction(form["payload"])
    if not form.get("command", "").startswith("/"):
        return "no command"
    missing = [key for key in ("user_id", "channel_id", "team_id") if not form.get(key)]
    return f"no {missing[0]}" if missing else ""


def _interaction(raw: str) -> str:
    payload = _json_object(raw)
    if payload is None:
        return "payload is not JSON"
    if not _text(payload.get("type")):
        return "payload has no type"
    if payload["type"] != "block_actions":
        return ""
    user = payload.get("user")
    if not isinstance(user, Mapping) or not _text(user.get("id")):
        return "no user"
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        return "no actions"
    for action in actions:
        if not isinstance(action, Mapping) or not _text(action.get("action_id")) \
                or not isinstance(action.get("action_ts", ""), str) \
                or not isinstance(action.get("value", ""), str):
            return "malformed action"
    for key in ("container", "channel", "team", "message"):
        if payload.get(key) is not None and not isinstance(payload[key], Mapping):
            return f"malformed {key}"
    container = payload.get("container") or {}
    for key in ("message_ts", "channel_id", "thread_ts"):
        if container.get(key) is not None and not isinstance(container[key], str):
            return f"malformed container.{key}"
    return ""
