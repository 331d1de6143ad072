"""`DirectoryTarget`: rendered manifests as files, for a GitOps controller to sync.

Layout: `<root>/<env>/<namespace>/<kind>-<name>.yaml`, one block-style object per file.
Writing is atomic (temp file + rename) and skipped when the content is already there, so
applying twice changes nothing. Files that a source rendered before and no longer renders
are deleted: an index under `<root>/.index/` lists the files each source wrote, so pruning
costs the same whatever the size of the namespace. A tree without an index (written by an
older govbot) is scanned instead, matching files by their `govbot.dev/source` annotation.
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


def _file_name(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def _dump(obj: dict[str, Any]) -> str:
    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True)


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(tmp, path)


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
            text = _dump(obj)
            label = f"{obj['kind']}/{obj['metadata']['name']}"
            if path.is_file() and path.read_text(encoding="utf-8") == text:
                unchanged.append(label)
                continue
            _write_atomic(path, text)
            written.append(label)
        deleted = self._prune(folder, source, set(keep))
        self._remember(source, keep)
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
        return (self.root / INDEX).is_dir()

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
            _write_atomic(index, "".join(f"{name}\n" for name in names))
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
