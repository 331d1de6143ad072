"""`on` restores what `off` kept (faults, autoscaling), unless a fault's window has passed."""

from __future__ import annotations

import pytest

from bot.core.errors import UserError
from policies.intents import Fault, Scale
from tests.policies.sequence import LATER, run, spec

ABORT = Fault("svc-user", "abort", 10, http_status=503, duration="30m")


def test_fault_on_restores_the_settings() -> None:
    off, _ = run([ABORT, Fault("svc-user", "off")])
    assert spec(off)["fault"]["enabled"] is False
    on, edit = run([Fault("svc-user", "on")], off)
    assert edit.summary == "fault svc-user on"
    assert spec(on)["fault"] == {**spec(off)["fault"], "enabled": True}


def test_fault_on_after_its_window_is_refused() -> None:
    off, _ = run([ABORT, Fault("svc-user", "off")])
    with pytest.raises(UserError) as raised:
        run([Fault("svc-user", "on")], off, now=LATER)
    text = str(raised.value)
    assert text.startswith(
        "the fault expired at 2026-11-27 10:30:00 UTC; set a new window with /fault ")
    assert "/fault svc-user abort 503 10% for <d>" in text


def test_fault_on_without_a_fault_says_how_to_set_one() -> None:
    with pytest.raises(UserError, match="no fault injection to turn on"):
        run([Fault("svc-user", "on")])


def test_scale_on_restores_the_settings() -> None:
    on, _ = run([Scale("svc-user", "set", 2, 10, 70)])
    off, _ = run([Scale("svc-user", "off")], on)
    again, edit = run([Scale("svc-user", "on")], off)
    assert edit.summary == "scale svc-user on"
    assert again == on
    assert run([Scale("svc-user", "on")], on)[1].summary == "scale svc-user already on"
