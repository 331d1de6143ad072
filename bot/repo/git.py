"""`PolicyRepo`: the policy repository as a bare git repository, used through plumbing.

Nothing here checks out a working tree: files are read with `git cat-file`, commits are
built in a temporary index (`read-tree`, `update-index --cacheinfo`, `write-tree`,
`commit-tree`), merges with `git merge-tree --write-tree` (git ≥ 2.38), and refs move
with compare-and-swap `update-ref`. So the cost of a command does not grow with the
number of documents in the repository.

Called by the workflow (reading documents and rules of main, opening branches) and the
local forge (merging, deleting branches).

Example:
    repo = PolicyRepo.init(home / "policy.git", template_files, Author("govbot", "govbot@localhost"))
    text = repo.read("main", "govbot.yaml")
    sha = repo.commit(repo.head("main"), {"services/dev/demo/svc-user.yaml": "..."},
                      Author("Alice Wang", "alice@example.com"), "canary svc-user 0% → 20%")
    repo.set_ref("refs/heads/change/1-svc-user", sha)
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bot.core.types import Author

MAIN = "main"


class MergeConflict(Exception):
    """`merge-tree` found conflicting changes; the caller replays the intent instead."""


class PolicyRepo:
    """A bare git repository holding policy documents."""

    def __init__(self, path: Path) -> None:
        raise NotImplementedError

    @classmethod
    def init(cls, path: Path, files: Mapping[str, str], author: Author,
             message: str = "initial policy repository") -> PolicyRepo:
        """Create a bare repository at `path` whose `main` holds `files` (path → text)."""
        raise NotImplementedError

    @staticmethod
    def exists(path: Path) -> bool:
        """True when `path` is a git repository with a `main` branch."""
        raise NotImplementedError

    def head(self, ref: str = MAIN) -> str:
        """The commit id a branch (short name or full ref) points at; KeyError if absent."""
        raise NotImplementedError

    def read(self, rev: str, path: str) -> str | None:
        """A file's text at a commit or branch; None when the file does not exist there."""
        raise NotImplementedError

    def object_id(self, rev: str, path: str) -> str | None:
        """The blob or tree id of `path` at `rev` (cache key material); None when absent."""
        raise NotImplementedError

    def list_files(self, rev: str, prefix: str = "") -> list[str]:
        """Paths of files under `prefix` (a folder, e.g. "rego/") at `rev`, sorted."""
        raise NotImplementedError

    def read_many(self, rev: str, paths: list[str]) -> dict[str, str]:
        """Several files' texts at once (one `cat-file --batch`); absent paths are left out."""
        raise NotImplementedError

    def commit(self, parent: str, changes: Mapping[str, str | None], author: Author,
               message: str, committer: Author | None = None) -> str:
        """A new commit on top of `parent` with `changes` (path → new text, None deletes).

        Authored by `author`, committed by `committer` (default: the author). Returns its id;
        no ref moves.
        """
        raise NotImplementedError

    def merge(self, ours: str, theirs: str, message: str, committer: Author) -> str:
        """A `--no-ff` merge commit of `theirs` into `ours` (parents in that order).

        Raises MergeConflict when the trees conflict. No ref moves.
        """
        raise NotImplementedError

    def set_ref(self, ref: str, new: str, old: str | None = None) -> None:
        """Point `ref` (short branch name or full ref) at `new`.

        With `old`, only if it still points at `old` (compare-and-swap; raises
        bot.core.errors.Conflict otherwise). `old=""` means the ref must not exist yet.
        """
        raise NotImplementedError

    def delete_ref(self, ref: str) -> None:
        """Delete a branch; no error when it is already gone."""
        raise NotImplementedError

    def branches(self, prefix: str = "") -> list[str]:
        """Short branch names starting with `prefix`."""
        raise NotImplementedError

    def changed_paths(self, old: str, new: str) -> list[str]:
        """Paths that differ between two commits (`diff-tree -r --name-only`)."""
        raise NotImplementedError

    def message(self, rev: str) -> str:
        """The full commit message of `rev`."""
        raise NotImplementedError

    def parents(self, rev: str) -> list[str]:
        raise NotImplementedError

    def is_ancestor(self, ancestor: str, rev: str) -> bool:
        raise NotImplementedError
