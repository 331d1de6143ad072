"""The shape the layers contract holds must cover the whole code base: a module of `bot/`
that no layer names would escape every import rule."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _contracts() -> list[dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    contracts: list[dict[str, object]] = config["tool"]["importlinter"]["contracts"]
    return contracts


def _named_in_layers() -> set[str]:
    layers = next(c for c in _contracts() if c["type"] == "layers")["layers"]
    assert isinstance(layers, list)
    return {name.strip() for layer in layers for name in str(layer).split("|")}


def _top_level(package: str) -> set[str]:
    folder = ROOT / package
    modules = {f"{package}.{p.stem}" for p in folder.glob("*.py") if p.stem != "__init__"}
    packages = {f"{package}.{p.name}" for p in folder.iterdir()
                if p.is_dir() and (p / "__init__.py").is_file()}
    return modules | packages


def test_every_module_of_bot_is_in_a_layer() -> None:
    named = _named_in_layers()
    missing = sorted(_top_level("bot") - named)
    assert not missing, f"add these to a layer in pyproject.toml: {missing}"
    assert {"commands", "policies"} <= named


def test_every_layer_names_a_real_module() -> None:
    real = _top_level("bot") | {"commands", "policies"}
    stale = sorted(_named_in_layers() - real)
    assert not stale, f"layers name modules that do not exist: {stale}"
