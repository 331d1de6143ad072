"""The webhook deliveries GitHub POSTs, for the fake GitHub: payloads shaped as GitHub
documents them (docs.github.com/webhooks/webhook-events-and-payloads), headers and
signatures as GitHub sends them.

`FakeGitHub.webhook` picks the pull request, review or comment and calls these; a test that
needs a delivery GitHub would not send (a tampered body) re-signs it with `sign`:

    headers, body = fake.webhook("comment", 1, secret="s3cret")
    payload = json.loads(body)
    del payload["issue"]["pull_request"]           # a comment on a plain issue
    body = json.dumps(payload).encode()
    headers.update(sign("s3cret", body))
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from typing import Any

HOOKSHOT = "GitHub-Hookshot/8e03811"
HOOK_ID = "474145826"
EVENTS = {"pull": "pull_request", "review": "pull_request_review", "comment": "issue_comment",
          "push": "push", "ping": "ping"}


def sign(secret: str, body: bytes) -> dict[str, str]:
    """GitHub's signature headers for `body`; none when the webhook has no secret."""
    if not secret:
        return {}
    key = secret.encode()
    return {"X-Hub-Signature": "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest(),
            "X-Hub-Signature-256": "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()}


def delivery(event: str, payload: dict[str, Any], secret: str, delivery_id: str | None = None
             ) -> tuple[dict[str, str], bytes]:
    """The headers and body of one delivery of `event` (GitHub's name, e.g. pull_request)."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json", "User-Agent": HOOKSHOT,
        "X-GitHub-Event": event, "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": HOOK_ID,
        "X-GitHub-Hook-Installation-Target-Type": "repository",
        "X-GitHub-Hook-Installation-Target-ID": "1",
        **sign(secret, body),
    }
    return headers, body


def pull_request(action: str, pull: dict[str, Any], repository: dict[str, Any],
                 before: str | None = None) -> dict[str, Any]:
    """`pull_request`: opened, synchronize (a push to its branch: before/after), closed."""
    payload = {"action": action, "number": pull["number"], "pull_request": pull,
               "repository": repository, "sender": pull["user"]}
    if action == "synchronize":
        payload.update(before=before, after=pull["head"]["sha"])
    return payload


def pull_request_review(review: dict[str, Any], pull: dict[str, Any],
                        repository: dict[str, Any]) -> dict[str, Any]:
    """`pull_request_review`: submitted or dismissed; the state is lower-case here, unlike
    the REST API's."""
    dismissed = review["state"] == "DISMISSED"
    shown = {**review, "state": review["state"].lower()}
    return {"action": "dismissed" if dismissed else "submitted", "review": shown,
            "pull_request": pull, "repository": repository, "sender": review["user"]}


def issue_comment(comment: dict[str, Any], pull: dict[str, Any],
                  repository: dict[str, Any]) -> dict[str, Any]:
    """`issue_comment` created on a pull request: the issue carries `pull_request`."""
    issue = {
        "url": pull["issue_url"], "html_url": pull["html_url"], "id": pull["id"],
        "node_id": f"I_{pull['number']}", "number": pull["number"], "title": pull["title"],
        "user": pull["user"], "state": pull["state"], "locked": False,
        "comments": 1, "created_at": pull["created_at"], "updated_at": comment["updated_at"],
        "closed_at": pull["closed_at"], "body": pull["body"],
        "author_association": "MEMBER",
        "pull_request": {"url": pull["url"], "html_url": pull["html_url"],
                         "diff_url": pull["diff_url"], "patch_url": pull["patch_url"],
                         "merged_at": pull["merged_at"]},
    }
    return {"action": "created", "issue": issue, "comment": comment,
            "repository": repository, "sender": comment["user"]}


def push(ref: str, before: str, after: str, message: str, repository: dict[str, Any],
         pusher: dict[str, Any]) -> dict[str, Any]:
    """`push` of one commit to `ref`."""
    url = f"{repository['html_url']}/commit/{after}"
    commit = {"id": after, "tree_id": "", "distinct": True, "message": message, "url": url,
              "author": {"name": pusher["login"], "username": pusher["login"]},
              "committer": {"name": pusher["login"], "username": pusher["login"]},
              "added": [], "removed": [], "modified": []}
    return {"ref": ref, "before": before, "after": after, "created": False, "deleted": False,
            "forced": False, "base_ref": None,
            "compare": f"{repository['html_url']}/compare/{before[:12]}...{after[:12]}",
            "commits": [commit], "head_commit": commit, "repository": repository,
            "pusher": {"name": pusher["login"], "email": None}, "sender": pusher}


def ping(repository: dict[str, Any], sender: dict[str, Any]) -> dict[str, Any]:
    """`ping`, sent once when the webhook is created."""
    return {"zen": "Keep it logically awesome.", "hook_id": int(HOOK_ID),
            "hook": {"type": "Repository", "id": int(HOOK_ID), "name": "web", "active": True,
                     "events": ["pull_request", "pull_request_review", "issue_comment", "push"],
                     "config": {"content_type": "json", "insecure_ssl": "0",
                                "url": "https://govbot.example/hooks/github"}},
            "repository": repository, "sender": sender}
