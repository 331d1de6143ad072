"""The examples in the app store modules' docstrings run as tests."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from policies.apps import (
    catalog,
    check,
    deployment,
    listing,
    parameters,
    quantity,
    render,
    shape,
    sizing,
)


@pytest.mark.parametrize("module", [catalog, check, deployment, listing, parameters,
                                    quantity, render, shape, sizing])
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
