"""A local HTTP server that answers like Gitea's REST API (/api/v1), for one repository.

`FakeGitea` offers tests the `FakeForge` interface of `tests.support.forges`. The repository
`owner/name` is backed by a real bare git repository (`git_dir`): branch heads are read with
`git rev-parse`, a person's push writes a real commit with git plumbing, and a merge writes
a real `--no-ff` merge commit (`merge-tree --write-tree`, `commit-tree`, then `update-ref`
from the old main, so a main that moved meanwhile loses the race). Pull requests, reviews,
statuses and comments live in memory behind a lock.

Routes, as Gitea's API documents them (swagger at /api/swagger):
    GET    /api/v1/repos/{owner}/{repo}
    GET    /api/v1/repos/{owner}/{repo}/pulls?state=open|closed|all&base_branch=&page=&limit=
    POST   /api/v1/repos/{owner}/{repo}/pulls                    head, base, title, body
    GET    /api/v1/repos/{owner}/{repo}/pulls/{index}
    PATCH  /api/v1/repos/{owner}/{repo}/pulls/{index}            title, body, state (201)
    POST   /api/v1/repos/{owner}/{repo}/pulls/{index}/merge      Do, MergeTitleField,
                                MergeMessageField, head_commit_id (snake_case also read)
    GET    /api/v1/repos/{owner}/{repo}/pulls/{index}/reviews
    POST   /api/v1/repos/{owner}/{repo}/statuses/{sha}           state, context, description,
                                                                 target_url
    GET    /api/v1/repos/{owner}/{repo}/statuses/{sha}
    GET    /api/v1/repos/{owner}/{repo}/issues/{index}/comments  (all at once, as Gitea does)
    POST   /api/v1/repos/{owner}/{repo}/issues/{index}/comments  body

Every request needs `Authorization: token <t>` (or `Bearer`) with the configured token,
else 401; each is recorded in `requests`. Lists answer `page`/`limit` (default 30, at most
50, as Gitea's defaults) with `X-Total-Count` and a `Link` header. Merges answer as Gitea
does: 404 when the pull is closed, 405 when merged, blocked (`blocked`, a reason) or not
mergeable (conflicts: "Please try again later"), 409 "head out of date" when
`head_commit_id` is not the head.

Example:
    fake = FakeGitea(bare)
    with fake.serve() as url:                 # http://127.0.0.1:<port>/api/v1
        number = fake.open_pull("alice", "change/1-svc-user", "canary 20")
        fake.review(number, "bob", "approved")
        fake.fail("merge", 503, times=2)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.support.bare_repo import BareRepo, GitError

DEFAULT_LIMIT, MAX_LIMIT = 30, 50
REVIEW_STATES = {"approved": "APPROVED", "changes_requested": "REQUEST_CHANGES",
                 "commented": "COMMENT"}
REVIEW_EVENTS = {"APPROVED": ("pull_request_approved", "pull_request_review_approved"),
                 "REQUEST_CHANGES": ("pull_request_rejected", "pull_request_review_rejected"),
                 "COMMENT": ("pull_request_comment", "pull_request_review_comment")}
STATUS_STATES = ("pending", "success", "error", "failure", "warning")
SERVER_ZONE = timezone(timedelta(hours=8))
MERGE_STYLES = ("merge", "rebase", "rebase-merge", "squash", "fast-forward-only",
                "manually-merged")


@dataclass
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    html: bool = False    # a reverse proxy's error page instead of JSON


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    operation: str


def _now() -> str:
    """Gitea writes times in its server's zone, with the offset (RFC 3339)."""
    return datetime.now(SERVER_ZONE).isoformat(timespec="seconds")


