"""What the docs name exists: every `GOVBOT_*` setting is declared, every `govbot`
subcommand and option they show is one the command line has."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from bot.cli import main
from bot.variables import BY_NAME

ROOT = Path(__file__).resolve().parents[2]
PAGES = sorted([*(ROOT / "docs").glob("*.md"), ROOT / "README.md",
                ROOT / "repo_templates" / "default" / "README.md"])
# variables that are not govbot's settings: the policy repository's CI variable, and the
# test suite's own
NOT_SETTINGS = {"GOVBOT_PACKAGE", "GOVBOT_SCHEMA_DIR", "GOVBOT_UPDATE_GOLDEN"}
_NAME = re.compile(r"GOVBOT_[A-Z0-9_]*[A-Z0-9]\b")
# `govbot sub …` in a code span, or a line of a fenced block that starts with it
_LINE = re.compile(r"^\s*(?:\$ )?govbot ([a-z][a-z-]*(?: [a-z][a-z-]*)?)(?=\s|$)(.*)$",
                   re.MULTILINE)
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_OPTION = re.compile(r"(?<![\w-])--?[a-z][a-z-]*")


def _invocations(text: str) -> list[tuple[list[str], list[str]]]:
    found = []
    for span in re.findall(r"`([^`\n]+)`", text):
        for part in re.split(r"&&|\|\||[|;]", span):
            found += _LINE.findall(part)
    for block in _FENCE.findall(text):
        found += _LINE.findall(block)
    return [(words.split(), _OPTION.findall(rest.split("#")[0])) for words, rest in found]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_setting_a_page_names_is_declared(page: Path) -> None:
    named = set(_NAME.findall(page.read_text(encoding="utf-8")))
    unknown = sorted(named - set(BY_NAME) - NOT_SETTINGS)
    assert not unknown, f"{page.name} names settings govbot does not read: {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_govbot_invocation_a_page_shows_exists(page: Path) -> None:
    assert isinstance(main, click.Group)
    wrong = []
    for words, options in _invocations(page.read_text(encoding="utf-8")):
        command: click.Command | None = main.commands.get(words[0])
        if command is None:
            wrong.append(f"govbot {words[0]}")
            continue
        if isinstance(command, click.Group) and len(words) > 1:
            command = command.commands.get(words[1])
            if command is None:
                wrong.append(f"govbot {' '.join(words)}")
                continue
        known = {o for p in command.params for o in [*p.opts, *p.secondary_opts]}
        wrong += [f"govbot {' '.join(words)} {o}" for o in options if o not in known]
    assert not wrong, f"{page.name} shows what the command line does not have: {wrong}"
