"""A whole govbot applying to the kmock clusters (GOVBOT_APPLY=kubernetes), each
environment mapped to its cluster in govbot.yaml as a reviewed pull request would.

    the `kube_govbot` fixture is registered for every test by tests/conftest.py
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot.app import App, build
from bot.settings import Settings
from tests.conftest import FIXED_NOW, SEEDER, Govbot
from tests.support.kube import KubeClusters

CONTEXTS = {"dev": "dev-ctx", "prod": "prod-ctx"}


def settings(home: Path, kubeconfig: Path) -> Settings:
    return Settings.from_env({"GOVBOT_HOME": str(home), "GOVBOT_APPLY": "kubernetes",
                              "GOVBOT_KUBECONFIG": str(kubeconfig),
                              "GOVBOT_APPLY_BACKOFF_SECONDS": "0"})


def map_clusters(app: App, contexts: dict[str, str]) -> None:
    """Commit to main a govbot.yaml whose environments name their clusters, as a
    reviewed pull request would."""
    repo = app.repo
    old = repo.head("main")
    config = yaml.safe_load(repo.read_many(old, ["govbot.yaml"])["govbot.yaml"] or "")
    for env, context in contexts.items():
        config["environments"][env]["cluster"] = {"context": context}
    text = yaml.safe_dump(config, sort_keys=False)
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": text}, SEEDER, "map clusters"),
                 old=old)


@pytest.fixture
def kube_govbot(tmp_path: Path, clusters: KubeClusters) -> Iterator[Govbot]:
    """govbot on a fixed clock, applying to `clusters`."""
    home = tmp_path / "home"
    app = build(settings(home, clusters.kubeconfig), clock=lambda: FIXED_NOW)
    map_clusters(app, CONTEXTS)
    yield Govbot(app, home)
    app.close()
