"""Reads a GitHub webhook delivery: checks its signature, then says what happened.

`GitHubApi.hook` calls `read_hook` with the request's headers (any case), its raw body and
the webhook secret set on the repository. GitHub signs the raw body with HMAC-SHA256 and
sends `X-Hub-Signature-256: sha256=<hex>`; the delivery's id is `X-GitHub-Delivery` and
the event's name `X-GitHub-Event`:

    pull_request         → Hook(id, "pull", number)       opened, pushed, closed, …
    pull_request_review  → Hook(id, "review", number)
    issue_comment        → Hook(id, "comment", number, Comment)  created, on a pull request
    push                 → Hook(id, "push")
    ping                 → Hook(id, "ping")
    anything else        → Hook(id, "other")

A delivery that is signed right but unreadable is a ForgeError(400), not Unverified: the
sender holds the secret, so the fault is in what it sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

from bot.forge.api import Comment, ForgeError, Hook, Unverified


def read_hook(headers: Mapping[str, str], body: bytes, secret: str) -> Hook:
    """Verify and read one delivery; Unverified when its signature is missing or wrong."""
    lower = {name.lower(): value for name, value in headers.items()}
    verify(lower.get("x-hub-signature-256", ""), body, secret)
    delivery = lower.get("x-github-delivery", "").strip()
    if not delivery:
        raise ForgeError(400, "reading a github webhook: no X-GitHub-Delivery header")
    event = lower.get("x-github-event", "").strip()
    payload = _payload(body, lower.get("content-type", ""), event)
    match event:
        case "ping":
            return Hook(delivery, "ping")
        case "push":
            return Hook(delivery, "push")
        case "pull_request":
            return Hook(delivery, "pull", number=_int(payload, event, "pull_request", "number"))
        case "pull_request_review":
            return Hook(delivery, "review", number=_int(payload, event, "pull_request", "number"))
        case "issue_comment" if (isinstance(payload.get("issue"), dict)
                                 and payload["issue"].get("pull_request")
                                 and payload.get("action") == "created"):
            return Hook(delivery, "comment", number=_int(payload, event, "issue", "number"),
                        comment=_comment(payload, event))
    return Hook(delivery, "other")


def verify(signature: str, body: bytes, secret: str) -> None:
    """Unverified unless `signature` is `sha256=` + HMAC-SHA256(secret, body) in hex."""
    if not secret:
        raise Unverified("github webhook: no secret is set, so no delivery can be verified")
    if not signature:
        raise Unverified("github webhook: the delivery has no X-Hub-Signature-256")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().encode(errors="replace"), expected.encode()):
        raise Unverified("github webhook: X-Hub-Signature-256 does not match the secret")


def _payload(body: bytes, content_type: str, event: str) -> dict[str, Any]:
    """The JSON payload; a webhook set to form encoding sends it as the `payload` field."""
    try:
        text = body.decode()
        if content_type.startswith("application/x-www-form-urlencoded"):
            text = parse_qs(text).get("payload", [""])[0]
        payload = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        raise ForgeError(400, f"reading a github {event or 'webhook'} delivery: the body is "
                         "not JSON") from None
    if not isinstance(payload, dict):
        raise ForgeError(400, f"reading a github {event or 'webhook'} delivery: the body is "
                         "not a JSON object")
    return payload


def _field(payload: dict[str, Any], event: str, *path: str) -> Any:
    value: Any = payload
    for key in path:
        if not isinstance(value, dict) or value.get(key) is None:
            raise ForgeError(400, f"reading a github {event} delivery: no {'.'.join(path)}")
        value = value[key]
    return value


def _int(payload: dict[str, Any], event: str, *path: str) -> int:
    value = _field(payload, event, *path)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ForgeError(400, f"reading a github {event} delivery: {'.'.join(path)} is not "
                         "a number")
    return value


def _comment(payload: dict[str, Any], event: str) -> Comment:
    created = str(_field(payload, event, "comment", "created_at"))
    try:
        at = datetime.fromisoformat(created)
    except ValueError:
        raise ForgeError(400, f"reading a github {event} delivery: comment.created_at "
                         f"{created!r} is not a time") from None
    return Comment(id=str(_field(payload, event, "comment", "id")),
                   login=str(_field(payload, event, "comment", "user", "login")),
                   text=str(payload["comment"].get("body") or ""), at=at)
