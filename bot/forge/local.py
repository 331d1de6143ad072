"""`LocalForge`: pull requests as branches of the local bare policy repository.

The pull request's metadata (title, body, approvals, state) is the change record in the
store; this adapter only moves refs: `change/<N>-<svc>` on open, a `--no-ff` merge commit
on `main` on merge, and the branch deleted on merge or close. It has no reviews of its
own: every approval comes from chat.
"""

from __future__ import annotations

from bot.change import Change
from bot.core.types import Approval, Author
from bot.repo.git import MAIN, PolicyRepo


class LocalForge:
    def __init__(self, repo: PolicyRepo) -> None:
        self._repo = repo

    def main(self) -> str:
        return self._repo.head(MAIN)

    def open(self, change: Change) -> str:
        self._repo.set_ref(change.branch, change.head_sha, old="")
        return f"{self._repo.path}#{change.branch}"

    def update(self, change: Change, old_head: str) -> None:
        self._repo.set_ref(change.branch, change.head_sha, old=old_head)

    def reviews(self, change: Change) -> list[Approval]:
        return []

    def merge(self, change: Change, message: str, committer: Author) -> str:
        main = self._repo.head(MAIN)
        merged = self._repo.merge(main, change.head_sha, message, committer)
        self._repo.set_ref(MAIN, merged, old=main)
        self._repo.delete_ref(change.branch)
        return merged

    def close(self, change: Change) -> None:
        self._repo.delete_ref(change.branch)
