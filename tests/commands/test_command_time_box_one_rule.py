"""Every `for <d>` (/canary, /fault, /ratelimit, /route) follows one rule with one message:
from 1s to a year, days allowed and written into documents as hours."""

from __future__ import annotations

from typing import Any

import pytest

import commands
from bot.core.errors import UsageError

COMMANDS = (
    "/canary svc-user 20% for {}",
    "/fault svc-user abort 503 10% for {}",
    "/fault svc-user delay 2s 5% for {}",
    "/ratelimit svc-user 100/1s for {}",
    "/route svc-user header user=w_shenyu -> v2 for {}",
)


def _duration(text: str) -> object:
    intent: Any = commands.parse(text).intent
    return intent.duration


def _refusal(text: str) -> str:
    with pytest.raises(UsageError) as raised:
        commands.parse(text)
    return raised.value.problem


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize(("written", "stored"), [
    ("1s", "1s"), ("30m", "30m"), ("7d", "168h"), ("1d12h", "36h"), ("1d30m", "24h30m"),
    ("365d", "8760h"), ("366d", "8784h"),
])
def test_a_time_box_takes_days_and_documents_get_hours(command: str, written: str,
                                                        stored: str) -> None:
    assert _duration(command.format(written)) == stored


@pytest.mark.parametrize("written", ["0.5s", "0.9s", "999ms", "0s", "0d"])
def test_a_too_short_time_box_gets_the_same_message_everywhere(written: str) -> None:
    problems = {_refusal(command.format(written)) for command in COMMANDS}
    assert len(problems) == 1, problems
    problem = problems.pop()
    assert f'"{written}" is not a time box' in problem, problem
    assert "from 1s to a year" in problem and "for 7d" in problem, problem


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("written", ["367d", "9000h"])
def test_a_too_long_time_box_names_the_year(command: str, written: str) -> None:
    problem = _refusal(command.format(written))
    assert f'"{written}" is too long for a time box' in problem and "a year" in problem, \
        problem
