"""The webhook deliveries `FakeGitLab.webhook` builds, shaped as GitLab documents them
(user/project/webhook_events.md): a Merge Request Hook (`open`, `update` with `oldrev`,
`merge`, `close`, `approval`, `unapproval`), a Note Hook on a merge request and a Push Hook
to main. Times in hook payloads are `2015-05-17 18:21:36 UTC`, not the API's ISO form.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.support.fake_gitlab import FakeGitLab

APPROVED = "approved this merge request"
UNAPPROVED = "unapproved this merge request"


def payload(fake: FakeGitLab, event: str, number: int | None, comment_id: str | None
            ) -> dict[str, Any]:
    """The JSON body of a delivery: event "pull", "review", "comment" or "push"."""
    if event == "push":
        return _push(fake)
    if number is None:
        raise ValueError(f"a {event} webhook names a merge request")
    mr = fake.mrs[number]
    if event == "comment":
        return _note(fake, mr, comment_id)
    if event == "review":
        acts = [n for n in fake.notes_of(mr) if n["body"] in (APPROVED, UNAPPROVED)]
        last = acts[-1] if acts else None
        action = "unapproval" if last and last["body"] == UNAPPROVED else "approval"
        return _merge_request(fake, mr, action, last["author"] if last else mr["author"])
    if event == "pull":
        action = {"merged": "merge", "closed": "close"}.get(
            mr["state"], "update" if len(mr["versions"]) > 1 else "open")
        return _merge_request(fake, mr, action, mr["author"])
    raise ValueError(f"no {event!r} webhook on GitLab")


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _base(fake: FakeGitLab, actor: str) -> dict[str, Any]:
    project = {**fake.project_json(), "git_http_url": f"{fake.url}/{fake.repo}.git"}
    return {"user": fake.user(actor), "project": project,
            "repository": {"name": project["name"], "url": project["git_http_url"]}}


def _attributes(fake: FakeGitLab, mr: dict[str, Any]) -> dict[str, Any]:
    shown = fake.mr_json(mr)
    kept = ("id", "iid", "title", "description", "state", "source_branch", "target_branch",
            "source_project_id", "target_project_id", "merge_status", "detailed_merge_status")
    return {**{key: shown[key] for key in kept}, "url": shown["web_url"],
            "created_at": stamp(mr["created_at"]), "updated_at": stamp(mr["updated_at"]),
            "last_commit": {"id": mr["head"], "title": "edit",
                            "url": f"{fake.url}/{fake.repo}/-/commit/{mr['head']}"}}


def _merge_request(fake: FakeGitLab, mr: dict[str, Any], action: str, actor: str
                   ) -> dict[str, Any]:
    attributes = {**_attributes(fake, mr), "action": action}
    if action == "update":
        attributes["oldrev"] = mr["versions"][-2]["head_commit_sha"]
    return {**_base(fake, actor), "object_kind": "merge_request",
            "event_type": "merge_request", "object_attributes": attributes, "labels": [],
            "changes": {}}


def _note(fake: FakeGitLab, mr: dict[str, Any], comment_id: str | None) -> dict[str, Any]:
    note = [n for n in fake.notes_of(mr) if not n["system"]
            and (comment_id is None or str(n["id"]) == comment_id)][-1]
    url = f"{fake.url}/{fake.repo}/-/merge_requests/{mr['iid']}#note_{note['id']}"
    return {**_base(fake, note["author"]), "object_kind": "note", "event_type": "note",
            "project_id": fake.project_id,
            "object_attributes": {
                "id": note["id"], "note": note["body"], "noteable_type": "MergeRequest",
                "author_id": fake.user(note["author"])["id"],
                "created_at": stamp(note["created_at"]),
                "updated_at": stamp(note["created_at"]), "project_id": fake.project_id,
                "noteable_id": mr["id"], "system": False, "action": "create", "url": url},
            "merge_request": _attributes(fake, mr)}


def _push(fake: FakeGitLab) -> dict[str, Any]:
    after = fake.head("main") or ""
    base = _base(fake, fake.login)
    return {"object_kind": "push", "event_name": "push", "before": "0" * 40,
            "after": after, "ref": "refs/heads/main", "checkout_sha": after,
            "user_username": fake.login, "project_id": fake.project_id,
            "project": base["project"], "repository": base["repository"], "commits": [],
            "total_commits_count": 0}
