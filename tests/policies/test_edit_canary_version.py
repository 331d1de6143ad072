"""A canary that names its version, and summaries that say no more than the change."""

from __future__ import annotations

import pytest

from bot.core.errors import UsageError, UserError
from policies.intents import BlueGreen, Canary, RateLimit, Timeout
from tests.policies.sequence import run, spec


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
