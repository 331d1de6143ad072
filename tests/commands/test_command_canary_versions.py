"""/canary <svc> <p>% to <version>: a canary that names its version.

The assertions look for the offending word and a few key words, not for exact wording.
"""

from __future__ import annotations

import pytest

import commands
from policies.intents import Canary, from_json, to_json
from tests.commands.explained import assert_explained


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
    assert spec.usage.startswith("/canary <svc> <0-100>% [to <version>] ")
    with_version = [example for example in spec.examples if " to " in example]
    assert with_version
    for example in with_version:
        intent = commands.parse(example).intent
        assert isinstance(intent, Canary) and intent.version == example.split()[-1]
