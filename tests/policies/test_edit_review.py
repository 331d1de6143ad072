"""Edits after the review of issue #3: a fault's time box survives its other half, faults
and autoscaling come back `on`, a canary can name its version, summaries say no more
than the change, and a rate-limit window stays within Envoy's range."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.core.errors import InvalidDocument, UsageError, UserError
from policies import document
from policies.edit import Edit, apply
from policies.intents import BlueGreen, Canary, Fault, PolicyIntent, RateLimit, Scale, Timeout

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
ABORT = Fault("svc-user", "abort", 10, http_status=503, duration="30m")


def run(intents: list[PolicyIntent], text: str | None = None,
        now: datetime | None = NOW) -> tuple[str, Edit]:
    """The text after all intents, and the last edit."""
    last: Edit | None = None
    for intent in intents:
        last = apply(intent, text, "prod", "demo", now=now)
        text = last.after_text
    assert last is not None and text is not None
    return text, last


def spec(text: str) -> dict[str, Any]:
    data = document.plain(text)["spec"]
    assert isinstance(data, dict)
    return data


# -- the fault's time box ---------------------------------------------------------------

def test_adding_a_delay_keeps_the_abort_time_boxed() -> None:
    text, edit = run([ABORT, Fault("svc-user", "delay", 5, delay="2s")])
    assert edit.summary == "fault svc-user delay 2s 5% (until 10:30 UTC)"
    assert spec(text)["fault"] == {
        "enabled": True, "abort": {"httpStatus": 503, "percent": 10},
        "delay": {"fixed": "2s", "percent": 5}, "expires": "2026-11-27T10:30:00Z"}


def test_for_sets_the_window_of_the_whole_section() -> None:
    text, edit = run([ABORT, Fault("svc-user", "delay", 5, delay="2s", duration="2h")])
    assert edit.summary == "fault svc-user delay 2s 5% for 2h (until 12:00 UTC)"
    assert spec(text)["fault"]["expires"] == "2026-11-27T12:00:00Z"
    assert spec(text)["fault"]["abort"] == {"httpStatus": 503, "percent": 10}


def test_the_same_half_again_keeps_the_window_and_changes_nothing() -> None:
    text, _ = run([ABORT])
    again = apply(Fault("svc-user", "abort", 10, http_status=503), text, "prod", "demo", now=NOW)
    assert again.after_text == text
    assert again.summary == "fault svc-user already abort 503 10% (until 10:30 UTC)"


def test_a_half_added_after_the_window_needs_a_new_one() -> None:
    text, _ = run([ABORT])
    with pytest.raises(UserError) as raised:
        apply(Fault("svc-user", "delay", 5, delay="2s"), text, "prod", "demo", now=LATER)
    assert "expired at 10:30 UTC" in str(raised.value)
    assert "/fault svc-user delay 2s 5% for <d>" in str(raised.value)
    renewed = apply(Fault("svc-user", "delay", 5, delay="2s", duration="10m"), text,
                    "prod", "demo", now=LATER)
    assert renewed.after_text is not None
    assert spec(renewed.after_text)["fault"]["expires"] == "2026-11-27T11:10:00Z"


@pytest.mark.parametrize("intent", [
    Fault("svc-user", "abort", 0, http_status=503), Fault("svc-user", "delay", 0.0, delay="1s")])
def test_a_fault_on_no_request_is_refused(intent: Fault) -> None:
    with pytest.raises(UserError) as raised:
        run([intent])
    assert "0%" in str(raised.value) and "above 0" in str(raised.value)
    assert not isinstance(raised.value, InvalidDocument)


# -- on ---------------------------------------------------------------------------------

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
    assert text.startswith("the fault expired at 10:30 UTC; set a new window with /fault ")
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


# -- the canary's version ---------------------------------------------------------------

def test_a_canary_can_start_again_after_promote() -> None:
    promoted, _ = run([Canary("svc-user", "set", 50), Canary("svc-user", "promote")])
    assert spec(promoted)["versions"] == {"stable": "v2"}
    with pytest.raises(UserError) as raised:
        run([Canary("svc-user", "set", 10)], promoted)
    assert "/canary svc-user 10% to <version>" in str(raised.value)
    text, edit = run([Canary("svc-user", "set", 10, version="v3")], promoted)
    assert edit.summary == "canary svc-user 0% → 10% to v3"
    assert spec(text)["versions"] == {"stable": "v2", "canary": "v3"}
    assert spec(text)["release"] == {"strategy": "canary", "canaryWeight": 10}


def test_naming_another_canary_version_replaces_it() -> None:
    text, edit = run([Canary("svc-user", "set", 10), Canary("svc-user", "set", 20, "v3")])
    assert edit.summary == "canary svc-user 10% → 20% to v3 (canary was v2)"
    assert spec(text)["versions"] == {"stable": "v1", "canary": "v3"}
    same, again = run([Canary("svc-user", "set", 20, "v3")], text)
    assert same == text and again.summary == "canary svc-user already at 20%"


@pytest.mark.parametrize(("version", "words"), [
    ("v1", ["stable version", "another"]), ("V_3", ["'V_3'", "DNS-1123"])])
def test_a_canary_version_must_be_new_and_a_label(version: str, words: list[str]) -> None:
    with pytest.raises(UserError) as raised:
        run([Canary("svc-user", "set", 10, version)])
    for word in words:
        assert word in str(raised.value)


def test_a_version_goes_only_with_a_weight() -> None:
    with pytest.raises(UsageError):
        run([Canary("svc-user", "set", 10), Canary("svc-user", "abort", version="v3")])


def test_canary_and_bluegreen_create_the_release() -> None:
    text, edit = run([Canary("svc-user", "set", 0)])
    assert spec(text)["release"] == {"strategy": "canary", "canaryWeight": 0}
    assert edit.summary == "canary svc-user at 0%, all traffic to v1"
    text, edit = run([BlueGreen("svc-user", "switch")])
    assert spec(text)["release"] == {"strategy": "blueGreen", "active": "v2"}
    assert edit.summary == "bluegreen svc-user switch v1 → v2"


def test_other_edits_leave_the_release_unset() -> None:
    text, edit = run([Timeout("svc-user", "set", "3s"), RateLimit("svc-user", "set", 5, "1s")])
    assert "release" not in spec(text)
    assert "new document" not in edit.summary


# -- the rate-limit window --------------------------------------------------------------

@pytest.mark.parametrize(("per", "ok"), [
    ("49ms", False), ("50ms", True), ("24h", True), ("24h1ms", False), ("99999999999h", False)])
def test_a_rate_limit_window_is_between_50ms_and_24h(per: str, ok: bool) -> None:
    intent = RateLimit("svc-user", "set", 5, per)
    if ok:
        text, _ = run([intent])
        assert spec(text)["rateLimit"]["per"] == per
        return
    with pytest.raises(InvalidDocument) as raised:
        run([intent])
    assert any(p.startswith("spec.rateLimit.per:") for p in raised.value.problems)
