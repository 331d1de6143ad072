"""/help pages show every form of /fault, /scale and /canary.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from commands.help import help_text
from policies import kinds
from policies.intents import Help


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("fault", ("abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | abort off | "
                   "delay off | on | off",
                   "/fault svc-user abort 503 10% for 30m", "/fault svc-user on")),
        ("故障注入", ("| on | off", "/fault svc-user on")),
        ("scale", ("cpu <p>% | on | off", "/scale svc-user on")),
        ("canary", ("<0-100>% [to <version>]", "/canary svc-user 10% to v3")),
        ("灰度", ("[to <version>]", "/canary svc-user 10% to v3")),
    ],
)
def test_help_page_shows_every_form(name: str, parts: tuple[str, ...]) -> None:
    text = help_text(name)
    for part in parts:
        assert part in text, text


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/help fault",
         "/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | abort off | "
         "delay off | on | off"),
        ("/help scale", "/scale <svc> min <n> max <n> cpu <p>% | on | off"),
        ("帮助 灰度", kinds.CANARY.usage),
    ],
)
def test_help_command_opens_the_page_with_its_usage(text: str, usage: str) -> None:
    intent = commands.parse(text).intent
    assert isinstance(intent, Help) and intent.command is not None
    assert help_text(intent.command).splitlines()[0] == usage


def test_general_help_lists_every_form() -> None:
    text = help_text()
    assert "[for <d>] | delay <d> <p>% [for <d>] | abort off | delay off | on | off — " in text
    assert "cpu <p>% | on | off — " in text
    assert "| promote | abort | pause | resume — " in text
