"""Running git with a clean environment, and checking paths and revisions given to it.

Helpers of `bot.repo.git`: nothing here knows about policy documents.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path


class GitError(RuntimeError):
    """A git command failed for a reason that is not a conflict (a bug or a broken repo)."""



def run(args: list[str], *, cwd: Path, stdin: bytes | None = None, ok: tuple[int, ...] = (0,),
         env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run git with a clean environment: nothing from the system, the user or a parent git."""
    out = subprocess.run(["git", *args], cwd=cwd, input=stdin, env=environment(env),
                         capture_output=True, check=False)
    if out.returncode not in ok:
        problem = out.stderr.decode(errors="replace").strip()
        raise GitError(f"running git {args[0]} in {cwd}: {problem}")
    return out


def environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every git process: this one's, minus any `GIT_*`, plus `env`."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    clean.update(GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull, GIT_TERMINAL_PROMPT="0",
                 LC_ALL="C", **(env or {}))
    return clean


def full_ref(ref: str) -> str:
    return ref if ref.startswith("refs/") else f"refs/heads/{ref}"


def check_rev(rev: str) -> str:
    if not rev or rev.startswith("-") or any(c in rev for c in "\n\0 :"):
        raise ValueError(f"reading the policy repository: {rev!r} is not a revision")
    return rev


def check_path(path: str, *, allow_empty: bool = False) -> str:
    """Refuse paths that could leave the repository or confuse git's line protocols.

    Paths are built from DNS-1123 names upstream; this is defence in depth.
    """
    if not path and allow_empty:
        return path
    parts = path.split("/")
    if (not path or path.startswith("/") or ".." in path or "" in parts or "." in parts
            or ".git" in (p.lower() for p in parts) or any(c in path for c in "\n\r\0\\")):
        raise ValueError(f"using policy repository path {path!r}: not a plain relative path")
    return path
