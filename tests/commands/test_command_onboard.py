"""/onboard: options in any order, each once; versions are one or two labels."""

from __future__ import annotations

import pytest

import commands
from policies.intents import Onboard
from tests.commands.explained import assert_explained


@pytest.mark.parametrize(("text", "intent"), [
    ("/onboard svc-cart", Onboard("svc-cart")),
    ("接入 svc-cart --env dev", Onboard("svc-cart")),
    ("/onboard svc-cart account cart port 9090", Onboard("svc-cart", 9090, account="cart")),
    ("/onboard svc-cart versions v1,v2", Onboard("svc-cart", versions=("v1", "v2"))),
    ("/onboard svc-cart versions v3", Onboard("svc-cart", versions=("v3",))),
])
def test_onboard_gives_this_intent(text: str, intent: Onboard) -> None:
    assert commands.parse(text).intent == intent


@pytest.mark.parametrize(("text", "offending", "words"), [
    ("/onboard svc-cart port 70000", "70000", "port"),
    ("/onboard svc-cart port 1 port 2", "port", "twice"),
    ("/onboard svc-cart versions v1,v2,v3", "v1,v2,v3", "3 versions"),
    ("/onboard svc-cart versions v1,v1", "v1,v1", "differ"),
    ("/onboard svc-cart versions V1", "V1", "not a version"),
    ("/onboard svc-cart account Cart!", "Cart!", "service account"),
    ("/onboard svc-cart account", "account", "after account"),
    ("/onboard svc-cart colour blue", "colour", "port, versions or account"),
])
def test_onboard_explains_what_is_wrong(text: str, offending: str, words: str) -> None:
    assert_explained(text, offending, words)


def test_onboard_is_a_mutating_command_with_the_kind_usage() -> None:
    spec = commands.lookup("接入")
    assert spec is not None and spec.name == "onboard" and spec.mutating
    assert spec.usage == "/onboard <svc> [port <p>] [versions <v1>,<v2>] [account <sa>]"
