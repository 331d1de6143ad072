"""The template's default catalog, read once, and small helpers the app tests share."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from policies.apps import catalog, deployment
from policies.apps.catalog import CatalogEntry
from policies.document import plain

CATALOG_DIR = Path(__file__).resolve().parents[2] / "repo_templates" / "default" / "catalog"
DEFAULT_APPS = ("redis", "mysql", "mongodb", "rabbitmq", "nginx", "tomcat", "influxdb",
                "elasticsearch", "postgresql")


def texts() -> dict[str, str]:
    return {f"catalog/{p.name}": p.read_text(encoding="utf-8")
            for p in sorted(CATALOG_DIR.glob("*.yaml"))}


@cache
def default_catalog() -> Mapping[str, CatalogEntry]:
    entries, problems = catalog.read_all(texts())
    assert problems == []
    return entries


def entry_data(app: str) -> dict[str, Any]:
    """A fresh, plain copy of one default entry's document, to change in a test."""
    path = f"catalog/{app}.yaml"
    return copy.deepcopy(plain(texts()[path], path))


def document(app: str, name: str = "x", env: str = "prod", namespace: str = "demo",
             **options: Any) -> tuple[dict[str, Any], str]:
    """(data, path) of an AppDeployment `build` writes for the default catalog."""
    text = deployment.build(default_catalog()[app], env, namespace, name, **options)
    path = deployment.app_path(env, namespace, name)
    return plain(text, path), path


def yaml_text(data: Mapping[str, Any]) -> str:
    import io
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(dict(data), out)
    return out.getvalue()
