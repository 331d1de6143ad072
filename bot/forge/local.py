"""`LocalForge`: pull requests as branches of the local bare policy repository.

The pull request's metadata (title, body, approvals, state) is the change record in the
store; this adapter only moves refs: `change/<N>-<svc>` on open, a `--no-ff` merge commit
on `main` on merge, and the branch deleted on merge or close. It has no reviews,
comments, statuses or pull requests of its own: every approval comes from chat.
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.change import Change
from bot.core.types import Author
from bot.forge.api import Comment, Hook, Pull, Review, StatusState, Unverified
from bot.repo.git import MAIN, PolicyRepo


class LocalForge:
    kind = "local"
    name = "the local forge"
    webhooks = False

    def __init__(self, repo: PolicyRepo) -> None:
        self._repo = repo

    def main(self) -> str:
        return self._repo.head(MAIN)

    def verify(self) -> None:
        return None

    def open(self, change: Change, body: str) -> str:
        try:
            current: str | None = self._repo.head(change.branch)
        except KeyError:
            current = None
        if current != change.head_sha:
            self._repo.set_ref(change.branch, change.head_sha, old="")
        return f"{self._repo.path}#{change.branch}"

    def update(self, change: Change, old_head: str) -> None:
        self._repo.set_ref(change.branch, change.head_sha, old=old_head)

    def merge(self, change: Change, message: str, committer: Author) -> str:
        main = self._repo.head(MAIN)
        merged = self._repo.merge(main, change.head_sha, message, committer)
        self._repo.set_ref(MAIN, merged, old=main)
        self._repo.delete_ref(change.branch)
        return merged

    def close(self, change: Change) -> None:
        self._repo.delete_ref(change.branch)

    # A local repository has no pull requests beside govbot's own branches.

    def pull_of(self, change: Change) -> Pull | None:
        return None

    def pulls(self) -> list[Pull]:
        return []

    def pull(self, number: int) -> Pull | None:
        return None

    def fetch(self, pull: Pull) -> None:
        return None

    def merge_pull(self, pull: Pull, message: str, head: str = "") -> str:
        raise NotImplementedError("the local forge has no pull requests of people")

    def close_pull(self, number: int) -> None:
        return None

    def describe(self, number: int, body: str) -> None:
        return None

    def set_status(self, sha: str, state: StatusState, description: str) -> None:
        return None

    def reviews(self, number: int) -> list[Review]:
        return []

    def comment(self, number: int, text: str) -> None:
        return None

    def comments(self, number: int) -> list[Comment]:
        return []

    def hook(self, headers: Mapping[str, str], body: bytes) -> Hook:
        raise Unverified("the local forge takes no webhooks")
