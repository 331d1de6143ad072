"""A fault's time box: it covers the whole section, survives the other half, and a half
added after it needs a new one."""

from __future__ import annotations

import pytest

from bot.core.errors import InvalidDocument, UserError
from policies.edit import apply
from policies.intents import Fault, resolve
from tests.policies.sequence import LATER, NOW, run, spec

ABORT = Fault("svc-user", "abort", 10, http_status=503, duration="30m")


def test_adding_a_delay_keeps_the_abort_time_boxed() -> None:
    text, edit = run([ABORT, Fault("svc-user", "delay", 5, delay="2s")])
    assert edit.summary == (
        "fault svc-user delay 2s 5% (until 2026-11-27 10:30:00 UTC); the fault now holds "
        "abort 503 10% and delay 2s 5%, both until 2026-11-27 10:30:00 UTC")
    assert spec(text)["fault"] == {
        "enabled": True, "abort": {"httpStatus": 503, "percent": 10},
        "delay": {"fixed": "2s", "percent": 5}, "expires": "2026-11-27T10:30:00Z"}


def test_for_sets_the_window_of_the_whole_section() -> None:
    text, edit = run([ABORT, Fault("svc-user", "delay", 5, delay="2s", duration="2h")])
    assert edit.summary == (
        "fault svc-user delay 2s 5% for 2h (until 2026-11-27 12:00:00 UTC); the fault now "
        "holds abort 503 10% and delay 2s 5%, both until 2026-11-27 12:00:00 UTC (the abort "
        "ended at 2026-11-27 10:30:00 UTC before)")
    assert spec(text)["fault"]["expires"] == "2026-11-27T12:00:00Z"
    assert spec(text)["fault"]["abort"] == {"httpStatus": 503, "percent": 10}


def test_the_same_half_again_keeps_the_window_and_changes_nothing() -> None:
    text, _ = run([ABORT])
    same = resolve(Fault("svc-user", "abort", 10, http_status=503), NOW)
    again = apply(same, text, "prod", "demo")
    assert again.after_text == text
    assert again.summary == (
        "fault svc-user already abort 503 10% (until 2026-11-27 10:30:00 UTC)")


def test_a_half_added_after_the_window_needs_a_new_one() -> None:
    text, _ = run([ABORT])
    with pytest.raises(UserError) as raised:
        apply(resolve(Fault("svc-user", "delay", 5, delay="2s"), LATER), text, "prod", "demo")
    assert "expired at 2026-11-27 10:30:00 UTC" in str(raised.value)
    assert "/fault svc-user delay 2s 5% for <d>" in str(raised.value)
    window = resolve(Fault("svc-user", "delay", 5, delay="2s", duration="10m"), LATER)
    renewed = apply(window, text, "prod", "demo")
    assert renewed.after_text is not None
    assert spec(renewed.after_text)["fault"]["expires"] == "2026-11-27T11:10:00Z"


@pytest.mark.parametrize("intent", [
    Fault("svc-user", "abort", 0, http_status=503), Fault("svc-user", "delay", 0.0, delay="1s")])
def test_a_fault_on_no_request_is_refused(intent: Fault) -> None:
    with pytest.raises(UserError) as raised:
        run([intent])
    assert "0%" in str(raised.value) and "above 0" in str(raised.value)
    assert not isinstance(raised.value, InvalidDocument)


def test_each_part_turns_off_on_its_own() -> None:
    delay = Fault("svc-user", "delay", 5, delay="1s", duration="5m")
    text, _ = run([ABORT, delay])
    no_abort = apply(Fault("svc-user", "off", part="abort"), text, "prod", "demo")
    assert no_abort.after_text is not None
    assert spec(no_abort.after_text)["fault"] == {
        "enabled": True, "delay": {"fixed": "1s", "percent": 5},
        "expires": "2026-11-27T10:05:00Z"}
    assert no_abort.summary == ("fault svc-user abort off; the fault still holds delay 1s 5% "
                                "until 2026-11-27 10:05:00 UTC")
    no_delay = apply(Fault("svc-user", "off", part="delay"), text, "prod", "demo")
    assert no_delay.after_text is not None
    assert "delay" not in spec(no_delay.after_text)["fault"]
    assert spec(no_delay.after_text)["fault"]["abort"] == {"httpStatus": 503, "percent": 10}


def test_the_last_part_off_turns_the_fault_off_and_keeps_it_for_on() -> None:
    text, _ = run([ABORT])
    off = apply(Fault("svc-user", "off", part="abort"), text, "prod", "demo")
    assert off.after_text is not None and off.summary == "fault svc-user abort off"
    assert spec(off.after_text)["fault"]["enabled"] is False
    with pytest.raises(UserError) as raised:
        apply(Fault("svc-user", "off", part="delay"), text, "prod", "demo")
    assert "no delay fault" in str(raised.value) and "abort 503 10%" in str(raised.value)


def test_a_part_turned_off_stays_off_when_another_starts() -> None:
    text, _ = run([ABORT, Fault("svc-user", "off")])
    edit = apply(resolve(Fault("svc-user", "delay", 5, delay="1s", duration="5m"), NOW),
                 text, "prod", "demo")
    assert edit.after_text is not None
    assert "abort" not in spec(edit.after_text)["fault"]
    assert edit.summary == "fault svc-user delay 1s 5% for 5m (until 2026-11-27 10:05:00 UTC)"
