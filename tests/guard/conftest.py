"""Fixtures of the guard tests: the template's guardrails and data as a RuleSet of main."""

from __future__ import annotations

import importlib.util

import pytest

from bot.core.types import RuleSet
from bot.guard.embedded import INSTALL_HINT

from .inputs import rego_modules, template_yaml


@pytest.fixture(scope="session", autouse=True)
def opa_engine_installed() -> None:
    if importlib.util.find_spec("opa_bindings") is None:
        pytest.fail(f"the embedded OPA engine is missing; install it with `{INSTALL_HINT}`")


@pytest.fixture
def rules() -> RuleSet:
    return RuleSet(
        key="main-1",
        modules=rego_modules(),
        config=template_yaml("govbot.yaml"),
        access=template_yaml("access.yaml"),
    )
