"""`DirectoryTarget`: rendered manifests as files, for a GitOps controller to sync.

Layout: `<root>/<env>/<namespace>/<kind>-<name>.yaml`, one block-style object per file.
Writing is atomic (temp file + rename) and skipped when the bytes are already there (the
object's file and the source's index alike), so applying twice, or a `sync --full` over
an unchanged tree, writes nothing. Files that a source rendered before and no longer
renders are deleted: an index under `<root>/.index/` lists the files each source wrote, so
pruning costs the same whatever the size of the namespace. A tree without an index
(written by an older govbot) is scanned instead, matching files by their
`govbot.dev/source` annotation.

`intact` tells the rollout whether the tree still holds what was applied: `<root>/.applied`
is there once anything was applied (even when no document renders an object), and, the
first time a process asks, every file the index lists is there too. A deleted or damaged
tree makes the rollout render everything again; an intact one costs a start nothing.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.apply import Applied

SOURCE = "govbot.dev/source"
INDEX = ".index"
MARKER = ".applied"
_TAG = "tag:yaml.org,2002:"


class _Plain(Exception):
    """An object the short representation does not cover: represent it PyYAML's way."""


class _Pure(Exception):
    """An object LibYAML's emitter writes otherwise than PyYAML's (an empty key)."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's safe dumper, on LibYAML's emitter when there is one. Plain data (dicts,
    lists, str, int, bool, None: what the renderer builds) is represented without
    PyYAML's per-node dispatch; the nodes, and so the bytes, are those `yaml.safe_dump`
    gives. Anything else (a float, a value found twice, which PyYAML would anchor) goes
    the usual way."""

    def represent(self, data: Any) -> None:
        try:
            node = self._node(data, set())
        except _Plain:
            if _empty_key(data):
                raise _Pure from None
            node = self.represent_data(data)
        self.serialize(node)
        self.represented_objects: dict[int, yaml.Node] = {}
        self.object_keeper: list[Any] = []
        self.alias_key = None

    def _node(self, data: Any, seen: set[int]) -> yaml.Node:
        kind = type(data)
        if kind is str:
            return yaml.ScalarNode(_TAG + "str", data)
        if kind is dict or kind is list:
            if id(data) in seen:
                raise _Plain
            seen.add(id(data))
            if kind is list:
                return yaml.SequenceNode(_TAG + "seq", [self._node(item, seen) for item in data],
                                         flow_style=False)
            if "" in data:
                raise _Pure  # LibYAML writes `'': x` where PyYAML writes `? ''`
            return yaml.MappingNode(_TAG + "map", [(self._node(key, seen), self._node(value, seen))
                                                   for key, value in data.items()],
                                    flow_style=False)
        if kind is bool:
            return yaml.ScalarNode(_TAG + "bool", "true" if data else "false")
        if kind is int:
            return yaml.ScalarNode(_TAG + "int", str(data))
        if data is None:
            return yaml.ScalarNode(_TAG + "null", "null")
        raise _Plain

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        """PyYAML's resolution, remembered: the emitter asks it of every scalar, and
        objects repeat the same keys and values."""
        if kind is not yaml.ScalarNode:
            return super().resolve(kind, value, implicit)
        key = (value, implicit)
        tag = _RESOLVED.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_RESOLVED) < 10_000:
                _RESOLVED[key] = tag
        return tag


_RESOLVED: dict[tuple[str, tuple[bool, bool]], str] = {}


def _empty_key(data: Any) -> bool:
    if isinstance(data, dict):
        return "" in data or any(_empty_key(value) for value in data.values())
    return isinstance(data, list) and any(_empty_key(item) for item in data)


