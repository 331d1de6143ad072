"""The API half of a GitLab-hosted policy repository, over python-gitlab.

A pull request is a merge request: `Pull.number` is its iid. RemoteForge calls these
methods and retries a ForgeError marked transient, so python-gitlab itself never sleeps or
retries (it would retry 429 on its own, ten times, without asking).

Reviews: GitLab keeps approvals per merge request, not per commit. Which head an approval
was given on is read from the merge request's versions (one per push, with its head and
time) and the approval's time (its "approved this merge request" system note, or
`approved_at` where GitLab has it); see `bot.forge.gitlab_reviews`.

Example:
    api = GitLabApi("https://gitlab.com", token, "platform/policies")
    api.create_pull("change/1-svc-user", "canary svc-user 0% → 20%", body)
    # Pull(number=7, branch="change/1-svc-user", head_sha="…", …)
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any

import gitlab
import requests

from bot.core.redact import redact
from bot.forge.api import (
    STATUS_CONTEXT,
    Comment,
    ForgeError,
    Hook,
    HookEvent,
    Pull,
    Review,
    StatusState,
    Unverified,
)
from bot.forge.gitlab_reviews import ReviewInputs, parse_time, reviews_from
from bot.repo.git import MAIN

# GitLab's commit status states: govbot's "failure" is GitLab's "failed"
_STATES: dict[StatusState, str] = {"success": "success", "failure": "failed",
                                   "pending": "pending"}
# merge request hook actions that are about approvals (one person's, or all required)
REVIEW_ACTIONS = frozenset({"approved", "unapproved", "approval", "unapproval"})


class _Client(gitlab.Gitlab):
    """python-gitlab that neither sleeps nor retries: the caller decides, from the
    ForgeError's `transient` and `retry_after`."""

    def http_request(self, verb: str, path: str, *args: Any, **kwargs: Any
                     ) -> requests.Response:
        kwargs.update(obey_rate_limit=False, retry_transient_errors=False, max_retries=0)
        return super().http_request(verb, path, *args, **kwargs)


