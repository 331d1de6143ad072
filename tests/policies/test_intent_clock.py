"""One clock: a fault's expiry is fixed in the intent when it is resolved, so applying the
same resolved intent later, on another wall clock, writes the same document."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from policies import document
from policies.edit import apply
from policies.intents import Canary, Fault, Scale, from_json, resolve, to_json

NOW = datetime(2026, 11, 27, 10, 0, 30, 999_000, tzinfo=UTC)
TIMED = Fault("svc-user", "abort", 10, http_status=503, duration="30m")


def test_resolve_sets_the_expiry_in_rfc3339_utc_seconds() -> None:
    resolved = resolve(TIMED, NOW)
    assert resolved.expires == "2026-11-27T10:30:30Z"
    assert resolved.requested_at == "2026-11-27T10:00:30Z"
    assert TIMED.expires is None  # the intent given is not changed


def test_a_naive_clock_counts_as_utc_and_another_offset_is_converted() -> None:
    naive = resolve(TIMED, datetime(2026, 11, 27, 10, 0))
    beijing = datetime(2026, 11, 27, 18, 0, tzinfo=timezone(timedelta(hours=8)))
    assert naive.expires == "2026-11-27T10:30:00Z"
    assert resolve(TIMED, beijing).expires == "2026-11-27T10:30:00Z"


def test_other_intents_come_back_unchanged() -> None:
    scale = Scale("svc-user", "set", 2, 10, 70)
    assert resolve(scale, NOW) is scale


def test_an_untimed_canary_gets_no_end() -> None:
    canary = Canary("svc-user", "set", 20)
    assert resolve(canary, NOW) == canary


def test_a_timed_canary_ends_its_duration_after_the_request() -> None:
    canary = resolve(Canary("svc-user", "set", 20, duration="30m"), NOW)
    assert canary.expires == "2026-11-27T10:30:30Z"


def test_resolving_again_keeps_the_first_clock() -> None:
    once = resolve(TIMED, NOW)
    assert resolve(once, NOW + timedelta(hours=5)) == once


def test_expires_round_trips_through_json() -> None:
    resolved = resolve(TIMED, NOW)
    assert from_json(to_json(resolved)) == resolved
    assert to_json(resolved)["expires"] == "2026-11-27T10:30:30Z"


def test_an_older_stored_fault_without_expires_still_loads() -> None:
    stored = {k: v for k, v in to_json(TIMED).items() if k not in ("expires", "requested_at")}
    assert from_json(stored) == TIMED


def test_resolved_once_applied_at_two_wall_clock_times_gives_the_same_bytes() -> None:
    """The request's clock is far in the past of both applies; apply reads no clock."""
    resolved = resolve(TIMED, NOW)
    first = apply(resolved, None, "prod", "demo").after_text
    wall = time.monotonic_ns()
    while time.monotonic_ns() == wall:  # another wall-clock tick, however fine
        pass
    second = apply(resolved, None, "prod", "demo").after_text
    assert first is not None and second is not None
    assert first.encode() == second.encode()
    assert document.plain(first)["spec"]["fault"]["expires"] == "2026-11-27T10:30:30Z"


def test_a_replay_with_the_stored_intent_keeps_the_expiry_on_a_later_main() -> None:
    stored = to_json(resolve(TIMED, NOW))
    limited = apply(resolve(Canary("svc-user", "set", 10), NOW), None, "prod", "demo").after_text
    replayed = apply(resolve(from_json(stored), NOW + timedelta(hours=2)), limited,
                     "prod", "demo").after_text
    assert replayed is not None
    assert document.plain(replayed)["spec"]["fault"]["expires"] == "2026-11-27T10:30:30Z"


def test_an_unresolved_time_box_is_refused() -> None:
    with pytest.raises(ValueError, match="resolve"):
        apply(TIMED, None, "prod", "demo")
