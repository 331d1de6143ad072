"""The examples in the command package's docstrings hold.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import commands
from commands import grammar


@pytest.mark.parametrize("module", [commands, grammar], ids=lambda module: module.__name__)
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
