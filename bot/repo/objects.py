"""`ObjectStore`: the objects of a policy repository, read and written by id.

Reads go through the repository's one `git cat-file --batch` (`bot.repo.reader`);
commits and trees are kept by id once read, since an object never changes. A path is
found by searching the trees on it (`bot.repo.trees`), never by `<commit>:<path>`, which
makes git parse a folder of 10,000 entries for each file asked for.

New blobs, trees and commits are written as git's loose objects (zlib of "<type>
<size>\\0<data>", under objects/<2 hex>/<38 hex>, placed by a link so a racing writer of
the same object is harmless), as `git hash-object -w` would write them. A repository
whose objects are not SHA-1, or that is shared between users, is written by git itself.

Used by `bot.repo.git.PolicyRepo` only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import threading
import zlib
from collections import OrderedDict
from pathlib import Path

from bot.repo import trees
from bot.repo.plumbing import GitError, run
from bot.repo.reader import ObjectReader

_TREE_CACHE_BYTES = 16 * 1024 * 1024
_KNOWN_COMMITS = 4096
_BULK = 8  # from this many names in one folder, walking its records beats searching


class ObjectStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.reader = ObjectReader(self.path)
        self._trees = TreeCache(_TREE_CACHE_BYTES)
        self._commits: dict[str, bytes] = {}  # commit id → the commit object
        # the folder a bulk read walked last, by tree id: a sync reads one folder of
        # 10,000 documents in batches, and walks its records once
        self._walked: tuple[str, dict[bytes, trees.Entry]] | None = None
        config = (self.path / "config").read_text(errors="replace").lower() \
            if (self.path / "config").is_file() else ""
        self.loose = "objectformat" not in config and "sharedrepository" not in config

    def close(self) -> None:
        self.reader.close()

    # -- reading ------------------------------------------------------------------------

    def commit(self, name: str) -> str | None:
        """The commit a full object id names (itself, or what a tag points at); None when
        there is none."""
        if name in self._commits:
            return name
        found = self._load_commit(name)
        return found[0] if found is not None else None

    def commit_bytes(self, commit: str) -> bytes:
        """The commit object of a commit id; KeyError when it is not here."""
        data = self._commits.get(commit)
        if data is None:
            found = self._load_commit(commit)
            if found is None:
                raise KeyError(f"revision {commit!r} does not exist in {self.path}")
            data = found[1]
        return data

    def root(self, commit: str) -> str:
        """The root tree id of a commit id."""
        return self.commit_bytes(commit)[5:45].decode()  # "tree <id>" opens every commit

    def parents(self, commit: str) -> list[str]:
        """The parents of a commit id; none when the commit is not here (a shallow copy)."""
        try:
            headers = self.commit_bytes(commit).split(b"\n\n", 1)[0].decode()
        except KeyError:
            return []
        return [line[7:47] for line in headers.splitlines() if line.startswith("parent ")]

    def recent(self, commit: str, limit: int) -> set[str]:
        """`commit` and about `limit` of its nearest ancestors, generation by generation."""
        seen = {commit}
        front = [commit]
        while front and len(seen) < limit:
            parents = [p for c in front for p in self.parents(c)]
            front = [p for p in dict.fromkeys(parents) if p not in seen]
            seen.update(front)
        return seen

    def tree(self, oid: str) -> bytes:
        data = self._trees.get(oid)
        if data is None:
            found = self.reader.read([oid])[0]
            if found is None or found.kind != "tree":
                raise GitError(f"reading tree {oid} in {self.path}: it is missing")
            data = found.data
            self._trees.put(oid, data)
        return data

    def entry(self, root: str, path: str) -> trees.Entry | None:
        """The entry of `path` under the tree `root`; None when absent."""
        *folders, name = path.split("/")
        oid = root
        for folder in folders:
            entry = trees.find(self.tree(oid), folder)
            if entry is None or entry.mode != trees.TREE:
                return None
            oid = entry.oid
        return trees.find(self.tree(oid), name)

    def blob_ids(self, root: str, folder: str, paths: list[str]) -> dict[str, str]:
        """path → blob id of the files among `paths`, all in `folder` under `root`."""
        oid = root
        if folder:
            entry = self.entry(root, folder)
            if entry is None or entry.mode != trees.TREE:
                return {}
            oid = entry.oid
        data = self.tree(oid)
        if len(paths) >= _BULK:
            known = self._entries(oid, data)
            found = [known.get(trees.split(p)[1].encode("utf-8", errors="surrogateescape"))
                     for p in paths]
        else:
            found = [trees.find(data, trees.split(p)[1]) for p in paths]
        return {p: e.oid for p, e in zip(paths, found, strict=True)
                if e is not None and e.mode not in (trees.TREE, "160000")}

    def _entries(self, oid: str, data: bytes) -> dict[bytes, trees.Entry]:
        """Every entry of the tree `oid` (its bytes `data`), walked once per tree."""
        walked = self._walked
        if walked is not None and walked[0] == oid:
            return walked[1]
        found = trees.entries(data)
        self._walked = (oid, found)
        return found

    def blobs(self, oids: list[str]) -> dict[str, bytes]:
        """The contents of blobs by id, in one request; missing ones left out."""
        wanted = sorted(set(oids))
        return {oid: found.data for oid, found in
                zip(wanted, self.reader.read(wanted), strict=True)
                if found is not None and found.kind == "blob"}

    def _load_commit(self, name: str) -> tuple[str, bytes] | None:
        found = self.reader.read([f"{name}^{{commit}}"])[0]
        if found is None or found.kind != "commit":
            return None
        if len(self._commits) >= _KNOWN_COMMITS:
            self._commits.clear()
        self._commits[found.oid] = found.data
        return found.oid, found.data

    # -- writing ------------------------------------------------------------------------

    def write(self, kind: str, contents: list[bytes]) -> list[str]:
        """Store objects of one kind ("blob", "tree", "commit"), byte for byte; their ids."""
        oids = [trees.object_id(kind, data) for data in contents]
        if self.loose:
            for oid, data in zip(oids, contents, strict=True):
                self._write_loose(oid, f"{kind} {len(data)}\0".encode() + data)
        else:
            stored = self._hash_objects(kind, contents)
            if stored != oids:
                raise GitError(f"writing {kind}s: git computed other object ids "
                               "(not a SHA-1 repository?)")
        for oid, data in zip(oids, contents, strict=True):  # the next read finds them here
            if kind == "tree":
                self._trees.put(oid, data)
            elif kind == "commit" and len(self._commits) < _KNOWN_COMMITS:
                self._commits[oid] = data
        return oids

    def _write_loose(self, oid: str, raw: bytes) -> None:
        folder = self.path / "objects" / oid[:2]
        target = folder / oid[2:]
        if target.exists():
            return
        folder.mkdir(exist_ok=True)
        handle, scratch = tempfile.mkstemp(prefix="tmp_obj_", dir=folder)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(zlib.compress(raw, 1))  # git's core.looseCompression
            os.chmod(scratch, 0o444)
            with contextlib.suppress(FileExistsError):  # written meanwhile: the same bytes
                os.link(scratch, target)
        finally:
            os.unlink(scratch)

    def _hash_objects(self, kind: str, contents: list[bytes]) -> list[str]:
        """Objects written by `git hash-object`, in one process (no filters)."""
        with tempfile.TemporaryDirectory(prefix="govbot-objects-") as scratch:
            files = []
            for number, data in enumerate(contents):
                file = Path(scratch) / f"{kind}-{number}"
                file.write_bytes(data)
                files.append(str(file))
            out: subprocess.CompletedProcess[bytes] = run(
                ["hash-object", "-w", "--no-filters", "-t", kind, "--stdin-paths"],
                cwd=self.path, stdin="".join(f"{f}\n" for f in files).encode(),
                env={"GIT_DIR": str(self.path)})
        return out.stdout.decode().split()


class TreeCache:
    """Tree objects by id, the least recently used dropped beyond `budget` bytes.

    Trees are immutable, so a cached one never goes stale; a folder of 10,000 services
    is about 400 kB.
    """

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._held = 0
        self._trees: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, oid: str) -> bytes | None:
        with self._lock:
            data = self._trees.get(oid)
            if data is not None:
                self._trees.move_to_end(oid)
            return data

    def put(self, oid: str, data: bytes) -> None:
        with self._lock:
            if oid in self._trees or len(data) > self._budget:
                return
            self._trees[oid] = data
            self._held += len(data)
            while self._held > self._budget:
                _oid, dropped = self._trees.popitem(last=False)
                self._held -= len(dropped)
