"""Fixtures of the Rego tests: govbot's rego/ sources and the template's data."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
import yaml

from bot.guard.embedded import INSTALL_HINT, rule_data
from bot.resources import rego_dir, template_dir


@pytest.fixture(scope="session", autouse=True)
def opa_engine_installed() -> None:
    if importlib.util.find_spec("opa_bindings") is None:
        pytest.fail(f"the embedded OPA engine is missing; install it with `{INSTALL_HINT}`")


@pytest.fixture(scope="session")
def modules() -> dict[str, str]:
    """Every Rego file of rego/, keyed by its path in a policy repository."""
    root = rego_dir()
    return {
        f"rego/{p.relative_to(root).as_posix()}": p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*.rego"))
    }


@pytest.fixture(scope="session")
def data() -> dict[str, Any]:
    """`data.govbot.config` and `data.govbot.access` from the default template."""

    def load(name: str) -> Any:
        return yaml.safe_load((template_dir() / name).read_text(encoding="utf-8"))

    return rule_data(load("govbot.yaml"), load("access.yaml"))
