"""A local HTTP server that answers like GitLab's REST API v4, for one project.

The project (`group/name`, numeric id 42) is backed by a real bare git repository: branch
heads are read with `git rev-parse`, `push` commits with git plumbing, and a merge writes a
real `--no-ff` merge commit (`merge-tree --write-tree`, `commit-tree`, `update-ref` with the
old value). Merge requests, versions, approvals, reviewers, notes and statuses live in memory
behind one lock. Time is a clock of its own that moves one second per event, so "before"
and "after" are exact.

A merge request gets a new version whenever its source branch is found to have moved
(checked at every request and every helper call), as GitLab records one per push.

Routes (as GitLab documents them; `:id` is 42 or the URL-encoded path):
    GET    /api/v4/projects/:id
    GET    /api/v4/projects/:id/merge_requests               state, source_branch,
                                                            target_branch, order_by, sort
    POST   /api/v4/projects/:id/merge_requests               source_branch, target_branch,
                                                            title, description
    GET    /api/v4/projects/:id/merge_requests/:iid
    PUT    /api/v4/projects/:id/merge_requests/:iid          title, description, state_event
    PUT    /api/v4/projects/:id/merge_requests/:iid/merge    sha, merge_commit_message,
                                                            should_remove_source_branch
    GET    /api/v4/projects/:id/merge_requests/:iid/notes    sort, order_by, activity_filter
    POST   /api/v4/projects/:id/merge_requests/:iid/notes    body
    GET    /api/v4/projects/:id/merge_requests/:iid/versions
    GET    /api/v4/projects/:id/merge_requests/:iid/approvals
    GET    /api/v4/projects/:id/merge_requests/:iid/reviewers
    POST   /api/v4/projects/:id/statuses/:sha                state, name|context,
                                                            description, target_url
    GET    /api/v4/projects/:id/repository/commits/:sha/statuses
    GET    /api/v4/projects/:id/repository/branches/:branch

Every request needs `PRIVATE-TOKEN: <token>` (or `Authorization: Bearer <token>`), else 401.
Lists are paginated as GitLab does (`page`, `per_page` up to `page_limit`, `X-Page`,
`X-Next-Page`, `X-Total`, a `Link` header). Errors have GitLab's bodies:
`{"message": "405 Method Not Allowed"}`, `{"message": ["Another open merge request …"]}`,
a plain-text "Retry later" with `Retry-After` and `RateLimit-*` for 429.

Tests act as people through the FakeForge methods (tests/support/forges.py; webhook bodies
come from fake_gitlab_hooks), and set the instance up with `page_limit`, `approved_at`
(False: GitLab before 18.4), `reset_approvals_on_push`, `sha_pending`, `blocked`, and
`inject`/`stall` for any answer or delay. One module for the whole wire contract, as
fake_github.py is: its parts only make sense together.

Example:
    fake = FakeGitLab(bare, repo="group/sub/policies")
    with fake.serve() as url:
        fake.fail("merge", 409)
        api = GitLabApi(url, fake.token, fake.repo)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from tests.support import fake_gitlab_hooks as hooks
from tests.support.fake_gitlab_hooks import APPROVED, UNAPPROVED

MAIN = "main"
START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, body (JSON; a str is sent as text) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it, and the operation it counted as."""

    method: str
    path: str
    params: dict[str, Any]
    headers: dict[str, str]
    operation: str


class GitError(RuntimeError):
    """A git command failed."""


def message(status: int, text: Any = None, headers: dict[str, str] | None = None) -> Answer:
    """GitLab's error body: `{"message": "404 Not found"}` unless `text` is given."""
    phrase = HTTPStatus(status).phrase
    return Answer(status, {"message": f"{status} {phrase}" if text is None else text},
                  headers or {})