class GitLabApi:
    """ForgeApi for one GitLab project (`repo` is its path, `group/sub/name`)."""

    kind = "gitlab"

    def __init__(self, url: str, token: str, repo: str, timeout: float = 10.0) -> None:
        self._token = token
        self._seen = threading.local()  # the last answer's headers, per calling thread
        session = requests.Session()
        session.hooks["response"].append(self._remember)
        self._gl = _Client(url, private_token=token, timeout=timeout, per_page=100,
                           retry_transient_errors=False, keep_base_url=True,
                           user_agent="govbot", session=session)
        self._project = self._gl.projects.get(repo, lazy=True)

    # -- pull requests -------------------------------------------------------------------

    def open_pulls(self) -> list[Pull]:
        with self._calling("listing open merge requests"):
            found = self._project.mergerequests.list(
                state="opened", target_branch=MAIN, order_by="created_at", sort="asc",
                get_all=True)
        return [self._pull(mr.attributes) for mr in found if _same_project(mr.attributes)]

    def find_pull(self, branch: str) -> Pull | None:
        with self._calling(f"finding the merge request from {branch}"):
            found = self._project.mergerequests.list(
                state="opened", target_branch=MAIN, source_branch=branch,
                order_by="created_at", sort="desc", get_all=True)
        mine = [mr.attributes for mr in found if _same_project(mr.attributes)]
        return self._pull(mine[0]) if mine else None

    def get_pull(self, number: int) -> Pull | None:
        try:
            with self._calling(f"reading !{number}"):
                mr = self._project.mergerequests.get(number)
        except ForgeError as error:
            if error.status == 404:
                return None
            raise
        return self._pull(mr.attributes) if mr.attributes.get("state") == "opened" else None

    def create_pull(self, branch: str, title: str, body: str) -> Pull:
        with self._calling(f"opening a merge request from {branch}"):
            mr = self._project.mergerequests.create({
                "source_branch": branch, "target_branch": MAIN, "title": title,
                "description": body})
            attributes = dict(mr.attributes)
            if not _head(attributes):
                # the diff of a new merge request can still be computing: ask the branch
                commit = self._project.branches.get(branch).attributes.get("commit") or {}
                attributes["sha"] = commit.get("id", "")
        return self._pull(attributes)

    def edit_pull(self, number: int, body: str) -> None:
        with self._calling(f"editing !{number}"):
            self._project.mergerequests.update(number, {"description": body})

    def close_pull(self, number: int) -> None:
        # closing a closed (or merged) merge request changes nothing and answers 200
        with self._calling(f"closing !{number}"):
            self._project.mergerequests.update(number, {"state_event": "close"})

    def merge_pull(self, number: int, head_sha: str, title: str, message: str) -> None:
        # GitLab has one field for the whole merge commit message
        text = f"{title}\n\n{message}" if message.strip() else title
        path = f"{self._project.mergerequests.path}/{number}/merge"
        with self._calling(f"merging !{number}"):
            merged = self._gl.http_put(path, post_data={"sha": head_sha,
                                                        "merge_commit_message": text})
        state = merged.get("state") if isinstance(merged, dict) else None
        if state != "merged":
            reason = merged.get("merge_error") if isinstance(merged, dict) else None
            raise ForgeError(405, f"merging !{number}: gitlab left it {state or 'unmerged'}"
                             + (f": {reason}" if reason else ""))

    # -- statuses, reviews, comments ------------------------------------------------------

    def set_status(self, sha: str, state: StatusState, description: str,
                   url: str = "") -> None:
        data = {"state": _STATES[state], "name": STATUS_CONTEXT, "description": description}
        if url:
            data["target_url"] = url
        try:
            with self._calling(f"setting {STATUS_CONTEXT} on {sha[:12]}"):
                self._project.commits.get(sha, lazy=True).statuses.create(data)
        except ForgeError as error:
            # GitLab refuses pending → pending ("Cannot transition status via :enqueue
            # from :pending") after it has already taken the new description
            if not (state == "pending" and error.status == 400
                    and "cannot transition status" in error.message.lower()):
                raise

    def reviews(self, number: int) -> list[Review]:
        mr = self._project.mergerequests.get(number, lazy=True)
        with self._calling(f"reading the reviews of !{number}"):
            versions = [v.attributes for v in mr.diffs.list(get_all=True)]
            head = ""
            if not versions:
                head = _head(self._project.mergerequests.get(number).attributes)
            activity = [n.attributes for n in mr.notes.list(
                get_all=True, sort="asc", order_by="created_at",
                activity_filter="only_activity")]
            approvals = mr.approvals.get().attributes
            reviewers = [r.attributes for r in mr.reviewer_details.list(get_all=True)]
        return reviews_from(ReviewInputs(versions, activity, approvals, reviewers, head))

    def comment(self, number: int, text: str) -> None:
        with self._calling(f"commenting on !{number}"):
            self._project.mergerequests.get(number, lazy=True).notes.create({"body": text})

    def comments(self, number: int) -> list[Comment]:
        with self._calling(f"reading the comments of !{number}"):
            notes = self._project.mergerequests.get(number, lazy=True).notes.list(
                get_all=True, sort="asc", order_by="created_at",
                activity_filter="only_comments")
        return [Comment(str(n.attributes["id"]), n.attributes["author"]["username"],
                        n.attributes.get("body") or "", parse_time(n.attributes["created_at"]))
                for n in notes if not n.attributes.get("system")]

    # -- webhooks -------------------------------------------------------------------------

    def hook(self, headers: Mapping[str, str], body: bytes, secret: str) -> Hook:
        headers = {name.lower(): value for name, value in headers.items()}
        given = headers.get("x-gitlab-token", "")
        if not secret or not hmac.compare_digest(given.encode(), secret.encode()):
            raise Unverified("gitlab webhook: X-Gitlab-Token is missing or wrong")
        delivery = (headers.get("x-gitlab-event-uuid") or headers.get("idempotency-key")
                    or hashlib.sha256(body).hexdigest())
        try:
            payload = json.loads(body)
            return _hook(delivery, headers.get("x-gitlab-event", ""), payload)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ForgeError(400, f"gitlab webhook {delivery}: unreadable payload "
                             f"({type(error).__name__})") from error

    # -- plumbing -------------------------------------------------------------------------

    def _pull(self, mr: Mapping[str, Any]) -> Pull:
        return Pull(number=int(mr["iid"]), branch=mr["source_branch"], head_sha=_head(mr),
                    title=mr.get("title") or "", author=mr["author"]["username"],
                    url=mr.get("web_url") or "", body=mr.get("description") or "")

    def _remember(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._seen.headers = response.headers

    @contextmanager
    def _calling(self, doing: str) -> Iterator[None]:
        """Run python-gitlab calls; whatever fails leaves as a ForgeError, token hidden."""
        self._seen.headers = None
        try:
            yield
        except (gitlab.GitlabError, requests.RequestException) as error:
            headers = getattr(self._seen, "headers", None) or {}
            raise _failure(error, doing, headers, self._token) from error


def _head(mr: Mapping[str, Any]) -> str:
    refs = mr.get("diff_refs") or {}
    return str(mr.get("sha") or refs.get("head_sha") or "")


def _same_project(mr: Mapping[str, Any]) -> bool:
    """Govbot pushes its branches to the project itself; a fork's merge request is not its."""
    return mr.get("source_project_id") == mr.get("target_project_id")


def _hook(delivery: str, event: str, payload: Any) -> Hook:
    attributes = payload.get("object_attributes") or {}
    match event:
        case "Merge Request Hook":
            if attributes.get("target_branch", MAIN) != MAIN:
                return Hook(delivery, "other")
            kind: HookEvent = "review" if attributes.get("action") in REVIEW_ACTIONS else "pull"
            return Hook(delivery, kind, int(attributes["iid"]))
        case "Note Hook" if (attributes.get("noteable_type") == "MergeRequest"
                             and not attributes.get("system")
                             and attributes.get("action", "create") == "create"):
            number = int(payload["merge_request"]["iid"])
            comment = Comment(str(attributes["id"]), payload["user"]["username"],
                              attributes.get("note") or "", parse_time(attributes["created_at"]))
            return Hook(delivery, "comment", number, comment)
        case "Push Hook":
            return Hook(delivery, "push")
    return Hook(delivery, "other")


def _failure(error: Exception, doing: str, headers: Mapping[str, str], token: str
             ) -> ForgeError:
    """A python-gitlab or requests failure as ForgeError: 5xx, 429 and no answer are
    transient; any other answer is permanent and keeps GitLab's message."""

    def text(said: str) -> str:
        return redact(f"{doing}: {said}", [token])

    if isinstance(error, requests.Timeout):
        return ForgeError(0, text("gitlab did not answer in time"), transient=True)
    if isinstance(error, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return ForgeError(0, text(f"cannot reach gitlab ({type(error).__name__})"),
                          transient=True)
    if not isinstance(error, gitlab.GitlabError):
        return ForgeError(0, text(f"cannot ask gitlab ({type(error).__name__})"))
    status = error.response_code
    if status is None:
        if isinstance(error, gitlab.GitlabParsingError):
            return ForgeError(0, text("gitlab answered something that is not JSON"),
                              transient=True)
        return ForgeError(0, text(_said(error.error_message, None)))
    said = text(_said(error.error_message, status))
    limited = status == 429 or (status == 403 and (
        "Retry-After" in headers or headers.get("RateLimit-Remaining") == "0"))
    if limited:
        return ForgeError(status, said, transient=True, retry_after=_retry_after(headers))
    return ForgeError(status, said, transient=status >= 500)


def _said(message: Any, status: int | None) -> str:
    """GitLab's `message`: a string, a list (`["Another open merge request …"]`) or a dict
    of field errors; a proxy's HTML page becomes the status phrase."""
    if isinstance(message, bytes):
        message = message.decode(errors="replace")
    if isinstance(message, list):
        message = "; ".join(str(m) for m in message)
    elif isinstance(message, dict):
        message = "; ".join(f"{field} {', '.join(map(str, v)) if isinstance(v, list) else v}"
                            for field, v in message.items())
    said = str(message).strip()
    if not said or said.startswith("<"):
        try:
            return HTTPStatus(status or 0).phrase.lower()
        except ValueError:
            return f"http {status}" if status else "no message"
    return said[:300]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait: `Retry-After` (seconds or an HTTP date), else `RateLimit-Reset`
    (epoch seconds)."""
    value = headers.get("Retry-After")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            try:
                return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
            except (TypeError, ValueError):
                pass
    reset = headers.get("RateLimit-Reset")
    if reset:
        try:
            return max(0.0, float(reset) - time.time())
        except ValueError:
            pass
    return None
