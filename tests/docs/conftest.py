"""Fixtures of the configuration-command tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """No GOVBOT_* or SLACK_* of the machine running the tests leaks into what is
    checked; GOVBOT_HOME is a temporary folder."""
    for name in list(os.environ):
        if name.startswith(("GOVBOT_", "SLACK_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("GOVBOT_HOME", str(tmp_path / "home"))
    yield
