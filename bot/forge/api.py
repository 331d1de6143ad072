"""What a hosted forge's API adapter answers: pull requests, reviews, statuses, comments,
merges and webhooks, in govbot's own types.

A hosted forge (GitHub, GitLab, Gitea) is two halves: the git half (a bare mirror of the
remote; `bot.forge.mirror`) that every forge shares, and the API half here, which each
forge implements over its own client library. `bot.forge.remote.RemoteForge` joins them
and retries what a forge answers with a temporary failure.

An adapter translates every failure of its library into `ForgeError`:

    ForgeError(503, "service unavailable", transient=True)
    ForgeError(403, "API rate limit exceeded", transient=True, retry_after=12.0)
    ForgeError(405, "Pull Request is not mergeable")          # permanent

Example:
    api.create_pull("change/1-svc-user", "canary svc-user 0% → 20%", body)
    # Pull(number=7, branch="change/1-svc-user", head_sha="…", …)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from bot.core.errors import GovbotError

ReviewState = Literal["approved", "changes_requested", "commented", "dismissed"]
StatusState = Literal["success", "failure", "pending"]
HookEvent = Literal["pull", "review", "comment", "push", "ping", "other"]

STATUS_CONTEXT = "govbot/guard"


class ForgeError(GovbotError):
    """The forge's API refused or failed. `status` is the HTTP status (0 when there was
    no answer: a timeout, a refused connection); `transient` says a retry may succeed,
    after `retry_after` seconds when the forge said so."""

    def __init__(self, status: int, message: str, *, transient: bool = False,
                 retry_after: float | None = None) -> None:
        self.status = status
        self.message = message
        self.transient = transient
        self.retry_after = retry_after
        super().__init__(f"{status or 'no answer'}: {message}")


class Unverified(GovbotError):
    """A webhook delivery whose signature or token is wrong or missing."""


@dataclass(frozen=True)
class Pull:
    """An open pull (merge) request against main."""

    number: int
    branch: str       # the head branch, in the same repository
    head_sha: str
    title: str
    author: str       # the forge login of who opened it
    url: str          # the web page people open
    body: str = ""


@dataclass(frozen=True)
class Review:
    """One review, as the forge keeps it: the latest state a login gave on a commit."""

    login: str
    state: ReviewState
    commit: str       # the head commit the review was given on
    at: datetime


@dataclass(frozen=True)
class Comment:
    id: str           # unique per forge repository
    login: str
    text: str
    at: datetime


@dataclass(frozen=True)
class Hook:
    """A webhook delivery, verified: its id (for deduplication), what happened and to
    which pull request; a comment's text when it is one."""

    delivery: str
    event: HookEvent
    number: int | None = None
    comment: Comment | None = None


class ForgeApi(Protocol):
    """The API half of a hosted forge, for one repository (`GOVBOT_FORGE_REPO`)."""

    kind: str  # "github" | "gitlab" | "gitea": the key of people.<p>.ids in access.yaml

    def open_pulls(self) -> list[Pull]:
        """Every open pull request whose base is main."""
        ...

    def find_pull(self, branch: str) -> Pull | None:
        """The open pull request from `branch` into main, if there is one."""
        ...

    def get_pull(self, number: int) -> Pull | None:
        """An open pull request by number; None when it is closed, merged or unknown."""
        ...

    def create_pull(self, branch: str, title: str, body: str) -> Pull:
        """Open a pull request from `branch` (already pushed) into main."""
        ...

    def edit_pull(self, number: int, body: str) -> None:
        """Replace the pull request's description."""
        ...

    def close_pull(self, number: int) -> None:
        """Close without merging (no error when already closed)."""
        ...

    def merge_pull(self, number: int, head_sha: str, title: str, message: str) -> None:
        """Merge with a merge commit whose title and message are given, only while the
        head is still `head_sha`. ForgeError (405/409/422 …) when the forge refuses."""
        ...

    def set_status(self, sha: str, state: StatusState, description: str,
                   url: str = "") -> None:
        """Set the commit status `govbot/guard` (STATUS_CONTEXT) on `sha`."""
        ...

    def reviews(self, number: int) -> list[Review]:
        """Every review of the pull request, oldest first (dismissed ones as dismissed)."""
        ...

    def comment(self, number: int, text: str) -> None:
        """Add a comment (Markdown) to the pull request's conversation."""
        ...

    def comments(self, number: int) -> list[Comment]:
        """The conversation's comments, oldest first."""
        ...

    def hook(self, headers: Mapping[str, str], body: bytes, secret: str) -> Hook:
        """Verify a webhook delivery (header names lower-case) with the shared secret and
        read it; Unverified when the signature or token is wrong or missing."""
        ...
