"""The examples in the policy modules' docstrings run as tests."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from policies import (
    document,
    drift,
    edit,
    plan,
    render,
    render_ambient,
    render_exposure,
    render_gateway,
    status,
    units,
)


@pytest.mark.parametrize("module", [document, drift, edit, plan, render, render_ambient,
                                    render_exposure, render_gateway, status, units])
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