class FakeGitea:
    """Gitea's REST API for one repository backed by the bare git repository `git_dir`."""

    kind = "gitea"

    def __init__(self, git_dir: Path | str, repo: str = "owner/name",
                 token: str = "gitea-test-token", login: str = "govbot") -> None:
        self.git_dir = Path(git_dir)
        self.git = BareRepo(self.git_dir)
        self.repo = repo
        self.owner, self.name = repo.split("/")
        self.token = token
        self.login = login
        self.url = ""            # the API base: http://127.0.0.1:<port>/api/v1
        self.web = ""            # the instance: http://127.0.0.1:<port>
        self.blocked: str | None = None   # a branch protection's reason: merges answer 405
        self.max_limit = MAX_LIMIT        # an admin may set MAX_RESPONSE_ITEMS lower
        self.send_total = True            # a proxy may strip X-Total-Count
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.pulls: dict[int, dict[str, Any]] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.statuses: dict[str, list[dict[str, Any]]] = {}
        self._failures: dict[str, list[Answer]] = {}
        self._answered: Counter[str] = Counter()
        self._ids = 100

    # -- server --------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 and a free port; yields the API base URL (…/api/v1)."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self.web = f"http://127.0.0.1:{server.server_port}"
        self.url = f"{self.web}/api/v1"
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # -- people acting on the forge ------------------------------------------------------

    def open_pull(self, author: str, branch: str, title: str, body: str = "",
                  base: str = "main") -> int:
        with self.lock:
            answer = self._create_pull(author, {"head": branch, "base": base,
                                                "title": title, "body": body})
            if answer.status != 201:
                raise ValueError(f"opening a pull from {branch}: {answer.body}")
            return int(answer.body["number"])

    def push(self, branch: str, files: dict[str, str | None], author: str,
             message: str = "edit") -> str:
        with self.lock:
            return self.git.commit_files(branch, files, author, message)

    def review(self, number: int, login: str, state: str, commit: str | None = None) -> None:
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {sorted(REVIEW_STATES)}")
        with self.lock:
            pull = self.pulls[number]
            review_id = self._next_id()
            now = _now()
            self.reviews[number].append({
                "id": review_id, "user": self._user(login), "team": None,
                "state": REVIEW_STATES[state], "body": "", "commit_id": commit or
                self._head(pull), "stale": False, "official": True, "dismissed": False,
                "comments_count": 0, "submitted_at": now, "updated_at": now,
                "html_url": f"{pull['html_url']}#issuecomment-{review_id}",
                "pull_request_url": pull["html_url"]})

    def request_review(self, number: int, login: str) -> None:
        """A review is requested from `login`: Gitea lists it as a REQUEST_REVIEW review."""
        with self.lock:
            pull = self.pulls[number]
            self.reviews[number].append({
                "id": self._next_id(), "user": self._user(login), "team": None,
                "state": "REQUEST_REVIEW", "body": "", "commit_id": self._head(pull),
                "stale": False, "official": False, "dismissed": False, "comments_count": 0,
                "submitted_at": "0001-01-01T00:00:00Z", "updated_at": _now(),
                "html_url": pull["html_url"], "pull_request_url": pull["html_url"]})

    def dismiss(self, number: int, login: str) -> None:
        """Gitea keeps a dismissed review's state and marks it `dismissed: true`."""
        with self.lock:
            mine = [r for r in self.reviews[number] if r["user"]["login"] == login
                    and r["state"] in REVIEW_EVENTS]
            if not mine:
                raise ValueError(f"{login} has not reviewed pull {number}")
            mine[-1]["dismissed"] = True
            mine[-1]["updated_at"] = _now()

    def add_comment(self, number: int, login: str, text: str) -> str:
        with self.lock:
            return str(self._add_comment(number, login, text)["id"])

    def fail(self, operation: str, status: int, times: int = 1,
             retry_after: float | None = None) -> None:
        """Answer the next `times` calls of `operation` with Gitea's error for `status`."""
        with self.lock:
            answer = _failure(operation, status, retry_after, self.web)
            self._failures.setdefault(operation, []).extend([answer] * times)

    def webhook(self, event: str, number: int | None = None, *, secret: str,
                comment_id: str | None = None, delivery: str | None = None
                ) -> tuple[dict[str, str], bytes]:
        with self.lock:
            coarse, precise, payload = self._payload(event, number, comment_id)
        body = json.dumps(payload, indent=2).encode()
        sha256 = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest() if secret else ""
        sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest() if secret else ""
        delivery = delivery or str(uuid.uuid4())
        headers = {"Content-Type": "application/json", "User-Agent": "Go-http-client/1.1"}
        for prefix in ("X-Gitea", "X-Gogs", "X-GitHub"):
            headers.update({f"{prefix}-Delivery": delivery, f"{prefix}-Event": coarse,
                            f"{prefix}-Event-Type": precise})
        headers.update({"X-Gitea-Signature": sha256, "X-Gogs-Signature": sha256,
                        "X-Hub-Signature": f"sha1={sha1}",
                        "X-Hub-Signature-256": f"sha256={sha256}"})
        return headers, body

    # -- what tests check ----------------------------------------------------------------

    def pull(self, number: int) -> dict[str, Any]:
        with self.lock:
            data = self.pulls[number]
            state = "merged" if data["merged"] else data["state"]
            return {"number": number, "state": state, "title": data["title"],
                    "body": data["body"], "branch": data["head"]["ref"],
                    "head": self._head(data), "author": data["user"]["login"],
                    "merge_commit": data["merge_commit_sha"]}

    def pull_for(self, branch: str) -> dict[str, Any] | None:
        with self.lock:
            numbers = [n for n, p in self.pulls.items() if p["head"]["ref"] == branch]
            return self.pull(max(numbers)) if numbers else None

    def statuses_of(self, sha: str) -> list[dict[str, str]]:
        with self.lock:
            return [{"context": s["context"], "state": s["status"],
                     "description": s["description"]} for s in self.statuses.get(sha, [])]

    def comments_of(self, number: int) -> list[str]:
        with self.lock:
            return [str(c["body"]) for c in self.comments.get(number, [])]

    def count(self, operation: str) -> int:
        with self.lock:
            return self._answered[operation]

    def calls(self, operation: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.operation == operation]

    # -- JSON shapes ---------------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _user(self, login: str) -> dict[str, Any]:
        digest = hashlib.sha256(login.encode()).hexdigest()[:32]
        return {"id": int(digest[:6], 16), "login": login, "login_name": "",
                "source_id": 0, "full_name": "", "email": f"{login}@noreply.localhost",
                "avatar_url": f"{self.web}/avatars/{digest}", "html_url": f"{self.web}/{login}",
                "language": "", "is_admin": False, "restricted": False, "active": True,
                "prohibit_login": False, "visibility": "public", "username": login}

    def _repository(self) -> dict[str, Any]:
        html = f"{self.web}/{self.owner}/{self.name}"
        return {"id": 1, "owner": self._user(self.owner), "name": self.name,
                "full_name": self.repo, "private": True, "fork": False, "html_url": html,
                "clone_url": f"{html}.git", "default_branch": "main", "archived": False,
                "has_pull_requests": True, "allow_merge_commits": True,
                "allow_rebase": False, "allow_squash_merge": False,
                "default_merge_style": "merge", "default_delete_branch_after_merge": False,
                "permissions": {"admin": False, "push": True, "pull": True}}

    def _head(self, pull: dict[str, Any]) -> str:
        """An open pull follows its branch; a closed one keeps the head it had."""
        if pull["state"] == "open":
            current = self.git.head(pull["head"]["ref"])
            if current is not None:
                pull["head"]["sha"] = current
        return str(pull["head"]["sha"])

    def _pull_json(self, pull: dict[str, Any]) -> dict[str, Any]:
        self._head(pull)
        if pull["state"] == "open":
            pull["base"]["sha"] = self.git.head(pull["base"]["ref"]) or pull["base"]["sha"]
            pull["mergeable"] = self.git.merge_tree(pull["base"]["sha"],
                                                    pull["head"]["sha"]) is not None
        shown: dict[str, Any] = json.loads(json.dumps(pull))
        shown["comments"] = len(self.comments.get(pull["number"], []))
        return shown

    def _issue_json(self, pull: dict[str, Any]) -> dict[str, Any]:
        number = pull["number"]
        return {"id": pull["id"], "url": f"{self.url}/repos/{self.repo}/issues/{number}",
                "html_url": pull["html_url"], "number": number, "user": pull["user"],
                "original_author": "", "original_author_id": 0, "title": pull["title"],
                "body": pull["body"], "ref": "", "labels": [], "milestone": None,
                "assignee": None, "assignees": None, "state": pull["state"],
                "is_locked": False, "comments": len(self.comments[number]),
                "created_at": pull["created_at"], "updated_at": pull["updated_at"],
                "closed_at": pull["closed_at"], "due_date": None,
                "pull_request": {"merged": pull["merged"], "merged_at": pull["merged_at"],
                                 "draft": False, "html_url": pull["html_url"]},
                "repository": {"id": 1, "name": self.name, "owner": self.owner,
                               "full_name": self.repo}}

    def _payload(self, event: str, number: int | None,
                 comment_id: str | None) -> tuple[str, str, dict[str, Any]]:
        """(X-Gitea-Event, X-Gitea-Event-Type, payload) as Gitea's webhook notifier sends."""
        if event == "push":
            return "push", "push", self._push_payload()
        if number is None:
            raise ValueError(f"a {event} webhook needs the pull's number")
        pull = self.pulls[number]
        base = {"repository": self._repository()}
        if event == "pull":
            synced = self._head(pull) != pull["_opened_head"]
            return ("pull_request", "pull_request_sync" if synced else "pull_request", {
                "action": "synchronized" if synced else "opened", "number": number,
                "pull_request": self._pull_json(pull), "requested_reviewer": None,
                "sender": pull["user"], "commit_id": "", "review": None, **base})
        if event == "review":
            submitted = [r for r in self.reviews[number] if r["state"] in REVIEW_EVENTS]
            if not submitted:
                raise ValueError(f"pull {number} has no review to announce")
            latest = submitted[-1]
            coarse, precise = REVIEW_EVENTS[latest["state"]]
            return coarse, precise, {
                "action": "reviewed", "number": number, "pull_request": self._pull_json(pull),
                "requested_reviewer": None, "sender": latest["user"], "commit_id": "",
                "review": {"type": precise, "content": latest["body"]}, **base}
        if event == "comment":
            comments = self.comments[number]
            chosen = [c for c in comments if comment_id is None or str(c["id"]) == comment_id]
            if not chosen:
                raise ValueError(f"pull {number} has no comment {comment_id}")
            comment = chosen[-1]
            return "issue_comment", "pull_request_comment", {
                "action": "created", "issue": self._issue_json(pull), "comment": comment,
                "sender": comment["user"], "is_pull": True, **base}
        raise ValueError(f"unknown webhook event {event!r}")

    def _push_payload(self) -> dict[str, Any]:
        after = self.git.head("main") or ""
        before = self.git.parent(after) or "0" * 40
        html = f"{self.web}/{self.repo}"
        commit = self.git.describe(after)
        commit.update(url=f"{html}/commit/{after}", added=[], removed=[], modified=[],
                      verification=None)
        return {"ref": "refs/heads/main", "before": before, "after": after,
                "compare_url": f"{html}/compare/{before}...{after}", "commits": [commit],
                "total_commits": 1, "head_commit": commit, "repository": self._repository(),
                "pusher": self._user(self.login), "sender": self._user(self.login)}

    # -- routes --------------------------------------------------------------------------

    def _add_comment(self, number: int, login: str, text: str) -> dict[str, Any]:
        pull = self.pulls[number]
        comment_id = self._next_id()
        now = _now()
        comment = {"id": comment_id,
                   "html_url": f"{pull['html_url']}#issuecomment-{comment_id}",
                   "pull_request_url": pull["html_url"], "issue_url": "",
                   "user": self._user(login), "original_author": "",
                   "original_author_id": 0, "body": text, "assets": [],
                   "created_at": now, "updated_at": now}
        self.comments[number].append(comment)
        return comment

    def _create_pull(self, author: str, body: Any) -> Answer:
        if not isinstance(body, dict) or not body.get("title"):
            return _error(422, "[Title]: Required", self.web)
        branch, base = str(body.get("head") or ""), str(body.get("base") or "")
        if branch == base:
            return _error(422, "Invalid PullRequest: There are no changes between the head "
                          "and the base", self.web)
        head_sha, base_sha = self.git.head(branch), self.git.head(base)
        if head_sha is None or base_sha is None:
            return _not_found(self.web)
        for other in self.pulls.values():
            if other["head"]["ref"] == branch and other["base"]["ref"] == base \
                    and other["state"] == "open":
                return _error(409, f"pull request already exists for these targets [id: "
                              f"{other['id']}, issue_id: {other['number']}, head_repo_id: 1, "
                              f"base_repo_id: 1, head_branch: {branch}, base_branch: "
                              f"{base}]", self.web)
        number = max([0, *self.pulls]) + 1
        now = _now()
        html = f"{self.web}/{self.repo}/pulls/{number}"
        repo = self._repository()
        pull: dict[str, Any] = {
            "id": self._next_id(), "url": html, "number": number, "user": self._user(author),
            "title": body["title"], "body": body.get("body") or "", "labels": [],
            "milestone": None, "assignee": None, "assignees": None,
            "requested_reviewers": None, "state": "open", "draft": False,
            "is_locked": False, "comments": 0, "html_url": html, "diff_url": f"{html}.diff",
            "patch_url": f"{html}.patch", "mergeable": True, "merged": False,
            "merged_at": None, "merge_commit_sha": None, "merged_by": None,
            "allow_maintainer_edit": False,
            "base": {"label": base, "ref": base, "sha": base_sha, "repo_id": 1, "repo": repo},
            "head": {"label": branch, "ref": branch, "sha": head_sha, "repo_id": 1,
                     "repo": repo},
            "merge_base": base_sha, "due_date": None, "created_at": now, "updated_at": now,
            "closed_at": None, "pin_order": 0}
        self.pulls[number] = pull
        self.reviews[number], self.comments[number] = [], []
        shown = self._pull_json(pull)
        pull["_opened_head"] = head_sha
        return Answer(201, shown)

    def route_repo(self, query: dict[str, list[str]], body: Any) -> Answer:
        return Answer(200, self._repository())

    def route_list_pulls(self, query: dict[str, list[str]], body: Any) -> Answer:
        state = _one(query, "state", "open")
        base = _one(query, "base_branch", "")
        found = [self._pull_json(p) for _, p in sorted(self.pulls.items(), reverse=True)
                 if state in ("all", p["state"]) and base in ("", p["base"]["ref"])]
        return Answer(200, [_public(p) for p in found])

    def route_create_pull(self, query: dict[str, list[str]], body: Any) -> Answer:
        answer = self._create_pull(self.login, body)
        if answer.status == 201:
            answer.body = _public(answer.body)
        return answer

    def route_get_pull(self, query: dict[str, list[str]], body: Any, index: str) -> Answer:
        pull = self.pulls.get(int(index))
        return Answer(200, _public(self._pull_json(pull))) if pull else _not_found(self.web)

    def route_edit_pull(self, query: dict[str, list[str]], body: Any, index: str) -> Answer:
        pull = self.pulls.get(int(index))
        if pull is None:
            return _not_found(self.web)
        body = body if isinstance(body, dict) else {}
        if "state" in body:
            if body["state"] not in ("open", "closed"):
                return _error(412, f"unknown state: {body['state']}", self.web)
            if pull["merged"]:
                return _error(412, "cannot change state of this pull request, it was "
                              "already merged", self.web)
        self._head(pull)
        if body.get("title"):
            pull["title"] = body["title"]
        if body.get("body") is not None:
            pull["body"] = body["body"]
        if body.get("state") and body["state"] != pull["state"]:
            pull["state"] = body["state"]
            pull["closed_at"] = _now() if body["state"] == "closed" else None
        pull["updated_at"] = _now()
        return Answer(201, _public(self._pull_json(pull)))

    def route_merge(self, query: dict[str, list[str]], body: Any, index: str) -> Answer:
        pull = self.pulls.get(int(index))
        if pull is None:
            return _not_found(self.web)
        form = _merge_form(body if isinstance(body, dict) else {})
        if form["do"] not in MERGE_STYLES:
            return _error(422, "[Do]: In", self.web)
        if pull["merged"]:
            return _error(405, "", self.web)
        if pull["state"] != "open":
            return _not_found(self.web)
        if self.blocked:
            return _error(405, self.blocked, self.web)
        if form["do"] != "merge":
            return _error(405, f"{form['do']} is not allowed an allowed merge style for this "
                          "repository", self.web)
        head, main = self._head(pull), self.git.head(pull["base"]["ref"])
        tree = self.git.merge_tree(main, head) if main else None
        if main is None or tree is None:
            pull["mergeable"] = False
            return _error(405, "Please try again later", self.web)
        if form["head_commit_id"] and form["head_commit_id"] != head:
            return _error(409, "head out of date", self.web)
        title = form["title"].strip() or (f"Merge pull request '{pull['title']}' (#{index}) "
                                          f"from {pull['head']['ref']} into main")
        message = title + (f"\n\n{form['message'].strip()}" if form["message"].strip() else "")
        try:
            merged = self.git.merge_commit(tree, main, head, message, self.login)
            self.git.set_ref(pull["base"]["ref"], merged, main)
        except GitError:
            return _error(409, "merge push out of date", self.web)
        now = _now()
        pull.update(state="closed", merged=True, merged_at=now, closed_at=now, updated_at=now,
                    merge_commit_sha=merged, merged_by=self._user(self.login), mergeable=False)
        return Answer(200)

    def route_reviews(self, query: dict[str, list[str]], body: Any, index: str) -> Answer:
        if int(index) not in self.pulls:
            return _not_found(self.web)
        return Answer(200, [dict(r) for r in self.reviews[int(index)]])

    def route_create_status(self, query: dict[str, list[str]], body: Any, sha: str) -> Answer:
        if not isinstance(body, dict) or body.get("state") not in STATUS_STATES:
            return _error(422, "[State]: In", self.web)
        full = self.git.commit(sha)
        if full is None:
            return _error(404, f"object does not exist [id: {sha}, rel_path: ]", self.web)
        status_id, now = self._next_id(), _now()
        status = {"id": status_id, "status": body["state"], "target_url": body.get("target_url")
                  or "", "description": body.get("description") or "",
                  "url": f"{self.url}/repos/{self.repo}/statuses/{full}",
                  "context": body.get("context") or "default",
                  "creator": self._user(self.login), "created_at": now, "updated_at": now}
        self.statuses.setdefault(full, []).append(status)
        return Answer(201, dict(status))

    def route_list_statuses(self, query: dict[str, list[str]], body: Any, sha: str) -> Answer:
        full = self.git.commit(sha)
        return Answer(200, list(reversed(self.statuses.get(full or sha, []))))

    def route_comments(self, query: dict[str, list[str]], body: Any, index: str) -> Answer:
        if int(index) not in self.comments:
            return _not_found(self.web)
        listed = [dict(c) for c in self.comments[int(index)]]
        return Answer(200, listed, {"X-Total-Count": str(len(listed))})

    def route_comment(self, query: dict[str, list[str]], body: Any, index: str) -> Answer:
        if int(index) not in self.comments:
            return _not_found(self.web)
        if not isinstance(body, dict) or not str(body.get("body") or "").strip():
            return _error(422, "[Body]: Required", self.web)
        return Answer(201, dict(self._add_comment(int(index), self.login, body["body"])))

    def take_failure(self, operation: str) -> Answer | None:
        queued = self._failures.get(operation)
        return queued.pop(0) if queued else None

    def answered(self, operation: str) -> None:
        self._answered[operation] += 1


