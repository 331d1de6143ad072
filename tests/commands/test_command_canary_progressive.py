"""/canary … step … every … until … [gate …], /canary … for <d>, pause and resume.

The refusals are checked for the offending part and a few key words, not exact wording.
"""

from __future__ import annotations

import pytest

import commands
from policies.intents import Canary, CanaryControl, from_json, to_json
from tests.commands.explained import assert_explained

PLAN = Canary("svc-user", "set", 10, step_by=10, every="15m", until=50)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/canary svc-user 10% step 10 every 15m until 50%", PLAN),
        ("/canary svc-user 10% step 10 every 15m until 50% gate success>=99.5% p99<500ms",
         Canary("svc-user", "set", 10, step_by=10, every="15m", until=50, gate_success=99.5,
                gate_p99="500ms")),
        ("/canary svc-user 10% step 10 every 15m until 50% gate p99<1s",
         Canary("svc-user", "set", 10, step_by=10, every="15m", until=50, gate_p99="1s")),
        ("/canary svc-user 10% step 10 every 15m until 50 gate success>=99",
         Canary("svc-user", "set", 10, step_by=10, every="15m", until=50, gate_success=99)),
        ("灰度 svc-user 0% to v3 step 25 every 1h until 100% --env prod",
         Canary("svc-user", "set", 0, version="v3", step_by=25, every="1h", until=100)),
        ("/canary svc-user 10% STEP 10 Every 15m UNTIL 50% GATE SUCCESS>=99%",
         Canary("svc-user", "set", 10, step_by=10, every="15m", until=50, gate_success=99)),
        ("/canary svc-user 20% for 30m", Canary("svc-user", "set", 20, duration="30m")),
        ("/canary svc-user 20% to v3 for 2h",
         Canary("svc-user", "set", 20, version="v3", duration="2h")),
        ("/canary svc-user pause", CanaryControl("svc-user", "pause")),
        ("灰度 svc-user resume", CanaryControl("svc-user", "resume")),
    ],
)
def test_canary_gives_this_intent(text: str, intent: Canary | CanaryControl) -> None:
    assert commands.parse(text).intent == intent


def test_a_plan_replays_from_the_store() -> None:
    intent = commands.parse(
        "/canary svc-user 10% step 10 every 15m until 50% gate success>=99.5%").intent
    assert isinstance(intent, Canary)
    assert from_json(to_json(intent)) == intent


@pytest.mark.parametrize(
    ("text", "offending", "about"),
    [
        ("/canary svc-user 10% step 10 until 50%", "until", "every"),
        ("/canary svc-user 10% step 10", "every", "missing"),
        ("/canary svc-user 10% step 10 every", "every", "missing"),
        ("/canary svc-user 10% step 10 every 15m", "until", "missing"),
        ("/canary svc-user 10% step 10 evry 15m until 50%", "evry", 'did you mean "every"'),
        ("/canary svc-user 10% step 0 every 15m until 50%", "step 0", "1 to 100"),
        ("/canary svc-user 10% step 120 every 15m until 50%", "step 120", "100"),
        ("/canary svc-user 10% step ten every 15m until 50%", "ten", "whole number"),
        ("/canary svc-user 10% step 10 every 15 until 50%", "15", "duration"),
        ("/canary svc-user 10% step 10 every 10ms until 50%", "10ms", "at least 1s"),
        ("/canary svc-user 50% step 10 every 15m until 30%", "until 30%", "start 50%"),
        ("/canary svc-user 50% step 10 every 15m until 50%", "until 50%", "not above"),
        ("/canary svc-user 10% step 10 every 15m until 120%", "120%", "above 100%"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate", "gate", "missing"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate sucess>=99%", "sucess",
         'did you mean "success"'),
        ("/canary svc-user 10% step 10 every 15m until 50% gate p95<500ms", "p95",
         'did you mean "p99"'),
        ("/canary svc-user 10% step 10 every 15m until 50% gate latency<1s", "latency",
         "gate metric"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate success>=120%", "120%",
         "0 to 100"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate success>=-1%", "-1%",
         "0 to 100"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate success<99%", "success<99%",
         ">="),
        ("/canary svc-user 10% step 10 every 15m until 50% gate p99<fast", "fast",
         "not a duration"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate p99>500ms", "p99>500ms", "<"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate success >= 99%", "success",
         "one word"),
        ("/canary svc-user 10% step 10 every 15m until 50% gate p99<1s p99<2s", "p99",
         "twice"),
        ("/canary svc-user 10% step 10 every 15m until 50% now", "now", "unexpected"),
        ("/canary svc-user 10% step 10 every 15m until 50% for 1h", "for", "together"),
        ("/canary svc-user 20% for 30m step 10", "step", "together"),
        ("/canary svc-user 20% for", "for", "missing"),
        ("/canary svc-user 20% for ever", "ever", "duration"),
        ("/canary svc-user 20% fro 30m", "fro", 'did you mean "for"'),
        ("/canary svc-user step 10 every 15m until 50%", "step", "percent first"),
        ("/canary svc-user pause now", "now", "unexpected"),
        ("/canary svc-user pasue", "pasue", 'did you mean "pause"'),
    ],
)
def test_canary_plan_refusals(text: str, offending: str, about: str) -> None:
    assert_explained(text, offending, about)
