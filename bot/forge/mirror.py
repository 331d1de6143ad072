"""The git half of a hosted forge: a bare mirror of the remote under `$GOVBOT_HOME`.

govbot writes commits in the mirror with plumbing (no working tree, as with the local
forge), fetches main from the remote before it judges or merges, and pushes change
branches with a lease, so a branch someone else moved is never overwritten.

The token never lands on disk, in a URL or on a command line: for http(s) remotes it is
passed to each git call through the environment as an `http.extraHeader` (HTTP basic,
which GitHub, GitLab and Gitea all accept for tokens). Failures to reach the remote are
`ForgeError(transient=True)`; a push the remote refuses because the branch moved is
`Conflict`.

Example:
    mirror = Mirror(home / "mirror.git", "https://github.com/acme/policies.git", token)
    mirror.ensure()
    main = mirror.main()                      # fetched at most every FRESH_SECONDS
    mirror.push("change/1-svc-user", head, old="")
"""

from __future__ import annotations

import base64
import threading
import time
from pathlib import Path

from bot.core.errors import Conflict
from bot.forge.api import ForgeError
from bot.repo.git import MAIN
from bot.repo.plumbing import GitError, run

FRESH_SECONDS = 2.0  # within one command, main is fetched once
ZERO = "0" * 40
# what git prints when the remote refused a push because the branch moved
_LEASE_LOST = ("stale info", "fetch first", "non-fast-forward", "already exists")


class Mirror:
    def __init__(self, path: Path, url: str, token: str = "", user: str = "govbot",
                 fresh_seconds: float = FRESH_SECONDS) -> None:
        self.path = Path(path)
        self.url = url
        self._token = token
        self._user = user
        self._fresh = fresh_seconds
        self._fetched_at = -1e9
        self._lock = threading.Lock()

    def ensure(self) -> None:
        """Create the mirror when it is missing and fetch main; ForgeError when the remote
        cannot be read (a wrong URL, a wrong token, no main)."""
        if not (self.path / "HEAD").is_file():
            self.path.mkdir(parents=True, exist_ok=True)
            run(["init", "--quiet", "--bare", "-b", MAIN, str(self.path)], cwd=self.path)
        self.main(fresh=True)

    def main(self, fresh: bool = False) -> str:
        """Main as the remote has it; fetched when the last fetch is older than
        `fresh_seconds`, or always with `fresh`."""
        with self._lock:
            if fresh or time.monotonic() - self._fetched_at > self._fresh:
                self._remote(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
                              self.url, f"+refs/heads/{MAIN}:refs/heads/{MAIN}"])
                self._fetched_at = time.monotonic()
            return self._local(f"refs/heads/{MAIN}") or ""

    def fetch(self, branch: str) -> str:
        """Fetch a branch (a pull request someone pushed) into the mirror; its head."""
        self._remote(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", self.url,
                      f"+refs/heads/{branch}:refs/heads/{branch}"])
        return self._local(f"refs/heads/{branch}") or ""

    def push(self, branch: str, sha: str, old: str) -> None:
        """Point the remote's `branch` at `sha`, only while it is at `old` ("" = absent);
        Conflict when it moved. Pushing what the branch already holds is a success, so a
        retried push is harmless."""
        ref = f"refs/heads/{branch}"
        try:
            self._remote(["push", "--quiet", "--porcelain", f"--force-with-lease={ref}:{old}",
                          self.url, f"{sha}:{ref}"])
        except _Refused as refused:
            if self.remote_head(branch) != sha:
                raise Conflict(f"{branch} moved on the remote: {refused}") from refused
        run(["update-ref", ref, sha], cwd=self.path)

    def delete(self, branch: str) -> None:
        """Delete the remote branch; no error when it is already gone."""
        ref = f"refs/heads/{branch}"
        if self.remote_head(branch):
            try:
                self._remote(["push", "--quiet", "--porcelain", self.url, f":{ref}"])
            except _Refused:
                if self.remote_head(branch):
                    raise
        run(["update-ref", "-d", ref], cwd=self.path)

    def remote_head(self, branch: str) -> str | None:
        out = self._remote(["ls-remote", "--heads", self.url, f"refs/heads/{branch}"])
        for line in out.splitlines():
            sha, _tab, ref = line.partition("\t")
            if ref == f"refs/heads/{branch}":
                return sha
        return None

    def merge_of(self, head: str, depth: int = 200) -> str | None:
        """The merge commit on main (first-parent history, newest first) whose second
        parent is `head`: where a pull request of `head` landed."""
        out = run(["rev-list", "--first-parent", "--parents", f"--max-count={depth}",
                   f"refs/heads/{MAIN}"], cwd=self.path).stdout.decode()
        for line in out.splitlines():
            commit, *parents = line.split()
            if len(parents) >= 2 and parents[1] == head:
                return commit
        return None

    # -- git --------------------------------------------------------------------------

    def _local(self, ref: str) -> str | None:
        out = run(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd=self.path,
                  ok=(0, 1))
        return out.stdout.decode().strip() or None

    def _remote(self, args: list[str]) -> str:
        """Run a git command that talks to the remote, with the token as a header."""
        env: dict[str, str] = {}
        if self._token and self.url.startswith(("http://", "https://")):
            # through the environment, not `-c`: a command line is visible to other users
            basic = base64.b64encode(f"{self._user}:{self._token}".encode()).decode()
            env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
                   "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}"}
        try:
            out = run(args, cwd=self.path, ok=(0, 1, 128), env=env)
        except GitError as error:  # git could not even start
            raise ForgeError(0, _clean(str(error), self._token), transient=True) from error
        if out.returncode == 0:
            return out.stdout.decode()
        problem = _clean(out.stderr.decode(errors="replace").strip(), self._token)
        if args[0] == "push" and any(word in (problem + out.stdout.decode())
                                     for word in _LEASE_LOST):
            raise _Refused(problem or out.stdout.decode().strip())
        if any(word in problem for word in ("not found", "does not appear to be a git",
                                            "Authentication failed", "403", "401",
                                            "couldn't find remote ref")):
            raise ForgeError(404 if "not found" in problem or "couldn't find" in problem
                             else 401, f"git {args[0]} {self.url}: {problem}")
        raise ForgeError(0, f"git {args[0]} {self.url}: {problem}", transient=True)


class _Refused(Exception):
    """The remote refused a push (the lease was lost or the ref already exists)."""


def _clean(text: str, token: str) -> str:
    return text.replace(token, "***") if token else text
