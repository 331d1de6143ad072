"""`ObjectReader`: one long-lived `git cat-file --batch` per repository.

Starting git costs milliseconds; answering one more request on a running `cat-file
--batch` costs microseconds. Objects are immutable, so a process started long ago answers
for an object id exactly what a new one would. Only object names go in (`<id>`,
`<id>^{commit}`, `<id>^{tree}`), never ref names: a ref moves, and what a long-running
process knows of refs is not promised to follow.

Thread-safe: one lock around each request and its answer. A process that died (killed,
or the repository was repacked under it) is started again and asked again; reads are
idempotent. `close` ends it; a `PolicyRepo` closes its reader when it is closed or
collected.

Example:
    reader = ObjectReader(Path("policy.git"))
    found = reader.read(["3b18e512dba79e4c8300dd08aeb37f8e728b8dad^{tree}"])[0]
    if found is not None:
        tree_id, kind, data = found
    reader.close()
"""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO, NamedTuple

from bot.repo.plumbing import GitError, environment

# A request this large is written by a helper thread while the answers are read, so
# neither side waits on a full pipe.
_INLINE_REQUEST = 16 * 1024


class Found(NamedTuple):
    oid: str
    kind: str  # "blob", "tree", "commit" or "tag"
    data: bytes


class _Lost(Exception):
    """The process ended while answering."""


class ObjectReader:
    """Objects of one repository by name, through one `git cat-file --batch`."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._owner = 0  # the process id that started it: a forked child starts its own

    @property
    def pid(self) -> int | None:
        """The running git's process id; None before the first read and after close."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def read(self, names: Sequence[str]) -> list[Found | None]:
        """Each named object (its id, type and content), in order; None where it is missing."""
        if not names:
            return []
        for name in names:
            if not name or any(c in name for c in "\n\0"):
                raise ValueError(f"reading object {name!r}: not an object name")
        request = "".join(f"{name}\n" for name in names).encode()
        with self._lock:
            try:
                return self._exchange(request, len(names))
            except _Lost:
                self._stop()
            try:  # once more, on a fresh process
                return self._exchange(request, len(names))
            except _Lost as lost:
                self._stop()
                raise GitError(f"reading objects in {self.path}: git cat-file ended") from lost

    def close(self) -> None:
        with self._lock:
            self._stop()

    # -- the process --------------------------------------------------------------------

    def _exchange(self, request: bytes, count: int) -> list[Found | None]:
        process = self._running()
        stdin, stdout = process.stdin, process.stdout
        assert stdin is not None and stdout is not None
        writer = None
        try:
            if len(request) <= _INLINE_REQUEST:
                stdin.write(request)
                stdin.flush()
            else:
                writer = threading.Thread(target=_write, args=(stdin, request), daemon=True)
                writer.start()
            return [_answer(stdout) for _ in range(count)]
        except (BrokenPipeError, ValueError) as lost:
            raise _Lost(str(lost)) from lost
        finally:
            if writer is not None:
                writer.join()

    def _running(self) -> subprocess.Popen[bytes]:
        process = self._process
        if process is not None and self._owner == os.getpid() and process.poll() is None:
            return process
        self._stop()
        self._process = subprocess.Popen(
            ["git", "cat-file", "--batch"], cwd=self.path,
            env=environment({"GIT_DIR": str(self.path)}), stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self._owner = os.getpid()
        return self._process

    def _stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        if self._owner != os.getpid():  # a forked child leaves its parent's git alone
            return
        for stream in (process.stdin, process.stdout):
            try:
                if stream is not None:
                    stream.close()
            except OSError:
                pass  # a pipe the dead process left broken
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _write(stdin: IO[bytes], request: bytes) -> None:
    try:
        stdin.write(request)
        stdin.flush()
    except (BrokenPipeError, ValueError):
        pass  # the reading side notices the end of the process


def _answer(stdout: IO[bytes]) -> Found | None:
    header = stdout.readline()
    if not header.endswith(b"\n"):
        raise _Lost("no answer")
    fields = header.split()
    if fields[-1] in (b"missing", b"ambiguous"):
        return None
    size = int(fields[2])
    data = stdout.read(size + 1)
    if len(data) != size + 1:
        raise _Lost("a cut answer")
    return Found(fields[0].decode(), fields[1].decode(), data[:size])
