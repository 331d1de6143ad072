"""Git tree objects in Python: parse, edit, serialise — so a commit rewrites only the
trees on the paths it changes instead of loading the whole repository into an index.

Pure functions; `bot.repo.git` reads and writes the objects.

Example:
    entries = parse(raw_tree)                       # {"svc-user.yaml": ("100644", b"…20 bytes")}
    entries["svc-new.yaml"] = (FILE, bytes.fromhex(blob_id))
    data = serialise(entries); tree_id = object_id("tree", data)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping

FILE = "100644"
TREE = "40000"

Entries = dict[str, tuple[str, bytes]]


def parse(data: bytes) -> Entries:
    """`<mode> <name>\\0<20-byte id>` records → {name: (mode, id)}."""
    entries: Entries = {}
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        mode = data[at:space].decode()
        name = data[space + 1:nul].decode("utf-8", errors="surrogateescape")
        entries[name] = (mode, data[nul + 1:nul + 21])
        at = nul + 21
    return entries


def _order(item: tuple[str, tuple[str, bytes]]) -> str:
    name, (mode, _oid) = item
    return name + "/" if mode == TREE else name  # git sorts a folder as if named "name/"


def _byte_order(item: tuple[str, tuple[str, bytes]]) -> bytes:
    return _order(item).encode("utf-8", errors="surrogateescape")


def _sort_key(entries: Mapping[str, tuple[str, bytes]]) -> Callable[..., str | bytes]:
    """git orders names by bytes; for ASCII names str order is the same and cheaper."""
    return _order if all(name.isascii() for name in entries) else _byte_order


def serialise(entries: Mapping[str, tuple[str, bytes]]) -> bytes:
    return b"".join(
        mode.encode() + b" " + name.encode("utf-8", errors="surrogateescape") + b"\0" + oid
        for name, (mode, oid) in sorted(entries.items(), key=_sort_key(entries)))


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
