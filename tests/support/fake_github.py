"""A local HTTP server that answers like GitHub's REST API, for one repository.

The repository `owner/name` is backed by a real bare git repository: branch heads are read
with `git --git-dir <path> rev-parse`, and a merge writes a real `--no-ff` merge commit with
git plumbing (`merge-tree --write-tree`, `commit-tree`, `update-ref` with the old value).
Everything else (pull requests, reviews, statuses, comments) lives in memory behind a lock.

Routes (as GitHub documents them):
    GET    /repos/{owner}/{repo}                            (under `prefix`: /api/v3/repos/…)
    GET    /repos/{owner}/{repo}/pulls?state=open|closed|all&head=owner:branch&base=main
    POST   /repos/{owner}/{repo}/pulls                      title, body, head, base
    GET    /repos/{owner}/{repo}/pulls/{n}
    PATCH  /repos/{owner}/{repo}/pulls/{n}                  title, body, state, base
    GET    /repos/{owner}/{repo}/pulls/{n}/reviews
    PUT    /repos/{owner}/{repo}/pulls/{n}/merge            merge_method, commit_title,
                                                            commit_message, sha
    GET    /repos/{owner}/{repo}/commits/{ref}
    GET    /repos/{owner}/{repo}/commits/{ref}/statuses     (also /statuses/{ref})
    GET    /repos/{owner}/{repo}/commits/{ref}/status       combined state
    POST   /repos/{owner}/{repo}/statuses/{sha}             state, context, description,
                                                            target_url
    GET    /repos/{owner}/{repo}/issues/{n}/comments
    POST   /repos/{owner}/{repo}/issues/{n}/comments        body
    DELETE /repos/{owner}/{repo}/git/refs/heads/{branch}

Lists are paginated as GitHub does (`per_page`, `page`, a `Link` header). Every request
needs `Authorization: token <t>` or `Bearer <t>` with the configured token (401 "Bad
credentials" otherwise) and is recorded in `requests`. Only merge commits are allowed on the
repository (squash and rebase answer 405); `protected` (a reason string) or a pull's
`mergeable = False` make merges answer 405, a `sha` other than the head answers 409.

Tests act as people through the `FakeForge` interface every fake forge offers
(tests/support/forges.py: `open_pull`, `push`, `review`, `dismiss`, `add_comment`,
`webhook`, `fail`, `count`, …) or through GitHub-shaped helpers (`add_review`,
`dismiss_review`, `statuses`), and queue answers for the next calls of a route with
`inject`:

    fake = FakeGitHub(bare_repo_path)
    with fake.serve() as url:
        fake.inject("GET /repos/{owner}/{repo}/pulls/{number}", server_error(502), times=3)
        fake.inject("POST /repos/owner/name/pulls", rate_limited(reset=1_900_000_000))
        fake.fail("merge", 409)                  # GitHub's "Head branch was modified"
        ...

`fail` answers as GitHub documents each status: 403 is the primary rate limit
(`X-RateLimit-Remaining: 0`, a reset a minute away) or, with `retry_after`, the secondary
one (`Retry-After`); 429 carries `Retry-After`; 405 "Pull Request is not mergeable"; 409
"Head branch was modified"; 422 "Validation Failed" with a reason fit for the operation.
Webhook deliveries are built in `github_webhooks`.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support import github_webhooks as hooks

DOCS = "https://docs.github.com/rest"
REVIEW_STATES = ("APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED")
STATUS_STATES = ("error", "failure", "pending", "success")


@dataclass(frozen=True)
class Answer:
    """One HTTP answer: status, JSON body (None for no body) and extra headers."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    headers: dict[str, str]
    operation: str = ""     # as in `fail` and `count`; "" for other routes


class GitError(RuntimeError):
    """A git command failed."""


def _error(status: int, message: str, errors: list[Any] | None = None,
           documentation_url: str = DOCS, headers: dict[str, str] | None = None) -> Answer:
    body: dict[str, Any] = {"message": message, "documentation_url": documentation_url,
                            "status": str(status)}
    if errors is not None:
        body["errors"] = errors
    return Answer(status, body, headers or {})


def server_error(status: int = 502) -> Answer:
    """A gateway or server failure (500, 502, 503, 504)."""
    return _error(status, "Server Error")


def unauthorized() -> Answer:
    return _error(401, "Bad credentials")


def not_found() -> Answer:
    return _error(404, "Not Found")


def rate_limited(reset: int, limit: int = 5000) -> Answer:
    """The primary rate limit is spent: 403 with `X-RateLimit-Remaining: 0`."""
    return _error(403, "API rate limit exceeded for user ID 1.", headers={
        "X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": "0",
        "X-RateLimit-Used": str(limit), "X-RateLimit-Reset": str(reset),
        "X-RateLimit-Resource": "core"})


