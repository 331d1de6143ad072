"""GitHub's REST API as govbot's `ForgeApi`, over PyGithub: pull requests into main, their
reviews and conversation, the `govbot/guard` commit status, merges and webhooks.

The composition root builds it from the forge settings: the API base (https://api.github.com,
or https://<host>/api/v3 for GitHub Enterprise Server), a token and the repository
"owner/name". Only this module imports PyGithub. PyGithub's own retries are off: every
failure becomes a `ForgeError` that says whether a retry may help and after how long, and
the caller retries. PyGithub's objects are lazy here: each call is one request (a list,
one per page of 100), and the repository itself is never fetched.

Example:
    api = GitHubApi("https://api.github.com", token, "acme/policies")
    pull = api.create_pull("change/1-svc-user", "canary svc-user 0% → 20%", body)
    api.set_status(pull.head_sha, "success", "policy allows")
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.GithubObject import NotSet
from github.PullRequest import PullRequest

from bot.core.errors import ConfigError
from bot.forge.api import (
    STATUS_CONTEXT,
    Comment,
    ForgeError,
    Hook,
    Pull,
    Review,
    ReviewState,
    StatusState,
)
from bot.forge.github_hook import read_hook
from bot.repo.git import MAIN

PER_PAGE = 100                # the most GitHub gives per page
DESCRIPTION_LIMIT = 140       # GitHub refuses longer commit status descriptions
SECONDARY_WAIT = 60.0         # GitHub: without a header, wait at least a minute
LONGEST_WAIT = 3600.0         # the primary rate limit resets within the hour
REVIEW_STATES: dict[str, ReviewState] = {
    "APPROVED": "approved", "CHANGES_REQUESTED": "changes_requested",
    "COMMENTED": "commented", "DISMISSED": "dismissed"}   # PENDING is not submitted yet

T = TypeVar("T")


class GitHubApi:
    """One GitHub repository's pull requests, statuses and webhooks.

    `timeout` is per request, in whole seconds (PyGithub takes an int; 0.5 becomes 1).
    `write_interval` is the pause PyGithub keeps between two writes, as GitHub asks of
    clients that write much (0 turns it off, as tests against a local server do).
    """

    kind = "github"

    def __init__(self, url: str, token: str, repo: str, timeout: float = 10.0, *,
                 write_interval: float = 1.0) -> None:
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise ConfigError(f"github repository {repo!r} is not owner/name")
        if urlsplit(url).scheme not in ("http", "https"):
            raise ConfigError(f"github API base {url!r} is not an http(s) URL")
        if not token:
            raise ConfigError("github token is empty")
        self._token = token
        self._full_name = repo
        self._owner = owner
        self._timeout = max(1, math.ceil(timeout))
        self._host = urlsplit(url).netloc
        # lazy: no object makes a request until a field it lacks is read
        self._client = Github(
            base_url=url.rstrip("/"), auth=Auth.Token(token), timeout=self._timeout,
            user_agent="govbot", per_page=PER_PAGE, retry=None, lazy=True,
            seconds_between_requests=None, seconds_between_writes=write_interval or None)
        self._repo = self._client.get_repo(repo)

    def close(self) -> None:
        self._client.close()

    # -- pull requests -----------------------------------------------------------------

    def open_pulls(self) -> list[Pull]:
        return self._call("listing open pull requests", lambda: [
            self._pull(p) for p in self._repo.get_pulls(state="open", base=MAIN)
            if self._ours(p)])

    def find_pull(self, branch: str) -> Pull | None:
        def find() -> Pull | None:
            pulls = self._repo.get_pulls(state="open", base=MAIN, head=f"{self._owner}:{branch}")
            return next((self._pull(p) for p in pulls
                         if self._ours(p) and p.head.ref == branch), None)

        return self._call(f"looking for the pull request from {branch}", find)

    def get_pull(self, number: int) -> Pull | None:
        def get() -> Pull | None:
            pull = self._repo.get_pull(number)
            try:
                ours = self._ours(pull)     # reading a field makes the lazy object fetch
            except GithubException as error:
                if error.status == 404:
                    return None
                raise
            return self._pull(pull) if ours else None

        return self._call(f"reading pull request #{number}", get)

    def create_pull(self, branch: str, title: str, body: str) -> Pull:
        return self._call(f"opening a pull request from {branch}", lambda: self._pull(
            self._repo.create_pull(base=MAIN, head=branch, title=title, body=body)))

    def edit_pull(self, number: int, body: str) -> None:
        self._call(f"editing pull request #{number}",
                   lambda: self._repo.get_pull(number).edit(body=body))

    def close_pull(self, number: int) -> None:
        self._call(f"closing pull request #{number}",
                   lambda: self._repo.get_pull(number).edit(state="closed"))

    def merge_pull(self, number: int, head_sha: str, title: str, message: str) -> None:
        doing = f"merging pull request #{number}"
        merged = self._call(doing, lambda: self._repo.get_pull(number).merge(
            commit_title=title, commit_message=message, merge_method="merge", sha=head_sha))
        if not merged.merged:
            raise ForgeError(405, f"{doing}: {merged.message or 'not merged'}")

    # -- statuses, reviews, comments ---------------------------------------------------

    def set_status(self, sha: str, state: StatusState, description: str,
                   url: str = "") -> None:
        if len(description) > DESCRIPTION_LIMIT:
            description = description[:DESCRIPTION_LIMIT - 1] + "…"
        self._call(f"setting {STATUS_CONTEXT} on {sha[:12]}",
                   lambda: self._repo.get_commit(sha).create_status(
                       state=state, description=description, context=STATUS_CONTEXT,
                       target_url=url or NotSet))

    def reviews(self, number: int) -> list[Review]:
        def read() -> list[Review]:
            return [Review(r.user.login if r.user else "ghost", REVIEW_STATES[r.state],
                           r.commit_id or "", r.submitted_at or datetime.fromtimestamp(0, UTC))
                    for r in self._repo.get_pull(number).get_reviews()
                    if r.state in REVIEW_STATES]

        return self._call(f"reading the reviews of pull request #{number}", read)

    def comment(self, number: int, text: str) -> None:
        self._call(f"commenting on pull request #{number}",
                   lambda: self._repo.get_issue(number).create_comment(text))

    def comments(self, number: int) -> list[Comment]:
        return self._call(f"reading the comments of pull request #{number}", lambda: [
            Comment(str(c.id), c.user.login if c.user else "ghost", c.body or "", c.created_at)
            for c in self._repo.get_issue(number).get_comments()])

    def hook(self, headers: Mapping[str, str], body: bytes, secret: str) -> Hook:
        return read_hook(headers, body, secret)

    # -- translation -------------------------------------------------------------------

    def _ours(self, pull: PullRequest) -> bool:
        """Open, into main, from a branch of this repository (not a fork's namesake)."""
        head_repo = pull.head.repo
        return (pull.state == "open" and pull.base.ref == MAIN and head_repo is not None
                and head_repo.full_name.lower() == self._full_name.lower())

    @staticmethod
    def _pull(pull: PullRequest) -> Pull:
        return Pull(number=pull.number, branch=pull.head.ref, head_sha=pull.head.sha,
                    title=pull.title, author=pull.user.login if pull.user else "ghost",
                    url=pull.html_url, body=pull.body or "")

    def _call(self, doing: str, action: Callable[[], T]) -> T:
        """Run one API exchange; whatever PyGithub or requests raise becomes a ForgeError."""
        try:
            return action()
        except GithubException as error:
            raise self._refused(doing, error) from error
        except requests.Timeout as error:
            raise ForgeError(0, f"{doing}: github at {self._host} did not answer within "
                             f"{self._timeout}s", transient=True) from error
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as error:
            raise ForgeError(0, f"{doing}: cannot connect to github at {self._host}",
                             transient=True) from error
        except requests.RequestException as error:      # a bad URL, too many redirects
            raise ForgeError(0, self._clean(f"{doing}: {error}")) from error
        except json.JSONDecodeError as error:
            raise ForgeError(0, f"{doing}: github at {self._host} answered something that is "
                             "not JSON", transient=True) from error

    def _refused(self, doing: str, error: GithubException) -> ForgeError:
        status = error.status
        headers = {k.lower(): str(v) for k, v in (error.headers or {}).items()}
        message = self._clean(f"{doing}: {_forge_message(status, error.data)}")
        limited = ("retry-after" in headers or headers.get("x-ratelimit-remaining") == "0"
                   or isinstance(error, RateLimitExceededException))
        if status == 429 or (status == 403 and limited):
            wait = _wait(headers)
            return ForgeError(status, message, transient=True,
                              retry_after=SECONDARY_WAIT if wait is None else wait)
        if status >= 500:
            return ForgeError(status, message, transient=True, retry_after=_wait(headers))
        return ForgeError(status, message)

    def _clean(self, text: str) -> str:
        return text.replace(self._token, "***") if self._token else text


def _forge_message(status: int, data: Any) -> str:
    """GitHub's `message`, with the reasons a 422 lists; the HTTP phrase when there is none."""
    if not isinstance(data, dict) or not isinstance(data.get("message"), str):
        try:
            return HTTPStatus(status).phrase.lower()
        except ValueError:
            return f"github answered {status}"
    reasons = []
    for item in data.get("errors") or []:
        if isinstance(item, str):
            reasons.append(item)
        elif isinstance(item, dict):
            reasons.append(str(item.get("message") or " ".join(
                str(item[k]) for k in ("resource", "field", "code") if item.get(k))))
    text = str(data["message"])
    return f"{text}: {'; '.join(reasons)}" if reasons else text


def _wait(headers: Mapping[str, str]) -> float | None:
    """Seconds to wait, from `Retry-After` (seconds or a date) or, with the rate limit
    spent, from `X-RateLimit-Reset` (epoch seconds); None when neither says."""
    after = headers.get("retry-after", "").strip()
    if after:
        try:
            seconds = float(after)
        except ValueError:
            try:
                seconds = parsedate_to_datetime(after).timestamp() - time.time()
            except (TypeError, ValueError):
                return None
        return min(max(seconds, 0.0), LONGEST_WAIT)
    reset = headers.get("x-ratelimit-reset", "")
    if headers.get("x-ratelimit-remaining") == "0" and reset.isdigit():
        return min(max(int(reset) - time.time(), 0.0), LONGEST_WAIT)
    return None
