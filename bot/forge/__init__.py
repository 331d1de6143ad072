"""The forge port: where pull requests are opened, reviewed and merged.

Adapters: `LocalForge` (pull requests are branches of the local bare policy repository;
their metadata lives in the store). GitHub, GitLab and Gitea adapters plug in here.
"""

from __future__ import annotations

from typing import Protocol

from bot.core.errors import ConfigError
from bot.core.types import Author, Change
from bot.repo.git import PolicyRepo


class Forge(Protocol):
    """Publishes a change's branch as a pull request and merges it."""

    def open(self, change: Change) -> str:
        """Publish `change.head_sha` as branch `change.branch`; returns the pull request's URL."""
        ...

    def update(self, change: Change, old_head: str) -> None:
        """Move the branch to a rebuilt `change.head_sha`."""
        ...

    def merge(self, change: Change, message: str, committer: Author) -> str:
        """Merge the branch into main with a merge commit; returns main's new commit.

        Raises bot.core.errors.Conflict when main moved meanwhile (the caller replays).
        """
        ...

    def close(self, change: Change) -> None:
        """Close the pull request and delete its branch."""
        ...


def build(kind: str, repo: PolicyRepo) -> Forge:
    from bot.forge.local import LocalForge

    match kind:
        case "local":
            return LocalForge(repo)
    raise ConfigError(f"unknown forge kind {kind!r}")