def too_many_requests(retry_after: int) -> Answer:
    """A secondary rate limit: 429 with `Retry-After` (seconds)."""
    return _error(429, "You have exceeded a secondary rate limit. Please wait a few minutes "
                  "before you try again.", headers={"Retry-After": str(retry_after)})


def validation_failed(*errors: dict[str, Any]) -> Answer:
    """422 with GitHub's body: `{"message": "Validation Failed", "errors": [...], ...}`."""
    return _error(422, "Validation Failed", list(errors))


FAILED_VALIDATION: dict[str, dict[str, Any]] = {
    "create_pull": {"resource": "PullRequest", "code": "custom",
                    "message": "No commits between main and the head branch"},
    "merge": {"resource": "PullRequest", "field": "sha", "code": "invalid",
              "message": "sha is not a valid commit"},
    "status": {"resource": "Status", "code": "custom",
               "message": "This SHA and context has reached the maximum number of statuses."},
    "comment": {"resource": "IssueComment", "field": "data", "code": "unprocessable",
                "message": "Body is too long (maximum is 65536 characters)"},
    "edit_pull": {"resource": "PullRequest", "field": "body", "code": "custom",
                  "message": "body is too long (maximum is 65536 characters)"},
}


def failure(operation: str, status: int, retry_after: float | None = None) -> Answer:
    """The error answer GitHub documents for `status` (see `FakeForge.fail`)."""
    wait = {} if retry_after is None else {"Retry-After": str(math.ceil(retry_after))}
    match status:
        case 401:
            return unauthorized()
        case 403 if retry_after is not None:
            return _error(403, "You have exceeded a secondary rate limit. Please wait a few "
                          "minutes before you try again.", headers=wait)
        case 403:
            return rate_limited(reset=int(time.time()) + 60)
        case 404:
            return not_found()
        case 405:
            return _error(405, "Pull Request is not mergeable")
        case 409:
            return _error(409, "Head branch was modified. Review and try the merge again.")
        case 422:
            return validation_failed(FAILED_VALIDATION.get(operation, {
                "resource": "PullRequest", "field": "state", "code": "invalid"}))
        case 429:
            return too_many_requests(math.ceil(retry_after if retry_after is not None else 60))
        case 500 | 502 | 503 | 504:
            return Answer(status, server_error(status).body, wait)
    raise ValueError(f"the fake GitHub has no documented answer {status}")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


OPERATIONS = {   # (method, route template) → operation, as in `fail` and `count`
    ("POST", "/repos/{owner}/{repo}/pulls"): "create_pull",
    ("GET", "/repos/{owner}/{repo}/pulls"): "list_pulls",
    ("GET", "/repos/{owner}/{repo}/pulls/{number}"): "get_pull",
    ("PATCH", "/repos/{owner}/{repo}/pulls/{number}"): "edit_pull",   # close_pull: closed
    ("PUT", "/repos/{owner}/{repo}/pulls/{number}/merge"): "merge",
    ("GET", "/repos/{owner}/{repo}/pulls/{number}/reviews"): "reviews",
    ("POST", "/repos/{owner}/{repo}/statuses/{sha}"): "status",
    ("POST", "/repos/{owner}/{repo}/issues/{number}/comments"): "comment",
    ("GET", "/repos/{owner}/{repo}/issues/{number}/comments"): "comments",
}


def operation(method: str, template: str, body: Any) -> str:
    """The operation a request is: a PATCH that closes a pull is `close_pull`."""
    found = OPERATIONS.get((method, template), "")
    if found == "edit_pull" and isinstance(body, dict) and body.get("state") == "closed":
        return "close_pull"
    return found