def _file_name(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def _dump(obj: dict[str, Any]) -> str:
    options: dict[str, Any] = {"sort_keys": False, "default_flow_style": False,
                               "allow_unicode": True}
    try:
        text: str = yaml.dump(obj, Dumper=_Dumper, **options)
    except _Pure:
        text = yaml.dump(obj, Dumper=yaml.SafeDumper, **options)
    return text


def _holds(path: Path, data: bytes) -> bool:
    """Whether the file at `path` holds exactly `data`."""
    try:
        with path.open("rb") as file:
            return file.read(len(data) + 1) == data
    except OSError:  # absent, a folder, unreadable: write it
        return False


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def _write_changed(path: Path, text: str) -> bool:
    """Write `text` unless the file already holds it; whether it was written."""
    data = text.encode("utf-8")
    if _holds(path, data):
        return False
    _write_atomic(path, data)
    return True


def _source_of(path: Path) -> str | None:
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(doc, dict):
        return None
    annotations = (doc.get("metadata") or {}).get("annotations") or {}
    value = annotations.get(SOURCE)
    return value if isinstance(value, str) else None


class DirectoryTarget:
    name = "directory"

    def __init__(self, root: Path) -> None:
        self.root = root
        self._checked = False  # whether this process looked at every indexed file yet

    def prepare(self, environments: Mapping[str, Any]) -> None:
        """Nothing to prepare: every environment is a folder."""

    def apply(self, env: str, namespace: str, source: str,
              objects: Sequence[dict[str, Any]], force: bool = False) -> Applied:
        # `force` means nothing here: a file has no other field managers.
        folder = self.root / env / namespace
        written: list[str] = []
        unchanged: list[str] = []
        keep: list[str] = []
        for obj in objects:
            path = folder / _file_name(obj)
            keep.append(path.name)
            label = f"{obj['kind']}/{obj['metadata']['name']}"
            (written if _write_changed(path, _dump(obj)) else unchanged).append(label)
        deleted = self._prune(folder, source, set(keep))
        self._remember(source, keep)
        self._mark()
        return Applied(tuple(written), tuple(deleted), tuple(unchanged))

    def generate_secret(self, env: str, namespace: str, name: str, keys: Sequence[str],
                        source: str) -> bool:
        """Nothing: a secret's value never goes to the rendered directory. The workloads
        read the Secret by name; the team creates it (docs/app-store.md)."""
        return False

    def purge(self, env: str, namespace: str, selector: Mapping[str, str],
              source: str) -> tuple[str, ...]:
        """Nothing: volumes are the cluster's; the GitOps controller never deletes claims
        either, so a purge there is the team's (docs/app-store.md)."""
        return ()

    def intact(self) -> bool:
        """Whether the tree holds what was applied: the marker (or, in a tree written
        before it, the index) is there, and, the first time a process asks, every file
        the index lists is there too: a start over a damaged tree renders everything
        again, while a file lost later waits for `sync --full`, as before."""
        first, self._checked = not self._checked, True
        if not ((self.root / MARKER).is_file() or (self.root / INDEX).is_dir()):
            return False
        return self._complete() if first else True

    def _mark(self) -> None:
        marker = self.root / MARKER
        if not marker.is_file():
            _write_atomic(marker, b"")

    def _complete(self) -> bool:
        """Whether every file the index lists is in its folder (one listing a folder)."""
        present: dict[Path, set[str]] = {}
        for source in self.sources():
            parts = source.split("/")
            if len(parts) != 4:
                continue
            folder = self.root / parts[1] / parts[2]
            if folder not in present:
                try:
                    present[folder] = set(os.listdir(folder))
                except OSError:
                    return False
            names = self._index(source).read_text(encoding="utf-8").split()
            if not present[folder].issuperset(names):
                return False
        return True

    def sources(self) -> list[str]:
        index = self.root / INDEX
        suffix = ".files"
        return sorted(p.relative_to(index).as_posix().removesuffix(suffix)
                      for p in index.rglob(f"*{suffix}")) if index.is_dir() else []

    def _index(self, source: str) -> Path:
        return self.root / INDEX / f"{source}.files"

    def _remember(self, source: str, names: list[str]) -> None:
        index = self._index(source)
        if names:
            _write_changed(index, "".join(f"{name}\n" for name in names))
        elif index.exists():
            index.unlink()

    def _previous(self, folder: Path, source: str) -> list[Path]:
        index = self._index(source)
        if index.is_file():
            names = index.read_text(encoding="utf-8").split()
            return [folder / name for name in names if "/" not in name]
        if (self.root / INDEX).is_dir() or not folder.is_dir():
            return []  # an indexed tree: this source wrote nothing yet
        return sorted(p for p in folder.glob("*.yaml") if _source_of(p) == source)

    def _prune(self, folder: Path, source: str, keep: set[str]) -> list[str]:
        deleted: list[str] = []
        for path in self._previous(folder, source):
            if path.name in keep or not path.is_file() or _source_of(path) != source:
                continue
            path.unlink()
            deleted.append(path.stem)
        return deleted
