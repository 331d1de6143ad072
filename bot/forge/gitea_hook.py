"""Reading Gitea's webhook deliveries: check the signature, then say what happened.

`GiteaApi.hook` calls `read_hook` with the request's headers (any case), raw body and the
webhook's secret. Gitea signs the raw body with the secret (HMAC-SHA256, hex) in
`X-Gitea-Signature`, and again as `X-Hub-Signature-256: sha256=<hex>`. It names each event
twice: `X-Gitea-Event` is the coarse name (`pull_request`, `issue_comment`,
`pull_request_approved` …), `X-Gitea-Event-Type` the precise one (`pull_request_sync`,
`pull_request_review_approved`, `pull_request_comment` …), which decides when present.
Forgejo, Gitea's fork, sends the same headers named `X-Forgejo-*` as well; either is read.

    pull_request, pull_request_sync                          → "pull"
    pull_request_review_approved | _rejected | _comment      → "review"
    issue_comment | pull_request_comment, created, on a pull → "comment"
    push                                                     → "push"
    labels, assignees, review requests, issues, releases …   → "other"

Example:
    read_hook({"x-gitea-event": "push", "x-gitea-signature": "9f…", …}, body, secret)
    # Hook(delivery="6b0d…", event="push")
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from bot.forge.api import Comment, ForgeError, Hook, HookEvent, Unverified

PRECISE: dict[str, HookEvent] = {
    "pull_request": "pull", "pull_request_sync": "pull",
    "pull_request_review_approved": "review", "pull_request_review_rejected": "review",
    "pull_request_review_comment": "review",
    "issue_comment": "comment", "pull_request_comment": "comment",
    "push": "push",
}
# what X-Gitea-Event alone says, for a sender without X-Gitea-Event-Type
COARSE: dict[str, HookEvent] = {
    "pull_request": "pull", "pull_request_approved": "review",
    "pull_request_rejected": "review", "pull_request_comment": "review",
    "issue_comment": "comment", "push": "push",
}


def read_hook(headers: Mapping[str, str], body: bytes, secret: str) -> Hook:
    """A verified delivery as a Hook; Unverified when it is not signed with `secret`."""
    lower = {name.lower(): value for name, value in headers.items()}
    verify(lower, body, secret)
    delivery = _header(lower, "delivery") or f"sha256:{hashlib.sha256(body).hexdigest()}"
    precise = _header(lower, "event-type")
    event = (PRECISE.get(precise, "other") if precise
             else COARSE.get(_header(lower, "event"), "other"))
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise ForgeError(400, "reading a gitea webhook: the body is not JSON") from error
    if event in ("other", "push"):
        return Hook(delivery, event)
    try:
        if event == "comment":
            return _comment(delivery, payload)
        number = payload.get("number") or payload["pull_request"]["number"]
        return Hook(delivery, event, number=int(number))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ForgeError(400, f"reading a gitea {precise or event} webhook: the payload "
                         f"lacks {error}") from error


def verify(headers: Mapping[str, str], body: bytes, secret: str) -> None:
    """Unverified unless the body's HMAC-SHA256 under `secret` is the one signed;
    `headers` have lower-case names."""
    if not secret:
        raise Unverified("gitea webhook: no secret is set, so no delivery can be verified")
    signed = _header(headers, "signature")
    if not signed:
        hub = headers.get("x-hub-signature-256", "").strip()
        signed = hub.removeprefix("sha256=") if hub.startswith("sha256=") else ""
    if not signed:
        raise Unverified("gitea webhook: the delivery is not signed")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signed.lower().encode(), expected.encode()):
        raise Unverified("gitea webhook: the signature does not match the secret")


def _header(headers: Mapping[str, str], name: str) -> str:
    """`X-Gitea-<name>`, else Forgejo's `X-Forgejo-<name>`; "" when neither is sent."""
    for vendor in ("gitea", "forgejo"):
        value = headers.get(f"x-{vendor}-{name}", "").strip()
        if value:
            return value
    return ""


def _comment(delivery: str, payload: Any) -> Hook:
    """A new comment on a pull request; edits, deletions and issue comments are "other"."""
    issue = payload["issue"]
    on_pull = bool(payload.get("is_pull")) or issue.get("pull_request") is not None
    if not on_pull:
        return Hook(delivery, "other")
    number = int(issue["number"])
    if payload.get("action") != "created":
        return Hook(delivery, "other", number=number)
    data = payload["comment"]
    at = datetime.fromisoformat(str(data["created_at"]))
    comment = Comment(str(data["id"]), str(data["user"]["login"]), str(data.get("body") or ""),
                      at if at.tzinfo is not None else at.replace(tzinfo=UTC))
    return Hook(delivery, "comment", number=number, comment=comment)
