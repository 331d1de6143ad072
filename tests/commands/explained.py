"""How a refused command must read: the offending part, the command's usage and an example.

Shared by the command tests that check refusals without asserting exact wording.
"""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError


def refusal(text: str) -> UsageError:
    with pytest.raises(UsageError) as caught:
        commands.parse(text)
    return caught.value


def assert_explained(text: str, *parts: str) -> UsageError:
    """The refusal names every part and carries the command's usage and an example."""
    error = refusal(text)
    spec = commands.lookup(text.split()[0].lstrip("/"))
    assert spec is not None
    for part in parts:
        assert part in error.problem, error.problem
    assert error.usage == spec.usage and error.example in spec.examples
    assert spec.usage in str(error) and error.example in str(error)
    return error
