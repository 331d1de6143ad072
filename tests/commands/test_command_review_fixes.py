"""The forms a review asked for: `/fault ... on`, time-boxed fault examples and no 0%
faults, `/scale ... on`, `/canary <svc> <p>% to <version>`, rate limit windows from 50ms
to 24h, and `/help` pages that show all of it.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

import commands
from bot.core.errors import UsageError
from commands import grammar
from commands.help import help_text
from policies.intents import Canary, Fault, Help, RateLimit, Scale, from_json, to_json


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


# /fault


def test_fault_usage_shows_for_on_both_kinds_and_on_and_off() -> None:
    spec = commands.lookup("fault")
    assert spec is not None
    assert spec.usage == (
        "/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | on | off"
    )


def test_fault_first_example_is_time_boxed() -> None:
    spec = commands.lookup("fault")
    assert spec is not None and spec.example == "/fault svc-user abort 503 10% for 30m"
    intent = commands.parse(spec.example).intent
    assert intent == Fault("svc-user", "abort", 10, http_status=503, duration="30m")


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/fault svc-user on", Fault("svc-user", "on")),
        ("/fault svc-user ON", Fault("svc-user", "on")),
        ("故障注入 svc-user on --env dev", Fault("svc-user", "on")),
        ("/fault svc-user off", Fault("svc-user", "off")),
        ("/fault svc-user abort 503 0.0001%", Fault("svc-user", "abort", 0.0001, http_status=503)),
        ("/fault svc-user delay 1s 0.5% for 1h", Fault("svc-user", "delay", 0.5, delay="1s",
                                                       duration="1h")),
    ],
)
def test_fault_gives_this_intent(text: str, intent: Fault) -> None:
    assert commands.parse(text).intent == intent


@pytest.mark.parametrize(
    "text",
    [
        "/fault svc-user abort 503 0%",
        "/fault svc-user abort 503 0",
        "/fault svc-user abort 503 0.0000% for 30m",
        "/fault svc-user delay 2s 0% for 30m",
        "/fault svc-user delay 2s 0.0%",
    ],
)
def test_fault_of_zero_percent_is_refused(text: str) -> None:
    offending = text.split()[4]
    assert_explained(text, offending, "0% fault does nothing")


def test_zero_percent_is_named_before_a_bad_time_box() -> None:
    # Words are checked in the order typed: the percent comes before `for`.
    assert_explained("/fault svc-user abort 503 0% for never", "0%", "does nothing")


@pytest.mark.parametrize(
    ("text", "offending", "about"),
    [
        ("/fault svc-user on now", "now", "unexpected"),
        ("/fault svc-user on for 30m", "for 30m", "unexpected"),
        ("/fault svc-user onn", "onn", 'did you mean "on"'),
        ("/fault svc-user start", "start", "on or off"),
    ],
)
def test_fault_on_refusals(text: str, offending: str, about: str) -> None:
    assert_explained(text, offending, about)


def test_fault_without_a_mode_names_on() -> None:
    assert_explained("/fault svc-user", "missing", "on", "off")


# /scale


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/scale svc-user on", Scale("svc-user", "on")),
        ("/scale svc-user On", Scale("svc-user", "on")),
        ("伸缩 svc-user on --env prod", Scale("svc-user", "on")),
        ("/scale svc-user off", Scale("svc-user", "off")),
        ("/scale svc-user min 2 max 10 cpu 70%", Scale("svc-user", "set", 2, 10, 70)),
    ],
)
def test_scale_gives_this_intent(text: str, intent: Scale) -> None:
    assert commands.parse(text).intent == intent


def test_scale_usage_ends_with_on_and_off() -> None:
    spec = commands.lookup("scale")
    assert spec is not None and spec.usage == "/scale <svc> min <n> max <n> cpu <p>% | on | off"


@pytest.mark.parametrize(
    ("text", "offending", "about"),
    [
        ("/scale svc-user on now", "now", "unexpected"),
        ("/scale svc-user on min 2", "min 2", "unexpected"),
        ("/scale svc-user onn", "onn", 'did you mean "on"'),
        ("/scale svc-user of", "of", 'did you mean "off"'),
        ("/scale svc-user mn 2 max 3 cpu 50%", "mn", 'did you mean "min"'),
        ("/scale svc-user mx 3 min 2 cpu 50%", "mx", 'did you mean "max"'),
    ],
)
def test_scale_on_refusals(text: str, offending: str, about: str) -> None:
    assert_explained(text, offending, about)


# /canary


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/canary svc-user 10% to v3", Canary("svc-user", "set", 10, version="v3")),
        ("/canary svc-user 0 TO v2-beta", Canary("svc-user", "set", 0, version="v2-beta")),
        ("灰度 svc-user 100% to v3 --env prod", Canary("svc-user", "set", 100, version="v3")),
        ("/canary svc-user 20%", Canary("svc-user", "set", 20)),
        ("/canary svc-user promote", Canary("svc-user", "promote")),
    ],
)
def test_canary_gives_this_intent(text: str, intent: Canary) -> None:
    assert commands.parse(text).intent == intent


def test_canary_with_a_version_replays_from_the_store() -> None:
    intent = commands.parse("/canary svc-user 10% to v3").intent
    assert isinstance(intent, Canary)
    assert from_json(to_json(intent)) == intent and to_json(intent)["version"] == "v3"


@pytest.mark.parametrize(
    ("text", "offending", "about"),
    [
        ("/canary svc-user 10% to", "to", "missing"),
        ("/canary svc-user 10% to V3", "V3", "version"),
        ("/canary svc-user 10% to v_3", "v_3", "version"),
        ("/canary svc-user 10% to 3", "3", "version"),
        ("/canary svc-user 10% too v3", "too", 'did you mean "to"'),
        ("/canary svc-user 10% to v3 v4", "v4", "unexpected"),
        ("/canary svc-user 10% now", "now", "unexpected"),
        ("/canary svc-user to v3", "to", "percent first"),
        ("/canary svc-user promote to v3", "to v3", "unexpected"),
        ("/canary svc-user abort to v3", "to v3", "unexpected"),
        ("/canary svc-user 120% to v3", "120%", "0 to 100"),
    ],
)
def test_canary_version_refusals(text: str, offending: str, about: str) -> None:
    assert_explained(text, offending, about)


def test_canary_usage_and_an_example_show_the_version() -> None:
    spec = commands.lookup("canary")
    assert spec is not None
    assert spec.usage == "/canary <svc> <0-100>% [to <version>] | promote | abort"
    with_version = [example for example in spec.examples if " to " in example]
    assert with_version
    for example in with_version:
        intent = commands.parse(example).intent
        assert isinstance(intent, Canary) and intent.version == example.split()[-1]


# /ratelimit


@pytest.mark.parametrize(
    ("rate", "per"),
    [("1/50ms", "50ms"), ("1/0.05s", "0.05s"), ("500/5s", "5s"), ("9/24h", "24h"),
     ("9/1440m", "1440m"), ("9/86400s", "86400s"), ("9/23h59m59s999ms", "23h59m59s999ms")],
)
def test_ratelimit_window_inside_the_bounds(rate: str, per: str) -> None:
    intent = commands.parse(f"/ratelimit svc-user {rate}").intent
    assert intent == RateLimit("svc-user", "set", int(rate.split("/")[0]), per)


@pytest.mark.parametrize(
    "rate",
    ["500/49ms", "500/49.9995ms", "500/0.049s", "500/1ms", "500/0s", "500/24h1ms", "500/25h",
     "500/1441m", "500/86400.001s", "500/" + "9" * 30 + "h"],
)
def test_ratelimit_window_outside_the_bounds_is_refused(rate: str) -> None:
    error = assert_explained(f"/ratelimit svc-user {rate}", grammar.show(rate), "50ms", "24h")
    assert error.example == "/ratelimit svc-user 500/5s"


def test_ratelimit_window_refusal_with_a_header_names_the_rate() -> None:
    assert_explained("/ratelimit svc-user 10/10ms header user=a", "10/10ms", "50ms")


# /help


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("fault", ("abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | on | off",
                   "/fault svc-user abort 503 10% for 30m", "/fault svc-user on")),
        ("故障注入", ("| on | off", "/fault svc-user on")),
        ("scale", ("cpu <p>% | on | off", "/scale svc-user on")),
        ("canary", ("<0-100>% [to <version>]", "/canary svc-user 10% to v3")),
        ("灰度", ("[to <version>]", "/canary svc-user 10% to v3")),
    ],
)
def test_help_page_shows_the_new_forms(name: str, parts: tuple[str, ...]) -> None:
    text = help_text(name)
    for part in parts:
        assert part in text, text


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/help fault",
         "/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | on | off"),
        ("/help scale", "/scale <svc> min <n> max <n> cpu <p>% | on | off"),
        ("帮助 灰度", "/canary <svc> <0-100>% [to <version>] | promote | abort"),
    ],
)
def test_help_command_opens_the_page_with_the_new_usage(text: str, usage: str) -> None:
    intent = commands.parse(text).intent
    assert isinstance(intent, Help) and intent.command is not None
    assert help_text(intent.command).splitlines()[0] == usage


def test_general_help_lists_the_new_usage_lines() -> None:
    text = help_text()
    assert "[for <d>] | delay <d> <p>% [for <d>] | on | off — " in text
    assert "cpu <p>% | on | off — " in text
    assert "<0-100>% [to <version>] | promote | abort — " in text


# module docstrings


@pytest.mark.parametrize("module", [commands, grammar], ids=lambda module: module.__name__)
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
