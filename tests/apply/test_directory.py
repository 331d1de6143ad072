"""The directory apply target: one file per object, idempotent, pruning what a source no
longer renders and never another source's files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.apply.directory import DirectoryTarget

SOURCE = "services/dev/demo/svc-user.yaml"
OTHER = "services/dev/demo/svc-user-v2.yaml"


def _obj(kind: str, name: str, source: str = SOURCE, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "networking.istio.io/v1", "kind": kind,
            "metadata": {"name": name, "namespace": "demo",
                         "annotations": {"govbot.dev/source": source}},
            "spec": spec}


def test_writes_one_file_per_object_and_twice_changes_nothing(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    objects = [_obj("DestinationRule", "svc-user"), _obj("VirtualService", "svc-user", x=1)]
    first = target.apply("dev", "demo", SOURCE, objects)
    assert first.written == ("DestinationRule/svc-user", "VirtualService/svc-user")
    folder = tmp_path / "dev" / "demo"
    vs = folder / "virtualservice-svc-user.yaml"
    assert yaml.safe_load(vs.read_text())["spec"] == {"x": 1}
    stamp = vs.stat().st_mtime_ns
    again = target.apply("dev", "demo", SOURCE, objects)
    assert again.written == () and len(again.unchanged) == 2
    assert vs.stat().st_mtime_ns == stamp


def test_prunes_only_what_this_source_no_longer_renders(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    target.apply("dev", "demo", OTHER, [_obj("VirtualService", "svc-user-v2", OTHER)])
    target.apply("dev", "demo", SOURCE, [_obj("VirtualService", "svc-user"),
                                          _obj("EnvoyFilter", "svc-user-local-ratelimit")])
    result = target.apply("dev", "demo", SOURCE, [_obj("VirtualService", "svc-user")])
    assert result.deleted == ("envoyfilter-svc-user-local-ratelimit",)
    names = sorted(p.name for p in (tmp_path / "dev" / "demo").glob("*.yaml"))
    assert names == ["virtualservice-svc-user-v2.yaml", "virtualservice-svc-user.yaml"]
    target.apply("dev", "demo", SOURCE, [])
    names = sorted(p.name for p in (tmp_path / "dev" / "demo").glob("*.yaml"))
    assert names == ["virtualservice-svc-user-v2.yaml"]


def test_a_tree_without_an_index_is_scanned_by_annotation(tmp_path: Path) -> None:
    folder = tmp_path / "dev" / "demo"
    folder.mkdir(parents=True)
    (folder / "envoyfilter-svc-user-old.yaml").write_text(
        yaml.safe_dump(_obj("EnvoyFilter", "svc-user-old")))
    (folder / "envoyfilter-svc-user-foreign.yaml").write_text(
        yaml.safe_dump(_obj("EnvoyFilter", "svc-user-foreign", OTHER)))
    result = DirectoryTarget(tmp_path).apply("dev", "demo", SOURCE,
                                             [_obj("VirtualService", "svc-user")])
    assert result.deleted == ("envoyfilter-svc-user-old",)
    assert (folder / "envoyfilter-svc-user-foreign.yaml").is_file()
