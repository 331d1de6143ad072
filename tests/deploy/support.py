"""What the deployment tests share: the tools they run, the repository's deployment
files, and which environment variables govbot reads.

A tool that is missing skips the calling test with a loud reason and the install hint;
nothing here needs a container engine or a cluster. `settings_read` asks govbot itself
which variables it reads (a mapping that records every lookup `Settings.from_env` makes),
so a setting renamed in `bot/settings.py` makes the compose file and the manifests that
still set the old name fail here.

Example:
    rendered = kustomize("dev")                  # the overlay's objects, as dicts
    unknown = set(names) - settings_read(names)
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
KUSTOMIZE = ROOT / "deploy" / "kubernetes"
OVERLAYS = ("dev", "prod")
HINTS = {
    "docker-compose": "apt-get install docker-compose",
    "promtool": "apt-get install prometheus",
    "amtool": "apt-get install prometheus-alertmanager",
    "kubectl": "install kubectl (https://kubernetes.io/docs/tasks/tools/)",
}


def tool(name: str) -> str:
    """The path of a command-line tool; skips the calling test loudly when it is absent."""
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"DEPLOY TEST SKIPPED: {name} is not installed; {HINTS[name]}")
    return found


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=120,
                          check=False)


def kustomize(overlay: str) -> list[dict[str, Any]]:
    """The objects `kubectl kustomize` renders for one overlay, offline."""
    done = run(tool("kubectl"), "kustomize", str(KUSTOMIZE / "overlays" / overlay))
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj.get("kind") == kind]


def one(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = of_kind(objects, kind)
    assert len(found) == 1, f"expected one {kind}, rendered {len(found)}"
    return found[0]


class _Recording(dict[str, str]):
    """An environment that remembers every name looked up in it."""

    def __init__(self, values: Mapping[str, str]) -> None:
        super().__init__(values)
        self.read: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def settings_read(env: Mapping[str, str]) -> set[str]:
    """Every variable `Settings.from_env` looks up, with no settings and with `env` (so
    that a lookup that depends on another setting's value counts too); raises ConfigError
    when `env` is not a configuration govbot accepts."""
    names: set[str] = set()
    for values in ({}, env):
        recording = _Recording(values)
        Settings.from_env(recording)
        names |= recording.read
    return names


def govbot_names(names: Iterable[str]) -> set[str]:
    """The names meant for govbot: GOVBOT_* and Slack's own SLACK_* fallbacks."""
    return {name for name in names if name.startswith(("GOVBOT_", "SLACK_"))}
