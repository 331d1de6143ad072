"""/scale: setting autoscaling, and turning it on and off.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from policies.intents import Scale
from tests.commands.explained import assert_explained


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