class FakeGitHub:
    """GitHub's REST API for one repository backed by the bare git repository `git_dir`.

    It offers the tests' `FakeForge` interface (tests/support/forges.py) too.
    """

    kind = "github"

    def __init__(self, git_dir: Path | str, full_name: str = "owner/name",
                 token: str = "test-token", login: str = "govbot",
                 default_branch: str = "main", prefix: str = "") -> None:
        self.git_dir = Path(git_dir)
        self.owner, self.name = full_name.split("/")
        self.repo = full_name
        self.token = token
        self.login = login
        self.default_branch = default_branch
        self.prefix = prefix.rstrip("/")    # "/api/v3" answers as GitHub Enterprise Server
        self.url = ""
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.pulls: dict[int, dict[str, Any]] = {}
        self.reviews: dict[int, list[dict[str, Any]]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.commit_statuses: dict[str, list[dict[str, Any]]] = {}
        self.protected: str | None = None
        self._injected: list[tuple[str, list[Answer]]] = []
        self._failures: dict[str, list[Answer]] = {}
        self._opened_heads: dict[int, str] = {}
        self._ids = 1000

    # -- server ------------------------------------------------------------------------

    @contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on 127.0.0.1 and a free port; yields the base URL (no trailing slash)."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_port}{self.prefix}"
        # a short poll interval: shutdown() waits for the loop's next poll
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        try:
            yield self.url
        finally:
            server.shutdown()
            server.server_close()
            thread.join(timeout=5)

    # -- helpers for tests -------------------------------------------------------------

    def inject(self, route: str, *answers: Answer, times: int = 1) -> None:
        """Answer the next calls of `route` with `answers` (each repeated `times`), in order.

        `route` is "METHOD path", the path either as a template
        ("GET /repos/{owner}/{repo}/pulls/{number}") or concrete ("GET /repos/owner/name/pulls/1").
        """
        with self.lock:
            queued = [answer for answer in answers for _ in range(times)]
            self._injected.append((route, queued))

    def add_review(self, number: int, login: str, state: str, body: str = "",
                   commit_id: str | None = None) -> dict[str, Any]:
        """A person reviews pull `number` (on its current head unless `commit_id` is given)."""
        if state not in REVIEW_STATES:
            raise ValueError(f"review state must be one of {REVIEW_STATES}")
        with self.lock:
            pull = self.pulls[number]
            review_id = self._next_id()
            review = {
                "id": review_id, "node_id": f"PRR_{review_id}",
                "user": self._user(login), "body": body, "state": state,
                "html_url": f"{pull['html_url']}#pullrequestreview-{review_id}",
                "pull_request_url": pull["url"],
                "author_association": "MEMBER",
                "_links": {"html": {"href": f"{pull['html_url']}#pullrequestreview-{review_id}"},
                           "pull_request": {"href": pull["url"]}},
                "submitted_at": _now(),
                "commit_id": commit_id or self._pull_head(pull),
            }
            self.reviews.setdefault(number, []).append(review)
            return dict(review)

    def dismiss_review(self, number: int, review_id: int) -> None:
        with self.lock:
            for review in self.reviews.get(number, []):
                if review["id"] == review_id:
                    review["state"] = "DISMISSED"

    def statuses(self, sha: str) -> list[dict[str, Any]]:
        """The statuses set on `sha`, oldest first."""
        with self.lock:
            return [dict(s) for s in self.commit_statuses.get(sha, [])]

    def calls(self, method: str, path: str) -> list[Recorded]:
        """The recorded requests with this method and path (query left out)."""
        with self.lock:
            return [r for r in self.requests if r.method == method and r.path == path]

    # -- the FakeForge interface (tests/support/forges.py) --------------------------------

    def open_pull(self, author: str, branch: str, title: str, body: str = "") -> int:
        with self.lock:
            answer = self._open({"head": branch, "base": self.default_branch, "title": title,
                                 "body": body}, author)
        if answer.status != 201:
            raise ValueError(f"opening a pull request from {branch}: {answer.body}")
        return int(answer.body["number"])

    def push(self, branch: str, files: dict[str, str | None], author: str,
             message: str = "edit") -> str:
        who = {"GIT_AUTHOR_NAME": author, "GIT_COMMITTER_NAME": author,
               "GIT_AUTHOR_EMAIL": f"{author}@users.noreply.github.com",
               "GIT_COMMITTER_EMAIL": f"{author}@users.noreply.github.com"}
        with self.lock, tempfile.TemporaryDirectory() as scratch:
            old = self.head(branch)
            parent = old or self.head(self.default_branch)
            # an index of its own; an empty work tree, which git wants for removals only
            env = {**who, "GIT_INDEX_FILE": str(Path(scratch) / "index"),
                   "GIT_WORK_TREE": scratch}
            if parent:
                self.git("read-tree", parent, env=env)
            for path, text in files.items():
                if text is None:
                    self.git("update-index", "--force-remove", path, env=env)
                else:
                    blob = self.git("hash-object", "-w", "--stdin", stdin=text)
                    self.git("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}",
                             env=env)
            tree = self.git("write-tree", env=env)
            commit = self.git("commit-tree", tree, *(["-p", parent] if parent else []),
                              "-m", message, env=env)
            self.git("update-ref", f"refs/heads/{branch}", commit, old or "")
        return commit

    def review(self, number: int, login: str, state: str, commit: str | None = None) -> None:
        states = {"approved": "APPROVED", "changes_requested": "CHANGES_REQUESTED",
                  "commented": "COMMENTED"}
        if state not in states:
            raise ValueError(f"review state must be one of {tuple(states)}")
        self.add_review(number, login, states[state], commit_id=commit)

    def dismiss(self, number: int, login: str) -> None:
        with self.lock:
            given = [r for r in self.reviews.get(number, []) if r["user"]["login"] == login
                     and r["state"] != "DISMISSED"]
            if not given:
                raise ValueError(f"{login} has no review on #{number} to dismiss")
            given[-1]["state"] = "DISMISSED"

    def add_comment(self, number: int, login: str, text: str) -> str:
        with self.lock:
            if number not in self.comments:
                raise ValueError(f"no pull request #{number}")
            return str(self._comment(number, login, text).body["id"])

    def fail(self, operation: str, status: int, times: int = 1,
             retry_after: float | None = None) -> None:
        if operation not in {*OPERATIONS.values(), "close_pull"}:
            raise ValueError(f"unknown operation {operation!r}")
        answer = failure(operation, status, retry_after)
        with self.lock:
            self._failures.setdefault(operation, []).extend([answer] * times)

    def webhook(self, event: str, number: int | None = None, *, secret: str,
                comment_id: str | None = None, delivery: str | None = None
                ) -> tuple[dict[str, str], bytes]:
        """`event` is "pull", "review", "comment", "push" or "ping"; any other name is sent
        as that X-GitHub-Event with a bare payload."""
        with self.lock:
            payload = self._hook_payload(event, number, comment_id)
        return hooks.delivery(hooks.EVENTS.get(event, event), payload, secret, delivery)

    def pull(self, number: int) -> dict[str, Any]:
        with self.lock:
            pull = self.pulls[number]
            return {"number": number, "state": "merged" if pull["merged"] else pull["state"],
                    "title": pull["title"], "body": pull["body"] or "",
                    "branch": pull["head"]["ref"], "head": self._pull_head(pull),
                    "author": pull["user"]["login"], "merge_commit": pull["merge_commit_sha"]}

    def pull_for(self, branch: str) -> dict[str, Any] | None:
        with self.lock:
            numbers = [n for n, p in self.pulls.items() if p["head"]["ref"] == branch]
            return self.pull(max(numbers)) if numbers else None

    def statuses_of(self, sha: str) -> list[dict[str, str]]:
        return [{"context": s["context"], "state": s["state"],
                 "description": s["description"] or ""} for s in self.statuses(sha)]

    def comments_of(self, number: int) -> list[str]:
        with self.lock:
            return [str(c["body"]) for c in self.comments.get(number, [])]

    def count(self, operation: str) -> int:
        with self.lock:
            return sum(1 for r in self.requests if r.operation == operation)

    def take_failure(self, operation: str) -> Answer | None:
        with self.lock:
            queued = self._failures.get(operation)
            return queued.pop(0) if queued else None

    def _hook_payload(self, event: str, number: int | None, comment_id: str | None
                      ) -> dict[str, Any]:
        repository, sender = self.repository(), self._user(self.login)
        if event == "ping":
            return hooks.ping(repository, sender)
        if event == "push":
            after = self.head(self.default_branch) or ""
            before = self.commit_exists(f"{after}^") or "0" * 40
            return hooks.push(f"refs/heads/{self.default_branch}", before, after,
                              self.git("log", "-1", "--format=%B", after), repository, sender)
        if event not in hooks.EVENTS:
            return {"action": "created", "repository": repository, "sender": sender}
        if number is None:
            raise ValueError(f"a {event} webhook is about a pull request: give its number")
        pull = self._pull_json(self.pulls[number])
        if event == "review":
            return hooks.pull_request_review(self.reviews[number][-1], pull, repository)
        if event == "comment":
            comments = self.comments[number]
            chosen = [c for c in comments if str(c["id"]) == comment_id] if comment_id else []
            return hooks.issue_comment((chosen or comments)[-1], pull, repository)
        opened = self._opened_heads.get(number, pull["head"]["sha"])
        action = ("closed" if pull["state"] == "closed" else
                  "synchronize" if pull["head"]["sha"] != opened else "opened")
        return hooks.pull_request(action, pull, repository, before=opened)

    # -- git ---------------------------------------------------------------------------

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

    def commit_exists(self, ref: str) -> str | None:
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except GitError:
            return None

    def _merge(self, base: str, head: str, message: str) -> str | None:
        """A `--no-ff` merge commit of `head` into `base`; None when they conflict."""
        base_sha, head_sha = self.head(base), self.head(head)
        if base_sha is None or head_sha is None:
            return None
        done = subprocess.run(["git", "--git-dir", str(self.git_dir), "merge-tree",
                               "--write-tree", base_sha, head_sha],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            return None
        tree = done.stdout.splitlines()[0].strip()
        env = {"GIT_AUTHOR_NAME": self.login, "GIT_AUTHOR_EMAIL": f"{self.login}@users.noreply",
               "GIT_COMMITTER_NAME": "GitHub", "GIT_COMMITTER_EMAIL": "noreply@github.com"}
        merged = self.git("commit-tree", tree, "-p", base_sha, "-p", head_sha, "-m", message,
                          env=env)
        self.git("update-ref", f"refs/heads/{base}", merged, base_sha)
        return merged

    # -- JSON shapes -------------------------------------------------------------------

    def _next_id(self) -> int:
        self._ids += 1
        return self._ids

    @property
    def api(self) -> str:
        return f"{self.url}/repos/{self.owner}/{self.name}"

    def _user(self, login: str) -> dict[str, Any]:
        return {"login": login, "id": zlib.crc32(login.encode()) % 10**6, "type": "User",
                "url": f"{self.url}/users/{login}", "html_url": f"{self.url}/{login}"}

    def repository(self) -> dict[str, Any]:
        return {
            "id": 1, "node_id": "R_1", "name": self.name,
            "full_name": f"{self.owner}/{self.name}", "owner": self._user(self.owner),
            "private": True, "html_url": f"{self.url}/{self.owner}/{self.name}",
            "url": self.api, "pulls_url": f"{self.api}/pulls{{/number}}",
            "statuses_url": f"{self.api}/statuses/{{sha}}",
            "default_branch": self.default_branch, "allow_merge_commit": True,
            "allow_squash_merge": False, "allow_rebase_merge": False,
            "delete_branch_on_merge": False,
            "permissions": {"admin": False, "push": True, "pull": True},
        }

    def _pull_head(self, pull: dict[str, Any]) -> str:
        """The head sha: the branch's current head while the pull is open."""
        if pull["state"] == "open":
            current = self.head(pull["head"]["ref"])
            if current is not None:
                pull["head"]["sha"] = current
        return str(pull["head"]["sha"])

    def _pull_json(self, pull: dict[str, Any]) -> dict[str, Any]:
        self._pull_head(pull)
        if pull["state"] == "open":
            base = self.head(pull["base"]["ref"])
            if base is not None:
                pull["base"]["sha"] = base
        shown: dict[str, Any] = json.loads(json.dumps(pull))
        if self.protected and pull["state"] == "open":
            shown["mergeable_state"] = "blocked"
        return shown

    # -- routes ------------------------------------------------------------------------

    def take_injected(self, method: str, template: str, path: str) -> Answer | None:
        with self.lock:
            for route, queued in self._injected:
                if route in (f"{method} {template}", f"{method} {path}") and queued:
                    return queued.pop(0)
        return None

    def get_repo(self, query: dict[str, list[str]], body: Any) -> Answer:
        return Answer(200, self.repository())

    def list_pulls(self, query: dict[str, list[str]], body: Any) -> Answer:
        state = _one(query, "state", "open")
        if state not in ("open", "closed", "all"):
            return validation_failed({"resource": "Search", "field": "state", "code": "invalid"})
        head, base = _one(query, "head", ""), _one(query, "base", "")
        pulls = [self._pull_json(p) for n, p in sorted(self.pulls.items(), reverse=True)
                 if state in ("all", p["state"])]
        if head:
            pulls = [p for p in pulls if p["head"]["label"] == head]
        if base:
            pulls = [p for p in pulls if p["base"]["ref"] == base]
        return Answer(200, pulls)

    def create_pull(self, query: dict[str, list[str]], body: Any) -> Answer:
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        return self._open(body, self.login)

    def _open(self, body: dict[str, Any], author: str) -> Answer:
        doc = f"{DOCS}/pulls/pulls#create-a-pull-request"
        missing = [f for f in ("head", "base") if not body.get(f)]
        if not body.get("title") and not body.get("issue"):
            missing.insert(0, "title")
        if missing:
            return _error(422, "Validation Failed", [
                {"resource": "PullRequest", "field": f, "code": "missing_field"}
                for f in missing], doc)
        branch = str(body["head"]).split(":", 1)[-1]
        base = str(body["base"])
        head_sha, base_sha = self.head(branch), self.head(base)
        invalid = [f for f, sha in (("head", head_sha), ("base", base_sha)) if sha is None]
        if invalid or head_sha is None or base_sha is None:
            return _error(422, "Validation Failed", [
                {"resource": "PullRequest", "field": f, "code": "invalid"} for f in invalid], doc)
        label = f"{self.owner}:{branch}"
        if any(p["head"]["ref"] == branch and p["state"] == "open" for p in self.pulls.values()):
            return _error(422, "Validation Failed", [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"A pull request already exists for {label}."}], doc)
        try:
            self.git("merge-base", "--is-ancestor", head_sha, base_sha)
            return _error(422, "Validation Failed", [
                {"resource": "PullRequest", "code": "custom",
                 "message": f"No commits between {base} and {branch}"}], doc)
        except GitError:
            pass
        number = max([0, *self.pulls, *self.comments]) + 1
        now = _now()
        html = f"{self.url}/{self.owner}/{self.name}/pull/{number}"
        repo = self.repository()
        pull = {
            "url": f"{self.api}/pulls/{number}", "id": self._next_id(),
            "node_id": f"PR_{number}", "html_url": html,
            "diff_url": f"{html}.diff", "patch_url": f"{html}.patch",
            "issue_url": f"{self.api}/issues/{number}",
            "comments_url": f"{self.api}/issues/{number}/comments",
            "review_comments_url": f"{self.api}/pulls/{number}/comments",
            "statuses_url": f"{self.api}/statuses/{head_sha}",
            "number": number, "state": "open", "locked": False,
            "title": body.get("title", ""), "body": body.get("body"),
            "user": self._user(author), "draft": bool(body.get("draft", False)),
            "created_at": now, "updated_at": now, "closed_at": None, "merged_at": None,
            "merge_commit_sha": None, "merged": False, "mergeable": True,
            "mergeable_state": "clean", "merged_by": None,
            "head": {"label": label, "ref": branch, "sha": head_sha,
                     "user": self._user(self.owner), "repo": repo},
            "base": {"label": f"{self.owner}:{base}", "ref": base, "sha": base_sha,
                     "user": self._user(self.owner), "repo": repo},
            "author_association": "MEMBER",
        }
        self.pulls[number] = pull
        self._opened_heads[number] = head_sha
        self.reviews[number] = []
        self.comments[number] = []
        return Answer(201, self._pull_json(pull), {"Location": pull["url"]})

    def get_pull(self, query: dict[str, list[str]], body: Any, number: str) -> Answer:
        pull = self.pulls.get(int(number))
        return Answer(200, self._pull_json(pull)) if pull else not_found()

    def update_pull(self, query: dict[str, list[str]], body: Any, number: str) -> Answer:
        pull = self.pulls.get(int(number))
        if pull is None:
            return not_found()
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        state = body.get("state")
        if state is not None and state not in ("open", "closed"):
            return validation_failed({"resource": "PullRequest", "field": "state",
                                      "code": "invalid"})
        if "base" in body and self.head(str(body["base"])) is None:
            return validation_failed({"resource": "PullRequest", "field": "base",
                                      "code": "invalid"})
        if state == "open" and pull["merged"]:
            return validation_failed({"resource": "PullRequest", "code": "custom",
                                      "message": "state cannot be changed. The pull request "
                                                 "has been merged."})
        self._pull_head(pull)
        for key in ("title", "body"):
            if key in body:
                pull[key] = body[key]
        if "base" in body:
            pull["base"]["ref"] = body["base"]
        if state is not None and state != pull["state"]:
            pull["state"] = state
            pull["closed_at"] = _now() if state == "closed" else None
        pull["updated_at"] = _now()
        return Answer(200, self._pull_json(pull))

    def list_reviews(self, query: dict[str, list[str]], body: Any, number: str) -> Answer:
        if int(number) not in self.pulls:
            return not_found()
        return Answer(200, [dict(r) for r in self.reviews[int(number)]])

    def merge_pull(self, query: dict[str, list[str]], body: Any, number: str) -> Answer:
        doc = f"{DOCS}/pulls/pulls#merge-a-pull-request"
        pull = self.pulls.get(int(number))
        if pull is None:
            return not_found()
        body = body if isinstance(body, dict) else {}
        method = body.get("merge_method", "merge")
        if method not in ("merge", "squash", "rebase"):
            return validation_failed({"resource": "PullRequest", "field": "merge_method",
                                      "code": "invalid"})
        if method != "merge":
            return _error(405, f"{method.capitalize()} merges are not allowed on this "
                          "repository.", documentation_url=doc)
        if pull["state"] != "open":
            return _error(405, "Pull Request is not mergeable", documentation_url=doc)
        if self.protected:
            return _error(405, self.protected, documentation_url=doc)
        if pull["mergeable"] is False:
            return _error(405, "Pull Request is not mergeable", documentation_url=doc)
        head = self._pull_head(pull)
        if body.get("sha") not in (None, head):
            return _error(409, "Head branch was modified. Review and try the merge again.",
                          documentation_url=doc)
        title = body.get("commit_title") or (
            f"Merge pull request #{pull['number']} from {pull['head']['label'].replace(':', '/')}")
        extra = body.get("commit_message")
        message = f"{title}\n\n{extra if extra is not None else pull['title']}"
        try:
            merged = self._merge(pull["base"]["ref"], pull["head"]["ref"], message)
        except GitError:
            return _error(409, "Base branch was modified. Review and try the merge again.",
                          documentation_url=doc)
        if merged is None:
            pull["mergeable"] = False
            pull["mergeable_state"] = "dirty"
            return _error(405, "Pull Request is not mergeable", documentation_url=doc)
        now = _now()
        pull.update(state="closed", merged=True, merged_at=now, closed_at=now, updated_at=now,
                    merge_commit_sha=merged, merged_by=self._user(self.login),
                    mergeable=None, mergeable_state="unknown")
        return Answer(200, {"sha": merged, "merged": True,
                            "message": "Pull Request successfully merged"})

    def get_commit(self, query: dict[str, list[str]], body: Any, ref: str) -> Answer:
        sha = self.commit_exists(ref)
        if sha is None:
            return _error(422, f"No commit found for SHA: {ref}")
        fields = self.git("show", "-s", "--format=%T%n%P%n%an%n%ae%n%aI%n%B", sha).split("\n")
        tree, parents, name, email, date = fields[:5]
        author = {"name": name, "email": email, "date": date}
        return Answer(200, {
            "sha": sha, "node_id": f"C_{sha}", "url": f"{self.api}/commits/{sha}",
            "html_url": f"{self.url}/{self.owner}/{self.name}/commit/{sha}",
            "commit": {"message": "\n".join(fields[5:]).strip(), "author": author,
                       "committer": author,
                       "tree": {"sha": tree, "url": f"{self.api}/git/trees/{tree}"}},
            "parents": [{"sha": p, "url": f"{self.api}/commits/{p}"}
                        for p in parents.split()],
        })

    def list_statuses(self, query: dict[str, list[str]], body: Any, ref: str) -> Answer:
        sha = self.commit_exists(ref)
        if sha is None:
            return not_found()
        return Answer(200, list(reversed(self.statuses(sha))))

    def combined_status(self, query: dict[str, list[str]], body: Any, ref: str) -> Answer:
        sha = self.commit_exists(ref)
        if sha is None:
            return not_found()
        latest: dict[str, dict[str, Any]] = {}
        for status in self.statuses(sha):
            latest[status["context"]] = status
        states = {s["state"] for s in latest.values()}
        state = ("failure" if states & {"error", "failure"} else
                 "pending" if "pending" in states or not states else "success")
        return Answer(200, {"state": state, "sha": sha, "total_count": len(latest),
                            "statuses": list(latest.values()), "repository": self.repository(),
                            "commit_url": f"{self.api}/commits/{sha}",
                            "url": f"{self.api}/commits/{sha}/status"})

    def create_status(self, query: dict[str, list[str]], body: Any, sha: str) -> Answer:
        if not isinstance(body, dict):
            return _error(400, "Problems parsing JSON")
        if body.get("state") not in STATUS_STATES:
            return validation_failed({"resource": "Status", "field": "state",
                                      "code": "custom", "message": "state is not included "
                                      "in the list"})
        full = self.commit_exists(sha)
        if full is None:
            return _error(422, f"No commit found for SHA: {sha}")
        status_id = self._next_id()
        now = _now()
        status = {
            "id": status_id, "node_id": f"SC_{status_id}",
            "url": f"{self.api}/statuses/{full}", "state": body["state"],
            "description": body.get("description"), "target_url": body.get("target_url"),
            "context": body.get("context") or "default", "created_at": now, "updated_at": now,
            "creator": self._user(self.login),
        }
        self.commit_statuses.setdefault(full, []).append(status)
        return Answer(201, dict(status))

    def list_comments(self, query: dict[str, list[str]], body: Any, number: str) -> Answer:
        if int(number) not in self.comments:
            return not_found()
        return Answer(200, [dict(c) for c in self.comments[int(number)]])

    def create_comment(self, query: dict[str, list[str]], body: Any, number: str) -> Answer:
        if int(number) not in self.comments:
            return not_found()
        if not isinstance(body, dict) or not body.get("body"):
            return validation_failed({"resource": "IssueComment", "field": "body",
                                      "code": "missing_field"})
        return self._comment(int(number), self.login, str(body["body"]))

    def _comment(self, number: int, login: str, text: str) -> Answer:
        comment_id = self._next_id()
        now = _now()
        html = self.pulls[number]["html_url"]
        comment: dict[str, Any] = {
            "id": comment_id, "node_id": f"IC_{comment_id}",
            "url": f"{self.api}/issues/comments/{comment_id}",
            "html_url": f"{html}#issuecomment-{comment_id}",
            "issue_url": f"{self.api}/issues/{number}", "body": text,
            "user": self._user(login), "created_at": now, "updated_at": now,
            "author_association": "MEMBER",
        }
        self.comments[number].append(comment)
        return Answer(201, dict(comment), {"Location": comment["url"]})

    def delete_branch(self, query: dict[str, list[str]], body: Any, branch: str) -> Answer:
        old = self.head(branch)
        if old is None:
            return _error(422, "Reference does not exist")
        self.git("update-ref", "-d", f"refs/heads/{branch}", old)
        return Answer(204)


def _one(query: dict[str, list[str]], key: str, default: str) -> str:
    return query.get(key, [default])[0]


Route = tuple[str, str, "re.Pattern[str]", Callable[..., Answer]]


def _routes(fake: FakeGitHub) -> list[Route]:
    table: list[tuple[str, str, Callable[..., Answer]]] = [
        ("GET", "", fake.get_repo),
        ("GET", "/pulls", fake.list_pulls),
        ("POST", "/pulls", fake.create_pull),
        ("GET", "/pulls/{number}", fake.get_pull),
        ("PATCH", "/pulls/{number}", fake.update_pull),
        ("GET", "/pulls/{number}/reviews", fake.list_reviews),
        ("PUT", "/pulls/{number}/merge", fake.merge_pull),
        ("GET", "/commits/{ref}", fake.get_commit),
        ("GET", "/commits/{ref}/statuses", fake.list_statuses),
        ("GET", "/commits/{ref}/status", fake.combined_status),
        ("GET", "/statuses/{ref}", fake.list_statuses),
        ("POST", "/statuses/{sha}", fake.create_status),
        ("GET", "/issues/{number}/comments", fake.list_comments),
        ("POST", "/issues/{number}/comments", fake.create_comment),
        ("DELETE", "/git/refs/heads/{branch}", fake.delete_branch),
    ]
    routes: list[Route] = []
    for method, tail, action in table:
        template = "/repos/{owner}/{repo}" + tail
        pattern = re.escape(f"/repos/{fake.owner}/{fake.name}")
        for part in tail.split("/")[1:]:
            name = part.strip("{}")
            piece = {"number": r"\d+", "branch": ".+"}.get(name, "[^/]+")
            pattern += "/" + (f"(?P<{name}>{piece})" if part.startswith("{") else re.escape(part))
        routes.append((method, template, re.compile(pattern + "$"), action))
    return routes


def _handler(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    routes = _routes(fake)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, answer: Answer, extra: dict[str, str] | None = None) -> None:
            data = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "4999",
                       "X-RateLimit-Reset": "4102444800", "X-RateLimit-Resource": "core",
                       "X-GitHub-Media-Type": "github.v3; format=json", **(extra or {}),
                       **answer.headers}
            if answer.body is not None:
                headers["Content-Type"] = "application/json; charset=utf-8"
            headers["Content-Length"] = str(len(data))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _handle(self, method: str) -> None:
            split = urlsplit(self.path)
            path, query = split.path.rstrip("/") or "/", parse_qs(split.query)
            if fake.prefix:     # outside the prefix nothing matches a route: 404
                path = path.removeprefix(fake.prefix) if path.startswith(
                    fake.prefix + "/") else f"/outside{path}"
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                body = json.loads(raw) if raw.strip() else None
                bad_json = False
            except ValueError:
                body, bad_json = raw.decode(errors="replace"), True
            matched = [(template, pattern.match(path), action)
                       for m, template, pattern, action in routes if m == method]
            found = next(((t, mt, a) for t, mt, a in matched if mt), None)
            template = found[0] if found else path
            done = operation(method, template, body)
            with fake.lock:
                fake.requests.append(Recorded(method, path, query, body, dict(self.headers),
                                              done))
                answer, extra = self._answer(method, path, query, body, bad_json, found, done)
            self._send(answer, extra)

        def _answer(self, method: str, path: str, query: dict[str, list[str]], body: Any,
                    bad_json: bool, found: tuple[str, re.Match[str] | None, Any] | None,
                    done: str) -> tuple[Answer, dict[str, str]]:
            template = found[0] if found else path
            injected = fake.take_injected(method, template, path) or fake.take_failure(done)
            if injected is not None:
                return injected, {}
            authorization = self.headers.get("Authorization", "")
            scheme, _, token = authorization.partition(" ")
            if scheme.lower() not in ("token", "bearer") or token.strip() != fake.token:
                return unauthorized(), {}
            if found is None:
                return not_found(), {}
            if bad_json:
                return _error(400, "Problems parsing JSON"), {}
            _, match, action = found
            assert match is not None
            answer = action(query, body, **match.groupdict())
            if method == "GET" and isinstance(answer.body, list) and answer.status == 200:
                return self._page(path, query, answer)
            return answer, {}

        def _page(self, path: str, query: dict[str, list[str]],
                  answer: Answer) -> tuple[Answer, dict[str, str]]:
            per_page = max(1, min(100, int(_one(query, "per_page", "30"))))
            page = max(1, int(_one(query, "page", "1")))
            items = answer.body
            last = max(1, -(-len(items) // per_page))
            links = []

            def link(number: int, rel: str) -> str:
                params = {k: v[0] for k, v in query.items()}
                params.update(per_page=str(per_page), page=str(number))
                encoded = "&".join(f"{k}={v}" for k, v in params.items())
                return f'<{fake.url}{path}?{encoded}>; rel="{rel}"'

            if page < last:
                links += [link(page + 1, "next"), link(last, "last")]
            if page > 1:
                links += [link(1, "first"), link(page - 1, "prev")]
            shown = Answer(200, items[(page - 1) * per_page: page * per_page], answer.headers)
            return shown, ({"Link": ", ".join(links)} if links else {})

        def do_GET(self) -> None:
            self._handle("GET")

        def do_POST(self) -> None:
            self._handle("POST")

        def do_PATCH(self) -> None:
            self._handle("PATCH")

        def do_PUT(self) -> None:
            self._handle("PUT")

        def do_DELETE(self) -> None:
            self._handle("DELETE")

    return Handler