def _public(pull: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in pull.items() if not k.startswith("_")}


def _merge_form(body: dict[str, Any]) -> dict[str, str]:
    """Gitea reads both spellings: `do` or `Do`, `merge_title_field` or `MergeTitleField`."""
    def either(new: str, old: str) -> str:
        return str(body.get(new) or body.get(old) or "")
    return {"do": either("do", "Do"), "title": either("merge_title_field", "MergeTitleField"),
            "message": either("merge_message_field", "MergeMessageField"),
            "head_commit_id": str(body.get("head_commit_id") or "")}


def _error(status: int, message: str, web: str, **extra: Any) -> Answer:
    return Answer(status, {"message": message, "url": f"{web}/api/swagger", **extra})


def _not_found(web: str) -> Answer:
    return _error(404, "The target couldn't be found.", web, errors=[])


FAILURES = {
    401: "token is required",
    403: "token does not have at least one of required scope(s): [write:repository]",
    405: "Please try again later",
    409: "head out of date",
    412: "cannot change state of this pull request, it was already merged",
    422: "[Title]: Required",
    429: "too many requests",
    500: "internal server error",
}


def _failure(operation: str, status: int, retry_after: float | None, web: str) -> Answer:
    """Gitea's error answer for `status`; 502-504 come from the reverse proxy as HTML."""
    headers = {} if retry_after is None else {"Retry-After": f"{retry_after:g}"}
    if status in (502, 503, 504):
        phrase = HTTPStatus(status).phrase
        page = (f"<html>\r\n<head><title>{status} {phrase}</title></head>\r\n<body>\r\n"
                f"<center><h1>{status} {phrase}</h1></center>\r\n<hr><center>nginx</center>"
                "\r\n</body>\r\n</html>\r\n")
        return Answer(status, page, headers, html=True)
    if status == 404:
        answer = _not_found(web)
        answer.headers.update(headers)
        return answer
    if status == 403 and retry_after is not None:
        message = "rate limit exceeded"
    elif status == 409 and operation == "create_pull":
        message = "pull request already exists for these targets"
    else:
        message = FAILURES.get(status, HTTPStatus(status).phrase)
    answer = _error(status, message, web)
    answer.headers.update(headers)
    return answer


