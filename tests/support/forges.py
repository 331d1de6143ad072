"""What every fake forge server offers the tests, whatever forge it answers as.

A fake forge (`fake_github.FakeGitHub`, `fake_gitlab.FakeGitLab`, `fake_gitea.FakeGitea`)
hosts one repository backed by a real bare git repository (`git_dir`, which is what
`GOVBOT_REPO_URL` points at) and answers its forge's REST API on 127.0.0.1. Tests act as
people on the forge through these methods, the same for every forge, so one story or
contract test runs against all of them.

`fail(operation, status, times, retry_after=None)` makes the next `times` calls of one
operation answer an error as that forge documents it:

    operation: "create_pull" | "get_pull" | "list_pulls" | "edit_pull" | "merge" |
               "reviews" | "status" | "comment" | "comments" | "close_pull"
    status:    401, 403 (rate limit, with retry_after or a reset header), 404, 405, 409,
               422, 429 (with retry_after), 500, 502, 503

Example:
    fake = FakeGitHub(bare)
    with fake.serve() as api_url:
        fake.fail("create_pull", 502, times=3)
        ...                                   # govbot opens the pull request once
        number = fake.pull_for("change/1-svc-user")["number"]
        fake.review(number, "bob", "approved")
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol


class FakeForge(Protocol):
    kind: str          # "github" | "gitlab" | "gitea"
    git_dir: Path      # the bare repository behind GOVBOT_REPO_URL
    token: str         # the API token the server accepts
    repo: str          # GOVBOT_FORGE_REPO: "owner/name" (a project path on GitLab)
    url: str           # the API base govbot is given (GOVBOT_FORGE_URL), once serving

    def serve(self) -> AbstractContextManager[str]:
        """Serve on 127.0.0.1 and a free port; yields the API base URL."""
        ...

    # -- people acting on the forge -----------------------------------------------------

    def open_pull(self, author: str, branch: str, title: str, body: str = "") -> int:
        """`author` opens a pull request from `branch` (already in git_dir) into main;
        returns its number (GitLab: the iid)."""
        ...

    def push(self, branch: str, files: dict[str, str | None], author: str,
             message: str = "edit") -> str:
        """Commit `files` (path → text, None deletes) on top of `branch` (created from
        main when absent) in git_dir, as a person pushing would; returns the commit."""
        ...

    def review(self, number: int, login: str, state: str, commit: str | None = None) -> None:
        """`login` reviews: state "approved" | "changes_requested" | "commented", on the
        pull's current head unless `commit` is given."""
        ...

    def dismiss(self, number: int, login: str) -> None:
        """Dismiss (GitLab: revoke) `login`'s latest review."""
        ...

    def add_comment(self, number: int, login: str, text: str) -> str:
        """`login` comments on the pull request; returns the comment's id."""
        ...

    def fail(self, operation: str, status: int, times: int = 1,
             retry_after: float | None = None) -> None:
        ...

    def webhook(self, event: str, number: int | None = None, *, secret: str,
                comment_id: str | None = None, delivery: str | None = None
                ) -> tuple[dict[str, str], bytes]:
        """The headers and body the forge would POST for `event` ("pull" opened or
        pushed, "review", "comment", "push" to main), signed with `secret` as the forge
        does (an empty secret: unsigned)."""
        ...

    # -- what tests check ----------------------------------------------------------------

    def pull(self, number: int) -> dict[str, Any]:
        """{"number", "state": "open"|"closed"|"merged", "title", "body", "branch",
        "head": sha, "author", "merge_commit": sha | None}"""
        ...

    def pull_for(self, branch: str) -> dict[str, Any] | None:
        """The newest pull request from `branch`, as `pull()`; None when none."""
        ...

    def statuses_of(self, sha: str) -> list[dict[str, str]]:
        """[{"context", "state": "success"|"failure"|"pending", "description"}] oldest
        first."""
        ...

    def comments_of(self, number: int) -> list[str]:
        """The texts of the pull request's comments, oldest first."""
        ...

    def count(self, operation: str) -> int:
        """How many requests of `operation` (as in `fail`) the server answered."""
        ...
