"""Git tree objects in Python, so a commit rewrites only the trees on the paths it
changes instead of loading the whole repository into an index.

A `Tree` keeps the raw bytes git wrote. An entry is found by searching those bytes for
its name (C speed, whatever the folder holds) and replaced or removed by splicing them,
so editing one file of a folder of 10,000 costs a copy, not a parse; only a new name is
placed by walking the entries. Pure: `bot.repo.git` reads and stores the objects.

Example:
    tree = Tree(raw_tree)
    tree.put("svc-new.yaml", FILE, blob_id)
    data = tree.serialise(); tree_id = object_id("tree", data)
"""

from __future__ import annotations

import bisect
import hashlib
from typing import NamedTuple

FILE = "100644"
TREE = "40000"
# the modes git writes; an entry is recognised by its mode before " <name>\0"
_MODES = (b"100644", b"100755", b"120000", b"160000", b"40000")


class Entry(NamedTuple):
    mode: str
    oid: str
    start: int  # the record's place in the tree's bytes
    end: int


def _name(name: str) -> bytes:
    return name.encode("utf-8", errors="surrogateescape")


def find(data: bytes, name: str) -> Entry | None:
    """The entry `name` of a tree's bytes; None when absent.

    A record is `<mode> <name>\0<20-byte id>`. A hit of " <name>\0" counts when a mode
    stands before it and the previous record's name ends 21 bytes before that; only if
    no hit or more than one passes that check are the records walked one by one.
    """
    raw = _name(name)
    needle = b" " + raw + b"\0"
    hits: list[Entry] = []
    at = data.find(needle)
    while at != -1:
        for mode in _MODES:
            start = at - len(mode)
            if start >= 0 and data.startswith(mode, start) and (
                    start == 0 or (start >= 21 and data[start - 21] == 0)):
                end = at + len(needle) + 20
                if end <= len(data):
                    hits.append(Entry(mode.decode(), data[end - 20:end].hex(), start, end))
                break
        at = data.find(needle, at + 1)
    if len(hits) == 1:
        return hits[0]
    if not hits and data.find(needle) == -1:
        return None
    return entries(data).get(raw)


def entries(data: bytes) -> dict[bytes, Entry]:
    """Every entry of a tree's bytes by raw name, walking the records in order."""
    found: dict[bytes, Entry] = {}
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        end = nul + 21
        found[data[space + 1:nul]] = Entry(data[at:space].decode(), data[nul + 1:end].hex(),
                                           at, end)
        at = end
    return found


def _key(name: bytes, mode: str) -> bytes:
    # git orders entries by name, a folder as if its name ended in "/"
    return name + b"/" if mode == TREE else name


class Tree:
    """The entries of one tree object, editable by name."""

    def __init__(self, data: bytes = b"") -> None:
        self._data = data

    def __bool__(self) -> bool:
        return bool(self._data)

    def mode(self, name: str) -> str | None:
        """The mode of the entry `name` (FILE, TREE, …); None when absent."""
        entry = find(self._data, name)
        return entry.mode if entry is not None else None

    def put(self, name: str, mode: str, oid: str) -> None:
        record = mode.encode() + b" " + _name(name) + b"\0" + bytes.fromhex(oid)
        entry = find(self._data, name)
        if entry is not None and (entry.mode == TREE) == (mode == TREE):  # same place
            self._data = self._data[:entry.start] + record + self._data[entry.end:]
            return
        self.remove(name)
        known = entries(self._data)
        keys = sorted(_key(raw, e.mode) for raw, e in known.items())
        at = bisect.bisect_left(keys, _key(_name(name), mode))
        start = known[keys[at].removesuffix(b"/")].start if at < len(keys) else len(self._data)
        self._data = self._data[:start] + record + self._data[start:]

    def remove(self, name: str) -> None:
        entry = find(self._data, name)
        if entry is not None:
            self._data = self._data[:entry.start] + self._data[entry.end:]

    def serialise(self) -> bytes:
        return self._data


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