def _one(query: dict[str, list[str]], key: str, default: str) -> str:
    return query.get(key, [default])[0]


Route = tuple[str, str, "re.Pattern[str]", Callable[..., Answer]]


def _routes(fake: FakeGitea) -> list[Route]:
    """(method, operation, path pattern, action); PATCH of a pull is close_pull when it
    sets a state."""
    prefix = re.escape(f"/api/v1/repos/{fake.owner}/{fake.name}")
    table: list[tuple[str, str, str, Callable[..., Answer]]] = [
        ("GET", "repo", "", fake.route_repo),
        ("GET", "list_pulls", "/pulls", fake.route_list_pulls),
        ("POST", "create_pull", "/pulls", fake.route_create_pull),
        ("GET", "get_pull", r"/pulls/(?P<index>\d+)", fake.route_get_pull),
        ("PATCH", "edit_pull", r"/pulls/(?P<index>\d+)", fake.route_edit_pull),
        ("POST", "merge", r"/pulls/(?P<index>\d+)/merge", fake.route_merge),
        ("GET", "reviews", r"/pulls/(?P<index>\d+)/reviews", fake.route_reviews),
        ("POST", "status", r"/statuses/(?P<sha>[0-9a-fA-F]+)", fake.route_create_status),
        ("GET", "statuses", r"/statuses/(?P<sha>[0-9a-fA-F]+)", fake.route_list_statuses),
        ("GET", "comments", r"/issues/(?P<index>\d+)/comments", fake.route_comments),
        ("POST", "comment", r"/issues/(?P<index>\d+)/comments", fake.route_comment),
    ]
    return [(method, operation, re.compile(prefix + tail + "$"), action)
            for method, operation, tail, action in table]


