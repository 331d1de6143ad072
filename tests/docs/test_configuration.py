"""The settings are declared once (bot/variables.py), read only through the declarations,
and docs/configuration.md is what `govbot config --docs` prints from them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import configuration
from bot.core.errors import ConfigError
from bot.settings import Settings
from bot.variables import BY_NAME, VARIABLES, Environment

ROOT = Path(__file__).resolve().parents[2]
_NAME = re.compile(r"GOVBOT_[A-Z0-9_]+")


class _Recording(dict[str, str]):
    """An environment that remembers every name asked of it."""

    def __init__(self, values: dict[str, str]) -> None:
        super().__init__(values)
        self.asked: set[str] = set()

    def get(self, key: str, default: object = None) -> object:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)


def test_every_govbot_name_in_the_code_is_declared() -> None:
    found = {name for path in (ROOT / "bot").rglob("*.py")
             for name in _NAME.findall(path.read_text(encoding="utf-8"))}
    whole = sorted(n for n in found if not n.endswith("_") and n not in BY_NAME)
    prefixes = sorted(n for n in found if n.endswith("_")
                      and not any(v.startswith(n) for v in BY_NAME))
    assert not whole, f"declare these in bot/variables.py: {whole}"
    assert not prefixes, f"no declared variable starts with {prefixes}"


def test_every_declared_variable_is_read_by_the_settings(tmp_path: Path) -> None:
    environ = _Recording({"GOVBOT_HOME": str(tmp_path)})
    Settings.from_env(environ)
    unread = sorted(set(BY_NAME) - environ.asked)
    assert not unread, f"declared but never read: {unread}"


def test_an_undeclared_name_is_refused_by_the_environment() -> None:
    environment = Environment({"GOVBOT_NOT_A_SETTING": "1"})
    with pytest.raises(LookupError, match="GOVBOT_NOT_A_SETTING"):
        environment.get("GOVBOT_NOT_A_SETTING")
    assert environment.get("GOVBOT_GUARD") == "embedded"
    assert Environment({"SLACK_BOT_TOKEN": "xoxb-1"}).get("GOVBOT_SLACK_BOT_TOKEN") == "xoxb-1"


@pytest.mark.parametrize("variable", [v for v in VARIABLES if v.default],
                         ids=lambda v: v.name)
def test_a_declared_default_is_what_the_code_does_when_unset(variable: object,
                                                            tmp_path: Path) -> None:
    name, default = variable.name, variable.default  # type: ignore[attr-defined]
    base = {"GOVBOT_HOME": str(tmp_path)}
    if name == "GOVBOT_HOME":
        return  # a relative default: resolved against the working directory
    assert Settings.from_env({**base, name: default}) == Settings.from_env(base)


def test_a_value_that_is_not_a_default_changes_the_settings(tmp_path: Path) -> None:
    base = {"GOVBOT_HOME": str(tmp_path)}
    assert Settings.from_env({**base, "GOVBOT_TICK_SECONDS": "7"}) != Settings.from_env(base)


def test_the_committed_reference_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == configuration.reference(), (
        f"docs/configuration.md is out of date: run `{configuration.REGENERATE}`")


def test_the_reference_names_every_variable_and_marks_the_secrets() -> None:
    rows = {line.split("|")[1].strip(" `"): line
            for line in configuration.reference().splitlines() if line.startswith("| `")}
    assert set(rows) == set(BY_NAME)
    for variable in VARIABLES:
        assert ("**secret**" in rows[variable.name]) == variable.secret, variable.name
    assert "`SLACK_BOT_TOKEN`" in rows["GOVBOT_SLACK_BOT_TOKEN"]


def test_a_bad_value_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GOVBOT_HTTP_THREADS"):
        Settings.from_env({"GOVBOT_HOME": str(tmp_path), "GOVBOT_HTTP_THREADS": "many"})
