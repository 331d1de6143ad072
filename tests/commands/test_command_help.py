"""Help is generated from the registry: the list of commands and each command's page."""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from commands import docs
from commands.help import help_text
from commands.spec import CommandSpec


def test_general_help_lists_every_command_with_usage_summary_and_aliases() -> None:
    text = help_text()
    for spec in commands.REGISTRY:
        line = next(line for line in text.splitlines() if spec.usage in line)
        assert spec.summary in line
        assert all(alias in line for alias in spec.aliases)


def test_general_help_has_one_line_per_command() -> None:
    lines = [
        line for line in help_text().splitlines() if line.lstrip().startswith("/") and " — " in line
    ]
    assert len(lines) == len(commands.REGISTRY)


@pytest.mark.parametrize("spec", commands.REGISTRY, ids=lambda spec: spec.name)
def test_command_help_shows_usage_summary_aliases_and_examples(spec: CommandSpec) -> None:
    text = help_text(spec.name)
    assert text.splitlines()[0] == spec.usage
    assert spec.summary in text
    for part in (*spec.aliases, *spec.examples):
        assert part in text


def test_a_description_that_wraps_is_shown_whole() -> None:
    parts = docs.read("/x <id> — one change in full: the diff, the\nverdict and who approves.\n"
                      "\nAlias: 叉\n")
    assert parts.usage == "/x <id>"
    assert parts.summary == "one change in full: the diff, the verdict and who approves"
    assert parts.aliases == ("叉",)


@pytest.mark.parametrize("name, ending", [("show", "who may still approve"),
                                          ("events", "and calling service"),
                                          ("changes", "the change history")])
def test_general_help_ends_each_description_where_its_sentence_ends(name: str,
                                                                     ending: str) -> None:
    spec = commands.lookup(name)
    assert spec is not None
    line = next(line for line in help_text().splitlines() if line.lstrip().startswith(spec.usage))
    assert line.split(" — ", 1)[1].split(" (alias")[0].endswith(ending)


def test_canary_help_shows_its_examples() -> None:
    text = help_text("canary")
    assert "/canary svc-user 20%" in text and "灰度" in text


def test_help_by_alias_is_the_same_page() -> None:
    assert help_text("灰度") == help_text("canary")


def test_help_for_an_unknown_name_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        help_text("ratelimt")
    assert '"ratelimit"' in caught.value.problem