def _handler(fake: FakeGitea) -> type[BaseHTTPRequestHandler]:
    routes = _routes(fake)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, answer: Answer, extra: dict[str, str]) -> None:
            if answer.html:
                data, kind = str(answer.body).encode(), "text/html"
            elif answer.body is None:
                data, kind = b"", ""
            else:
                data, kind = json.dumps(answer.body).encode(), "application/json;charset=utf-8"
            self.send_response(answer.status)
            headers = {"X-Content-Type-Options": "nosniff", **extra, **answer.headers}
            if kind:
                headers["Content-Type"] = kind
            headers["Content-Length"] = str(len(data))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            path, query = split.path.rstrip("/"), parse_qs(split.query)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body, bad_json = (json.loads(raw) if raw.strip() else None), False
            except ValueError:
                body, bad_json = raw.decode(errors="replace"), True
            found = next(((op, m, action) for verb, op, pattern, action in routes
                          if verb == method and (m := pattern.match(path))), None)
            operation = found[0] if found else ""
            if operation == "edit_pull" and isinstance(body, dict) and "state" in body:
                operation = "close_pull"
            with fake.lock:
                fake.requests.append(Recorded(method, path, query, body, dict(self.headers),
                                              operation))
                answer, extra = self._answer(found, operation, query, body, bad_json)
                if operation:
                    fake.answered(operation)
            self._send(answer, extra)

        def _answer(self, found: tuple[str, re.Match[str], Callable[..., Answer]] | None,
                    operation: str, query: dict[str, list[str]], body: Any,
                    bad_json: bool) -> tuple[Answer, dict[str, str]]:
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() not in ("token", "bearer") or token.strip() != fake.token:
                return _error(401, "token is required", fake.web), {}
            if found is None:
                return _not_found(fake.web), {}
            failure = fake.take_failure(operation)
            if failure is not None:
                return failure, {}
            if bad_json:
                return _error(422, "invalid JSON", fake.web), {}
            _, match, action = found
            answer = action(query, body, **match.groupdict())
            if operation in ("list_pulls", "reviews", "statuses") and answer.status == 200:
                return _page(fake, self.path, query, answer)
            return answer, {}

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

    return Handler


def _page(fake: FakeGitea, raw_path: str, query: dict[str, list[str]],
          answer: Answer) -> tuple[Answer, dict[str, str]]:
    """One page of a list, with X-Total-Count and Link as Gitea's SetLinkHeader writes."""
    items: list[Any] = answer.body
    try:
        limit = int(_one(query, "limit", "0"))
        page = max(1, int(_one(query, "page", "1")))
    except ValueError:
        limit, page = 0, 1
    limit = min(DEFAULT_LIMIT if limit <= 0 else limit, fake.max_limit)
    last = max(1, -(-len(items) // limit))
    path = urlsplit(raw_path).path

    def link(number: int, rel: str) -> str:
        params = {k: v[0] for k, v in query.items()}
        params.update(limit=str(limit), page=str(number))
        return f'<{fake.web}{path}?{urlencode(params)}>; rel="{rel}"'

    links = []
    if page < last:
        links += [link(page + 1, "next"), link(last, "last")]
    if page > 1:
        links += [link(1, "first"), link(page - 1, "prev")]
    headers = {"X-Total-Count": str(len(items))} if fake.send_total else {}
    if links:
        headers["Link"] = ",".join(links)
    return Answer(200, items[(page - 1) * limit: page * limit]), headers
