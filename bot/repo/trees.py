"""Git tree objects in Python, so a commit rewrites only the trees on the paths it
changes instead of loading the whole repository into an index.

A `Tree` keeps each entry's raw bytes under git's sort key, in the order git wrote them;
editing a few entries of a large folder and writing it back costs little more than a
copy. Pure: `bot.repo.git` reads and stores the objects.

Example:
    tree = Tree(raw_tree)
    tree.put("svc-new.yaml", FILE, blob_id)
    data = tree.serialise(); tree_id = object_id("tree", data)
"""

from __future__ import annotations

import hashlib
import re

FILE = "100644"
TREE = "40000"

_RECORD = re.compile(rb"([0-7]+) ([^\0]*)\0(.{20})", re.DOTALL)


def _name(name: str) -> bytes:
    return name.encode("utf-8", errors="surrogateescape")


class Tree:
    """The entries of one tree object, editable by name."""

    def __init__(self, data: bytes = b"") -> None:
        # git orders entries by name, a folder as if its name ended in "/"
        self._records: dict[bytes, bytes] = {}
        for match in _RECORD.finditer(data):
            mode, name = match.group(1), match.group(2)
            self._records[name + b"/" if mode == TREE.encode() else name] = match.group(0)
        self._sorted = True

    def __bool__(self) -> bool:
        return bool(self._records)

    def mode(self, name: str) -> str | None:
        """The mode of the entry `name` (FILE, TREE, …); None when absent."""
        raw = _name(name)
        if raw + b"/" in self._records:
            return TREE
        record = self._records.get(raw)
        return record.split(b" ", 1)[0].decode() if record is not None else None

    def put(self, name: str, mode: str, oid: str) -> None:
        raw = _name(name)
        key = raw + b"/" if mode == TREE else raw
        if key not in self._records:  # a new entry (or a file becoming a folder): re-sort
            self.remove(name)
            self._sorted = False
        self._records[key] = mode.encode() + b" " + raw + b"\0" + bytes.fromhex(oid)

    def remove(self, name: str) -> None:
        raw = _name(name)
        self._records.pop(raw, None)
        self._records.pop(raw + b"/", None)

    def serialise(self) -> bytes:
        if self._sorted:  # replaced and removed entries keep git's order
            return b"".join(self._records.values())
        return b"".join(self._records[key] for key in sorted(self._records))


def object_id(kind: str, data: bytes) -> str:
    """The SHA-1 object id git gives `data` as an object of `kind`."""
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


def ancestors(path: str) -> list[str]:
    """`a/b/c.yaml` → ["", "a", "a/b"]: the folders whose trees a change to it rewrites."""
    parts = path.split("/")[:-1]
    return ["", *("/".join(parts[:i]) for i in range(1, len(parts) + 1))]


def split(path: str) -> tuple[str, str]:
    folder, _, name = path.rpartition("/")
    return folder, name