def _stamp(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


class FakeGitLab:
    """GitLab's REST API v4 for one project backed by the bare repository `git_dir`."""

    kind = "gitlab"

    def __init__(self, git_dir: Path | str, repo: str = "group/policies",
                 token: str = "glpat-test-token-0123", login: str = "govbot",
                 project_id: int = 42) -> None:
        self.git_dir = Path(git_dir)
        self.repo = repo
        self.token = token
        self.login = login
        self.project_id = project_id
        self.url = ""
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.mrs: dict[int, dict[str, Any]] = {}
        self.history: dict[str, list[dict[str, Any]]] = {}   # every status post, per sha
        self.current: dict[tuple[str, str], dict[str, Any]] = {}  # (sha, name) → status
        self.page_limit = 100          # GitLab's largest per_page
        self.approved_at = True        # GitLab ≥ 18.4 says when each approval was given
        self.reset_approvals_on_push = False
        self.sha_pending = False       # a new merge request's diff is still computing
        self.blocked = False           # not mergeable (draft, pipeline): merges answer 405
        self._failures: dict[str, list[Answer]] = {}
        self._stalls: dict[str, list[float]] = {}
        self._counts: Counter[str] = Counter()
        self._clock = START
        self._ids = 1000

    # -- server ------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 and a free port; yields the instance URL (no /api/v4)."""
        server = _Server(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{server.server_port}"
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # -- people acting on the forge ----------------------------------------------------

    def open_pull(self, author: str, branch: str, title: str, body: str = "") -> int:
        with self.lock:
            answer = self._open(author, branch, MAIN, title, body)
            if answer.status != 201:
                raise ValueError(f"cannot open a merge request from {branch}: {answer.body}")
            return int(answer.body["iid"])

    def push(self, branch: str, files: dict[str, str | None], author: str,
             message: str = "edit") -> str:
        with self.lock:
            old = self.head(branch)
            parent = old or self.head(MAIN)
            with tempfile.TemporaryDirectory() as scratch:
                env = {"GIT_INDEX_FILE": str(Path(scratch) / "index"),
                       **_identity(author)}
                if parent:
                    self.git("read-tree", parent, env=env)
                for path, text in files.items():
                    if text is None:
                        self.git("update-index", "--force-remove", path, env=env)
                    else:
                        blob = self.git("hash-object", "-w", "--stdin", stdin=text)
                        self.git("update-index", "--add", "--cacheinfo",
                                 f"100644,{blob},{path}", env=env)
                tree = self.git("write-tree", env=env)
                parents = ["-p", parent] if parent else []
                commit = self.git("commit-tree", tree, *parents, "-m", message, env=env)
            self.git("update-ref", f"refs/heads/{branch}", commit, old or "0" * 40)
            self._sync()
            return commit

    def review(self, number: int, login: str, state: str, commit: str | None = None) -> None:
        """approved → an approval (its note dated inside `commit`'s version when given);
        changes_requested → reviewer state `requested_changes`; commented → a note."""
        with self.lock:
            self._sync()
            mr = self.mrs[number]
            at = self._tick() if commit is None else self._during(mr, commit)
            match state:
                case "approved":
                    mr["approvals"][login] = at
                    self._note(mr, login, APPROVED, at, system=True)
                    self._reviewer(mr, login, "approved", at, add=False)
                case "changes_requested":
                    if mr["approvals"].pop(login, None) is not None:
                        self._note(mr, login, UNAPPROVED, at, system=True)
                    self._note(mr, login, "requested changes", at, system=True)
                    self._reviewer(mr, login, "requested_changes", at, add=True)
                case "commented":
                    self._note(mr, login, f"reviewed by {login}", at, system=False)
                    self._reviewer(mr, login, "reviewed", at, add=False)
                case _:
                    raise ValueError(f"review state {state!r}")

    def dismiss(self, number: int, login: str) -> None:
        """GitLab has no dismissal: the approval is revoked (or changes requested reset)."""
        with self.lock:
            self._sync()
            mr = self.mrs[number]
            at = self._tick()
            if mr["approvals"].pop(login, None) is not None:
                self._note(mr, login, UNAPPROVED, at, system=True)
                self._reviewer(mr, login, "unapproved", at, add=False)
            elif mr["reviewers"].get(login, {}).get("state") == "requested_changes":
                self._reviewer(mr, login, "unreviewed", at, add=False)

    def add_comment(self, number: int, login: str, text: str) -> str:
        with self.lock:
            self._sync()
            return str(self._note(self.mrs[number], login, text, self._tick(),
                                  system=False)["id"])

    def fail(self, operation: str, status: int, times: int = 1,
             retry_after: float | None = None) -> None:
        self.inject(operation, self._failure(operation, status, retry_after), times)

    def inject(self, operation: str, answer: Answer, times: int = 1) -> None:
        """Answer the next `times` requests of `operation` with `answer`, whatever they ask."""
        with self.lock:
            self._failures.setdefault(operation, []).extend([answer] * times)

    def stall(self, operation: str, seconds: float, times: int = 1) -> None:
        """Hold the next answers of `operation` for `seconds` (to time a client out)."""
        with self.lock:
            self._stalls.setdefault(operation, []).extend([seconds] * times)

    def webhook(self, event: str, number: int | None = None, *, secret: str,
                comment_id: str | None = None, delivery: str | None = None
                ) -> tuple[dict[str, str], bytes]:
        with self.lock:
            self._sync()
            payload = hooks.payload(self, event, number, comment_id)
        name = {"pull": "Merge Request Hook", "review": "Merge Request Hook",
                "comment": "Note Hook", "push": "Push Hook"}[event]
        delivery = delivery or str(uuid.uuid4())
        headers = {"Content-Type": "application/json", "User-Agent": "GitLab/18.6.0",
                   "X-Gitlab-Event": name, "X-Gitlab-Event-UUID": delivery,
                   "X-Gitlab-Webhook-UUID": str(uuid.uuid5(uuid.NAMESPACE_URL, self.url)),
                   "X-Gitlab-Instance": self.url, "Idempotency-Key": delivery}
        if secret:
            headers["X-Gitlab-Token"] = secret
        return headers, json.dumps(payload).encode()

    # -- what tests check ----------------------------------------------------------------

    def pull(self, number: int) -> dict[str, Any]:
        with self.lock:
            self._sync()
            mr = self.mrs[number]
            return {"number": number, "title": mr["title"], "body": mr["description"],
                    "state": {"opened": "open"}.get(mr["state"], mr["state"]),
                    "branch": mr["source_branch"], "head": mr["head"],
                    "author": mr["author"], "merge_commit": mr["merge_commit_sha"]}

    def pull_for(self, branch: str) -> dict[str, Any] | None:
        with self.lock:
            numbers = [n for n, mr in self.mrs.items() if mr["source_branch"] == branch]
            return self.pull(max(numbers)) if numbers else None

    def statuses_of(self, sha: str) -> list[dict[str, str]]:
        with self.lock:
            return [{"context": s["name"], "description": s["description"] or "",
                     "state": {"failed": "failure"}.get(s["status"], s["status"])}
                    for s in self.history.get(sha, [])]

    def comments_of(self, number: int) -> list[str]:
        with self.lock:
            return [n["body"] for n in self.notes_of(self.mrs[number]) if not n["system"]]

    def count(self, operation: str) -> int:
        with self.lock:
            return self._counts[operation]

    def calls(self, operation: str) -> list[Recorded]:
        with self.lock:
            return [r for r in self.requests if r.operation == operation]

    # -- git -----------------------------------------------------------------------------

    def git(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None
            ) -> str:
        done = subprocess.run(["git", "--git-dir", str(self.git_dir), *args],
                              capture_output=True, text=True, input=stdin,
                              env={**os.environ, **(env or {})}, check=False)
        if done.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {done.returncode}: {done.stderr.strip()}")
        return done.stdout.strip()

    def head(self, branch: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}")
        except GitError:
            return None

    def _merge(self, target: str, source: str, text: str) -> str | None:
        """A `--no-ff` merge commit of `source` into `target`; None when they conflict."""
        base, head = self.head(target), self.head(source)
        if base is None or head is None:
            return None
        try:
            tree = self.git("merge-tree", "--write-tree", base, head).splitlines()[0]
        except GitError:
            return None
        merged = self.git("commit-tree", tree, "-p", base, "-p", head, "-m", text,
                          env=_identity(self.login))
        self.git("update-ref", f"refs/heads/{target}", merged, base)
        return merged

    # -- state ---------------------------------------------------------------------------

    def _tick(self) -> datetime:
        self._clock += timedelta(seconds=1)
        return self._clock

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    def _sync(self) -> None:
        """Record a version for every open merge request whose source branch moved."""
        for mr in self.mrs.values():
            head = self.head(mr["source_branch"]) if mr["state"] == "opened" else None
            if head is None or head == mr["head"]:
                continue
            mr["head"] = head
            at = self._tick()
            main = self.head(mr["target_branch"]) or head
            mr["versions"].append({"id": self._next_id(), "head_commit_sha": head,
                                   "base_commit_sha": main, "start_commit_sha": main,
                                   "created_at": at})
            if self.reset_approvals_on_push:
                mr["approvals"].clear()

    def _during(self, mr: dict[str, Any], commit: str) -> datetime:
        """A moment while `commit` was the merge request's head."""
        for version in reversed(mr["versions"]):
            if version["head_commit_sha"] == commit:
                moment: datetime = version["created_at"] + timedelta(milliseconds=1)
                return moment
        raise ValueError(f"{commit} was never the head of !{mr['iid']}")

    def _note(self, mr: dict[str, Any], login: str, body: str, at: datetime, *,
              system: bool) -> dict[str, Any]:
        note = {"id": self._next_id(), "body": body, "author": login, "created_at": at,
                "system": system}
        mr["notes"].append(note)
        return note

    def notes_of(self, mr: dict[str, Any]) -> list[dict[str, Any]]:
        return sorted(mr["notes"], key=lambda n: (n["created_at"], n["id"]))

    def _reviewer(self, mr: dict[str, Any], login: str, state: str, at: datetime, *,
                  add: bool) -> None:
        if login in mr["reviewers"]:
            mr["reviewers"][login]["state"] = state
        elif add:
            mr["reviewers"][login] = {"state": state, "created_at": at}

    def _open(self, author: str, source: str, target: str, title: str,
              description: str) -> Answer:
        missing = [name for name, value in (("source_branch", source),
                                            ("target_branch", target), ("title", title))
                   if not value]
        if missing:
            return message(400, ", ".join(f"{name} is missing" for name in missing))
        if source == target:
            return message(400, ["You can't use same project/branch for source and target"])
        for name, branch in (("Source", source), ("Target", target)):
            if self.head(branch) is None:
                return message(400, [f'{name} branch "{branch}" does not exist'])
        for mr in self.mrs.values():
            if (mr["source_branch"], mr["target_branch"], mr["state"]) == (source, target,
                                                                            "opened"):
                return message(409, ["Another open merge request already exists for this "
                                     f"source branch: !{mr['iid']}"])
        iid = max(self.mrs, default=0) + 1
        at = self._tick()
        self.mrs[iid] = {
            "iid": iid, "id": 5000 + iid, "title": title, "description": description,
            "source_branch": source, "target_branch": target, "state": "opened",
            "author": author, "created_at": at, "updated_at": at, "merged_at": None,
            "closed_at": None, "merge_commit_sha": None, "merged_by": None, "head": None,
            "versions": [], "approvals": {}, "reviewers": {}, "notes": []}
        self._sync()
        shown = self.mr_json(self.mrs[iid])
        if self.sha_pending:
            shown.update(sha=None, diff_refs=None)
        return Answer(201, shown)

    # -- JSON shapes ---------------------------------------------------------------------

    def user(self, login: str) -> dict[str, Any]:
        return {"id": zlib.crc32(login.encode()) % 10**6, "username": login,
                "name": login.capitalize(), "state": "active", "locked": False,
                "avatar_url": f"{self.url}/uploads/{login}.png",
                "web_url": f"{self.url}/{login}"}

    def project_json(self) -> dict[str, Any]:
        web = f"{self.url}/{self.repo}"
        return {"id": self.project_id, "name": self.repo.rsplit("/", 1)[-1],
                "path_with_namespace": self.repo, "default_branch": MAIN, "web_url": web,
                "http_url_to_repo": f"{web}.git", "ssh_url_to_repo": f"git@127.0.0.1:"
                f"{self.repo}.git", "merge_method": "merge", "visibility": "private",
                "namespace": {"full_path": self.repo.rsplit("/", 1)[0]}}

    def mr_json(self, mr: dict[str, Any]) -> dict[str, Any]:
        web = f"{self.url}/{self.repo}/-/merge_requests/{mr['iid']}"
        last = mr["versions"][-1] if mr["versions"] else None
        conflicts = mr["state"] == "opened" and not self._mergeable(mr)
        return {
            "id": mr["id"], "iid": mr["iid"], "project_id": self.project_id,
            "title": mr["title"], "description": mr["description"], "state": mr["state"],
            "created_at": _stamp(mr["created_at"]), "updated_at": _stamp(mr["updated_at"]),
            "merged_by": self.user(mr["merged_by"]) if mr["merged_by"] else None,
            "merge_user": self.user(mr["merged_by"]) if mr["merged_by"] else None,
            "merged_at": _stamp(mr["merged_at"]) if mr["merged_at"] else None,
            "closed_at": _stamp(mr["closed_at"]) if mr["closed_at"] else None,
            "target_branch": mr["target_branch"], "source_branch": mr["source_branch"],
            "source_project_id": self.project_id, "target_project_id": self.project_id,
            "author": self.user(mr["author"]), "assignees": [], "assignee": None,
            "reviewers": [self.user(login) for login in mr["reviewers"]],
            "labels": [], "draft": False, "work_in_progress": False, "milestone": None,
            "merge_when_pipeline_succeeds": False,
            "merge_status": "cannot_be_merged" if conflicts else "can_be_merged",
            "detailed_merge_status": ("conflict" if conflicts else "not_open"
                                      if mr["state"] != "opened" else "mergeable"),
            "has_conflicts": conflicts, "sha": mr["head"],
            "merge_commit_sha": mr["merge_commit_sha"], "squash_commit_sha": None,
            "squash": False, "should_remove_source_branch": None,
            "force_remove_source_branch": False, "user_notes_count":
                sum(not n["system"] for n in mr["notes"]),
            "reference": f"!{mr['iid']}", "web_url": web,
            "references": {"short": f"!{mr['iid']}", "relative": f"!{mr['iid']}",
                           "full": f"{self.repo}!{mr['iid']}"},
            "diff_refs": {"base_sha": last["base_commit_sha"], "head_sha": mr["head"],
                          "start_sha": last["start_commit_sha"]} if last else None,
        }

    def _mergeable(self, mr: dict[str, Any]) -> bool:
        base, head = self.head(mr["target_branch"]), mr["head"]
        if base is None or head is None:
            return False
        try:
            self.git("merge-tree", "--write-tree", base, head)
            return True
        except GitError:
            return False

    def _note_json(self, mr: dict[str, Any], note: dict[str, Any]) -> dict[str, Any]:
        return {"id": note["id"], "type": None, "body": note["body"], "attachment": None,
                "author": self.user(note["author"]), "created_at": _stamp(note["created_at"]),
                "updated_at": _stamp(note["created_at"]), "system": note["system"],
                "noteable_id": mr["id"], "noteable_type": "MergeRequest",
                "noteable_iid": mr["iid"], "project_id": self.project_id,
                "resolvable": False, "confidential": False, "internal": False,
                "commands_changes": {}}

    def _status_json(self, status: dict[str, Any]) -> dict[str, Any]:
        return {**{k: v for k, v in status.items() if k != "author"},
                "author": self.user(status["author"])}

    # -- routes --------------------------------------------------------------------------

    def route(self, method: str, parts: list[str], params: dict[str, Any]
              ) -> tuple[str, Callable[[], Answer]] | None:
        """The operation a request counts as and how to answer it; None when unknown."""
        match method, parts:
            case "GET", []:
                return "project", lambda: Answer(200, self.project_json())
            case "GET", ["merge_requests"]:
                return "list_pulls", lambda: self.list_mrs(params)
            case "POST", ["merge_requests"]:
                return "create_pull", lambda: self._open(
                    self.login, str(params.get("source_branch") or ""),
                    str(params.get("target_branch") or ""), str(params.get("title") or ""),
                    str(params.get("description") or ""))
            case "GET", ["merge_requests", iid]:
                return "get_pull", lambda: self.with_mr(iid, lambda mr: Answer(
                    200, self.mr_json(mr)))
            case "PUT", ["merge_requests", iid]:
                operation = "close_pull" if params.get("state_event") else "edit_pull"
                return operation, lambda: self.with_mr(iid, lambda mr: self.update_mr(
                    mr, params))
            case "PUT", ["merge_requests", iid, "merge"]:
                return "merge", lambda: self.with_mr(iid, lambda mr: self.merge(mr, params))
            case "GET", ["merge_requests", iid, "notes"]:
                only = params.get("activity_filter")
                return ("reviews" if only == "only_activity" else "comments",
                        lambda: self.with_mr(iid, lambda mr: self.list_notes(mr, params)))
            case "POST", ["merge_requests", iid, "notes"]:
                return "comment", lambda: self.with_mr(iid, lambda mr: self.create_note(
                    mr, params))
            case "GET", ["merge_requests", iid, "versions"]:
                return "reviews", lambda: self.with_mr(iid, self.list_versions)
            case "GET", ["merge_requests", iid, "approvals"]:
                return "reviews", lambda: self.with_mr(iid, self.approvals)
            case "GET", ["merge_requests", iid, "reviewers"]:
                return "reviews", lambda: self.with_mr(iid, lambda mr: Answer(200, [
                    {"user": self.user(login), "state": r["state"],
                     "created_at": _stamp(r["created_at"])}
                    for login, r in mr["reviewers"].items()]))
            case "POST", ["statuses", sha]:
                return "status", lambda: self.create_status(sha, params)
            case "GET", ["repository", "commits", sha, "statuses"]:
                return "statuses", lambda: Answer(200, [
                    self._status_json(s) for (at, _), s in self.current.items() if at == sha])
            case "GET", ["repository", "branches", branch]:
                return "branch", lambda: self.branch(branch)
        return None

    def with_mr(self, iid: str, answer: Callable[[dict[str, Any]], Answer]) -> Answer:
        mr = self.mrs.get(int(iid)) if iid.isdigit() else None
        return answer(mr) if mr is not None else message(404, "404 Not found")

    def list_mrs(self, params: dict[str, Any]) -> Answer:
        state = params.get("state", "all")
        if state not in ("opened", "closed", "merged", "locked", "all"):
            return message(400, "state does not have a valid value")
        found = [mr for mr in self.mrs.values()
                 if state in ("all", mr["state"])
                 and all(mr[key] == params[key] for key in ("source_branch", "target_branch")
                         if key in params)]
        order = params.get("order_by", "created_at")
        if order not in ("created_at", "updated_at"):
            return message(400, "order_by does not have a valid value")
        found.sort(key=lambda mr: (mr[order], mr["iid"]),
                   reverse=params.get("sort", "desc") == "desc")
        return Answer(200, [self.mr_json(mr) for mr in found])

    def update_mr(self, mr: dict[str, Any], params: dict[str, Any]) -> Answer:
        event = params.get("state_event")
        if event not in (None, "close", "reopen"):
            return message(400, "state_event does not have a valid value")
        for key in ("title", "description", "target_branch"):
            if key in params:
                mr[key] = params[key]
        if event == "close" and mr["state"] == "opened":
            mr.update(state="closed", closed_at=self._tick())
        elif event == "reopen" and mr["state"] == "closed":
            mr.update(state="opened", closed_at=None, head=None)
            self._sync()
        mr["updated_at"] = self._tick()
        return Answer(200, self.mr_json(mr))

    def merge(self, mr: dict[str, Any], params: dict[str, Any]) -> Answer:
        if mr["state"] != "opened" or self.blocked:
            return message(405)
        sha = params.get("sha")
        if sha and sha != mr["head"]:
            return message(409, f"SHA does not match HEAD of source branch: {mr['head']}")
        text = params.get("merge_commit_message") or (
            f"Merge branch '{mr['source_branch']}' into '{mr['target_branch']}'\n\n"
            f"{mr['title']}\n\nSee merge request {self.repo}!{mr['iid']}")
        try:
            merged = self._merge(mr["target_branch"], mr["source_branch"], text)
        except GitError:
            return message(409, "Merge request is not mergeable: the target branch moved")
        if merged is None:
            return message(406, "Branch cannot be merged")
        at = self._tick()
        mr.update(state="merged", merge_commit_sha=merged, merged_at=at, updated_at=at,
                  merged_by=self.login)
        if _flag(params.get("should_remove_source_branch")):
            self.git("update-ref", "-d", f"refs/heads/{mr['source_branch']}")
        return Answer(200, self.mr_json(mr))

    def list_notes(self, mr: dict[str, Any], params: dict[str, Any]) -> Answer:
        notes = self.notes_of(mr)
        only = params.get("activity_filter", "all_notes")
        if only == "only_comments":
            notes = [n for n in notes if not n["system"]]
        elif only == "only_activity":
            notes = [n for n in notes if n["system"]]
        if params.get("sort", "desc") == "desc":
            notes.reverse()
        return Answer(200, [self._note_json(mr, n) for n in notes])

    def create_note(self, mr: dict[str, Any], params: dict[str, Any]) -> Answer:
        if not params.get("body"):
            return message(400, "body is missing")
        note = self._note(mr, self.login, str(params["body"]), self._tick(), system=False)
        return Answer(201, self._note_json(mr, note))

    def list_versions(self, mr: dict[str, Any]) -> Answer:
        return Answer(200, [{**v, "created_at": _stamp(v["created_at"]),
                             "merge_request_id": mr["id"], "state": "collected",
                             "real_size": "1", "patch_id_sha": v["head_commit_sha"]}
                            for v in reversed(mr["versions"])])

    def approvals(self, mr: dict[str, Any]) -> Answer:
        approved_by = [{"user": self.user(login),
                        **({"approved_at": _stamp(at)} if self.approved_at else {})}
                       for login, at in mr["approvals"].items()]
        return Answer(200, {
            "id": mr["id"], "iid": mr["iid"], "project_id": self.project_id,
            "title": mr["title"], "state": mr["state"], "approved": bool(approved_by),
            "approvals_required": 0, "approvals_left": 0, "approved_by": approved_by,
            "user_has_approved": self.login in mr["approvals"], "user_can_approve": True})

    def create_status(self, sha: str, params: dict[str, Any]) -> Answer:
        state = params.get("state")
        if state not in ("pending", "running", "success", "failed", "canceled", "skipped"):
            return message(400, "state does not have a valid value")
        try:
            full = self.git("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}")
        except GitError:
            return message(404, "404 Commit Not Found")
        name = str(params.get("name") or params.get("context") or "default")
        status = self.current.get((full, name))
        if status is None or status["status"] not in ("pending", "running"):
            at = self._tick()
            status = {"id": self._next_id(), "sha": full, "ref": None, "status": "created",
                      "name": name, "target_url": None, "description": None,
                      "created_at": _stamp(at), "started_at": None, "finished_at": None,
                      "allow_failure": False, "coverage": None, "author": self.login}
        for key in ("description", "target_url"):
            if key in params:
                status[key] = params[key]
        if status["status"] == state == "pending" or status["status"] == state == "running":
            verb = {"pending": "enqueue", "running": "run"}[state]
            return message(400, f"Cannot transition status via :{verb} from :{state} "
                                f'(Reason(s): Status cannot transition via "{verb}")')
        status["status"] = state
        self.current[(full, name)] = status
        self.history.setdefault(full, []).append(dict(status))
        return Answer(201, self._status_json(status))

    def branch(self, name: str) -> Answer:
        sha = self.head(name)
        if sha is None:
            return message(404, "404 Branch Not Found")
        return Answer(200, {"name": name, "merged": False, "protected": name == MAIN,
                            "default": name == MAIN, "can_push": True,
                            "web_url": f"{self.url}/{self.repo}/-/tree/{quote(name)}",
                            "commit": {"id": sha, "short_id": sha[:8]}})

    def _failure(self, operation: str, status: int, retry_after: float | None) -> Answer:
        wait = {} if retry_after is None else {"Retry-After": str(int(-(-retry_after // 1)))}
        limits = {"RateLimit-Name": "throttle_authenticated_api", "RateLimit-Limit": "60",
                  "RateLimit-Observed": "61", "RateLimit-Remaining": "0",
                  "RateLimit-Reset": str(int(time.time() + (retry_after or 60))), **wait}
        match status:
            case 429:
                return Answer(429, "Retry later\n", limits)
            case 403:
                return message(403, headers=limits if retry_after is not None else {})
            case 406 | 422 if operation == "merge":
                return message(status, "Branch cannot be merged")
            case 409 if operation == "merge":
                return message(409, "SHA does not match HEAD of source branch: " + "0" * 40)
            case 409 if operation == "create_pull":
                return message(409, ["Another open merge request already exists for this "
                                     "source branch: !1"])
            case 502 | 503 | 504:
                phrase = HTTPStatus(status).phrase
                return Answer(status, f"<html><body><h1>{status} {phrase}</h1></body></html>",
                              wait)
        return message(status, headers=wait)

    # -- the HTTP side ---------------------------------------------------------------------

    def answer(self, method: str, raw_path: str, query: str, body: Any,
               headers: dict[str, str]) -> tuple[Answer, dict[str, str]]:
        """Route, authenticate and answer one request (the handler's whole job)."""
        params = {k: v[0] for k, v in parse_qs(query).items()}
        if isinstance(body, dict):
            params.update(body)
        prefix = "/api/v4/projects/"
        segments = raw_path[len(prefix):].split("/") if raw_path.startswith(prefix) else []
        project = unquote(segments[0]) if segments else None
        parts = [unquote(part) for part in segments[1:]]
        with self.lock:
            self._sync()
            routed = self.route(method, parts, params) if project else None
            operation = routed[0] if routed else "unknown"
            self.requests.append(Recorded(method, raw_path, params, headers, operation))
            self._counts[operation] += 1
            stalls = self._stalls.get(operation)
            stall = stalls.pop(0) if stalls else 0.0
        if stall:
            time.sleep(stall)
        with self.lock:
            failures = self._failures.get(operation)
            if failures:
                return failures.pop(0), {}
            given = headers.get("private-token") or headers.get(
                "authorization", "").removeprefix("Bearer ")
            if given != self.token:
                return message(401, "401 Unauthorized"), {}
            if project not in (self.repo, str(self.project_id)):
                return message(404, "404 Project Not Found"), {}
            if body is _BAD_JSON:
                return message(400, "The provided content-type 'application/json' is not "
                                    "supported."), {}
            if routed is None:
                return message(404, "404 Not Found"), {}
            answer = routed[1]()
            if method == "GET" and answer.status == 200 and isinstance(answer.body, list):
                return self._page(raw_path, query, answer)
            return answer, {}

    def _page(self, raw_path: str, query: str, answer: Answer
              ) -> tuple[Answer, dict[str, str]]:
        params = {k: v[0] for k, v in parse_qs(query).items()}
        per_page = max(1, min(self.page_limit, int(params.get("per_page", 20))))
        page = max(1, int(params.get("page", 1)))
        items = answer.body
        pages = max(1, -(-len(items) // per_page))

        def link(number: int) -> str:
            return f"{self.url}{raw_path}?" + urlencode(
                {**params, "page": str(number), "per_page": str(per_page)})

        rels = [(page + 1, "next")] if page < pages else []
        rels += [(page - 1, "prev")] if page > 1 else []
        rels += [(1, "first"), (pages, "last")]
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page),
                   "X-Total": str(len(items)), "X-Total-Pages": str(pages),
                   "X-Next-Page": str(page + 1) if page < pages else "",
                   "X-Prev-Page": str(page - 1) if page > 1 else "",
                   "Link": ", ".join(f'<{link(n)}>; rel="{rel}"' for n, rel in rels)}
        shown = items[(page - 1) * per_page: page * per_page]
        return Answer(200, shown, answer.headers), headers


_BAD_JSON = object()


def _identity(login: str) -> dict[str, str]:
    email = f"{login}@users.noreply.gitlab.example"
    return {"GIT_AUTHOR_NAME": login, "GIT_AUTHOR_EMAIL": email,
            "GIT_COMMITTER_NAME": login, "GIT_COMMITTER_EMAIL": email}


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is not a server error; the rest is."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


def _handler(fake: FakeGitLab) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body: Any = None
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = _BAD_JSON
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer, extra = fake.answer(method, split.path.rstrip("/"), split.query, body,
                                        headers)
            if isinstance(answer.body, str):
                kind = "text/html" if answer.body.startswith("<") else "text/plain"
                data, content_type = answer.body.encode(), f"{kind}; charset=utf-8"
            else:
                data = b"" if answer.body is None else json.dumps(answer.body).encode()
                content_type = "application/json"
            self.send_response(answer.status)
            for name, value in {**extra, **answer.headers, "Content-Type": content_type,
                                "Content-Length": str(len(data))}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler
