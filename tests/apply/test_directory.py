"""The directory apply target: one file per object, idempotent, pruning what a source no
longer renders and never another source's files."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
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


def _stamps(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under `root` (the index too): its mtime_ns and inode."""
    return {p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in root.rglob("*") if p.is_file()}


def test_applying_unchanged_objects_again_rewrites_no_file_nor_the_index(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    objects = [_obj("DestinationRule", "svc-user"), _obj("VirtualService", "svc-user", x=1)]
    target.apply("dev", "demo", SOURCE, objects)
    target.apply("dev", "demo", OTHER, [_obj("VirtualService", "svc-user-v2", OTHER)])
    before = _stamps(tmp_path)
    assert ".index/services/dev/demo/svc-user.yaml.files" in before
    again = DirectoryTarget(tmp_path).apply("dev", "demo", SOURCE, objects)
    assert again.written == () and again.deleted == ()
    assert _stamps(tmp_path) == before


def test_a_file_that_differs_is_rewritten_even_when_only_longer(tmp_path: Path) -> None:
    target = DirectoryTarget(tmp_path)
    objects = [_obj("VirtualService", "svc-user", x=1)]
    target.apply("dev", "demo", SOURCE, objects)
    vs = tmp_path / "dev" / "demo" / "virtualservice-svc-user.yaml"
    original = vs.read_bytes()
    vs.write_bytes(original + b"# edited by hand\n")
    assert target.apply("dev", "demo", SOURCE, objects).written == ("VirtualService/svc-user",)
    assert vs.read_bytes() == original


SHARED = {"attempts": 3}
ODD_TEXTS = ["yes", "no", "on", "null", "~", "", "1.0", "0x1f", "012", "1_000", "1:30",
             "2026-11-27", "true", "-", "- a", "a: b", "#x", "x #y", "*x", "&x", "!x", "@x",
             "'q'", '"q"', "ü ✓", "tab\there", "two\nlines", "trailing ", " leading",
             "x " * 60, "{a}", "[a]", "%x", "`x`", "=", "<<", "\u2028"]


@pytest.mark.parametrize("obj", [
    _obj("VirtualService", "svc-user", hosts=["svc-user.demo.svc.cluster.local"],
         http=[{"route": [{"destination": {"host": "h", "subset": "v1"}, "weight": 80}],
                "timeout": "1.5s", "match": [{"headers": {"x-user": {"exact": "ü ✓"}}}]}],
         empty={}, nothing=[], none=None, flag=True, off=False, big=2**70, negative=-1),
    _obj("EnvoyFilter", "svc-user", texts=ODD_TEXTS, keys={t: t for t in ODD_TEXTS}),
    _obj("DestinationRule", "svc-user", one=SHARED, two=SHARED),
    _obj("DestinationRule", "svc-user", ratio=0.5, small=1e-7, many=[1.0, 1e20]),
    _obj("DestinationRule", "svc-user", numbers={1: "a", False: "b", None: "c"}),
    _obj("DestinationRule", "svc-user", ratio=0.5, deep=[{"": "empty key"}]),
], ids=["usual", "odd texts", "a value twice", "floats", "keys that are not texts",
        "a float and an empty key"])
def test_files_are_written_as_pyyaml_writes_them(tmp_path: Path, obj: dict[str, Any]) -> None:
    for _ in range(2):  # the second time from what the dumper remembered
        shutil.rmtree(tmp_path / "dev", ignore_errors=True)
        DirectoryTarget(tmp_path).apply("dev", "demo", SOURCE, [obj])
        written = (tmp_path / "dev" / "demo" / _file_of(obj)).read_text("utf-8")
        assert written == yaml.dump(obj, Dumper=yaml.SafeDumper, sort_keys=False,
                                    default_flow_style=False, allow_unicode=True)


def _file_of(obj: dict[str, Any]) -> str:
    return f"{obj['kind'].lower()}-{obj['metadata']['name']}.yaml"


def test_a_tree_where_nothing_rendered_an_object_is_intact(tmp_path: Path) -> None:
    assert not DirectoryTarget(tmp_path).intact()
    DirectoryTarget(tmp_path).apply("dev", "demo", SOURCE, [])
    assert DirectoryTarget(tmp_path).intact()


def test_a_tree_missing_an_indexed_file_or_its_root_is_not_intact(tmp_path: Path) -> None:
    root = tmp_path / "rendered"
    DirectoryTarget(root).apply("dev", "demo", SOURCE, [_obj("VirtualService", "svc-user")])
    assert DirectoryTarget(root).intact()
    (root / "dev" / "demo" / "virtualservice-svc-user.yaml").unlink()
    assert not DirectoryTarget(root).intact()
    DirectoryTarget(root).apply("dev", "demo", SOURCE, [_obj("VirtualService", "svc-user")])
    assert DirectoryTarget(root).intact()
    shutil.rmtree(root / "dev")
    assert not DirectoryTarget(root).intact()
    shutil.rmtree(root)
    assert not DirectoryTarget(root).intact()
