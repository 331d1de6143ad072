"""/fault: the on and off forms, time-boxed examples, and no fault on 0% of requests.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from policies.intents import Fault
from tests.commands.explained import assert_explained


def test_fault_usage_shows_for_on_both_kinds_and_on_and_off() -> None:
    spec = commands.lookup("fault")
    assert spec is not None
    assert spec.usage == (
        "/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | abort off | "
         "delay off | on | off"
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
        ("/fault svc-user abort off", Fault("svc-user", "off", part="abort")),
        ("/fault svc-user delay OFF", Fault("svc-user", "off", part="delay")),
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
