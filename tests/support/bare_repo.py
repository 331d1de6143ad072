"""A bare git repository as a fake forge's storage, driven with git plumbing only.

A fake forge server (`fake_gitea.FakeGitea`) keeps its branches here: what people push
becomes real commits (`hash-object`, a temporary index, `write-tree`, `commit-tree`), and
merges are real `--no-ff` merge commits (`merge-tree --write-tree`, git >= 2.38). Refs move
with `update-ref <new> <old>`, so a ref that moved meanwhile makes the update fail.

Example:
    repo = BareRepo(tmp_path / "policy.git")
    sha = repo.commit_files("change/1-svc-user", {"svc-user.yaml": "weight: 20\\n"}, "alice")
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

ZERO = "0" * 40


class GitError(RuntimeError):
    """A git command failed."""


class BareRepo:
    def __init__(self, git_dir: Path) -> None:
        self.git_dir = Path(git_dir)

    def run(self, *args: str, env: dict[str, str] | None = None, text: str | None = None) -> str:
        done = subprocess.run(["git", "--git-dir", str(self.git_dir), *args], input=text,
                              capture_output=True, text=True, check=False,
                              env={**os.environ, **(env or {})})
        if done.returncode != 0:
            raise GitError(f"git {' '.join(args)}: {done.returncode}: {done.stderr.strip()}")
        return done.stdout.strip()

    def commit(self, ref: str) -> str | None:
        """The full commit id `ref` names, or None."""
        try:
            return self.run("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except GitError:
            return None

    def head(self, branch: str) -> str | None:
        return self.commit(f"refs/heads/{branch}")

    def parent(self, sha: str) -> str | None:
        return self.commit(f"{sha}^1") if sha else None

    def describe(self, sha: str) -> dict[str, Any]:
        """A commit as Gitea's webhook payloads show it (PayloadCommit)."""
        fields = self.run("show", "-s", "--format=%an%n%ae%n%cn%n%ce%n%cI%n%B", sha).split("\n")
        author, email, committer, committer_email, when = fields[:5]
        return {"id": sha, "message": "\n".join(fields[5:]).strip() + "\n",
                "author": {"name": author, "email": email, "username": author},
                "committer": {"name": committer, "email": committer_email,
                              "username": committer},
                "timestamp": when}

    def commit_files(self, branch: str, files: dict[str, str | None], author: str,
                     message: str = "edit") -> str:
        """Commit `files` (path → text, None deletes) on `branch`, created from main when
        absent, as `author` pushing would; returns the new commit."""
        old = self.head(branch)
        parent = old or self.head("main")
        with tempfile.TemporaryDirectory() as scratch:
            env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
            if parent:
                self.run("read-tree", parent, env=env)
            for path, text in files.items():
                if text is None:
                    self.run("update-index", "--force-remove", path, env=env)
                else:
                    blob = self.run("hash-object", "-w", "--stdin", text=text)
                    self.run("update-index", "--add", "--cacheinfo", f"100644,{blob},{path}",
                             env=env)
            tree = self.run("write-tree", env=env)
        person = _person(author, author)
        sha = self.run("commit-tree", tree, *(["-p", parent] if parent else []), "-m", message,
                       env=person)
        self.set_ref(branch, sha, old)
        return sha

    def merge_tree(self, base: str, head: str) -> str | None:
        """The tree of merging `head` into `base`; None when they conflict."""
        try:
            return self.run("merge-tree", "--write-tree", base, head).splitlines()[0].strip()
        except GitError:
            return None

    def merge_commit(self, tree: str, base: str, head: str, message: str, login: str) -> str:
        return self.run("commit-tree", tree, "-p", base, "-p", head, "-m", message,
                        env=_person(login, login))

    def set_ref(self, branch: str, new: str, old: str | None) -> None:
        """Move `branch` to `new` only from `old` (None: only when it does not exist)."""
        self.run("update-ref", f"refs/heads/{branch}", new, old or ZERO)


def _person(author: str, committer: str) -> dict[str, str]:
    return {"GIT_AUTHOR_NAME": author, "GIT_AUTHOR_EMAIL": f"{author}@noreply.localhost",
            "GIT_COMMITTER_NAME": committer,
            "GIT_COMMITTER_EMAIL": f"{committer}@noreply.localhost"}
