"""The forge port: where main is, and where pull requests are opened, reviewed, merged.

The forge owns where main is: runners ask `main()` (fetched from the remote when there is
one) and never read the local repository's ref themselves. Approvals given on the forge
(reviews) come from `reviews()`; approvals given in chat live in the store.

Adapters: `LocalForge` (pull requests are branches of the local bare policy repository;
their metadata lives in the store). GitHub, GitLab and Gitea adapters plug in here.
"""

from __future__ import annotations

from typing import Protocol

from bot.change import Change
from bot.core.errors import ConfigError
from bot.core.types import Approval, Author
from bot.repo.git import PolicyRepo


class Forge(Protocol):
    """Publishes a change's branch as a pull request, reads its reviews, merges it."""

    def main(self) -> str:
        """The commit main points to now."""
        ...

    def open(self, change: Change) -> str:
        """Publish `change.head_sha` as branch `change.branch`; returns the pull request's URL."""
        ...

    def update(self, change: Change, old_head: str) -> None:
        """Move the branch to a rebuilt `change.head_sha` (Conflict unless it was at
        `old_head`)."""
        ...

    def reviews(self, change: Change) -> list[Approval]:
        """Approvals given on the forge to the change's current head, by person id."""
        ...

    def merge(self, change: Change, message: str, committer: Author) -> str:
        """Merge the branch into main with a merge commit; returns main's new commit.

        Raises bot.core.errors.Conflict when main moved meanwhile (the caller replays).
        """
        ...

    def close(self, change: Change) -> None:
        """Close the pull request and delete its branch."""
        ...


KINDS = ("local",)


def check_kind(kind: str) -> None:
    """ConfigError, before anything else is opened, for a forge govbot does not have."""
    if kind not in KINDS:
        raise ConfigError(f"GOVBOT_FORGE={kind!r} is not available; use "
                          f"{', '.join(repr(k) for k in KINDS)}")


def build(kind: str, repo: PolicyRepo) -> Forge:
    from bot.forge.local import LocalForge

    check_kind(kind)
    return LocalForge(repo)
