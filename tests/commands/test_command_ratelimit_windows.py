"""/ratelimit: windows from 50ms to 24h.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from commands import grammar
from policies.intents import RateLimit
from tests.commands.explained import assert_explained


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
