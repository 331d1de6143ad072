"""/show gives a reviewer everything before approving; /changes is also the history."""

from __future__ import annotations

from tests.conftest import Govbot


def test_show_has_the_policy_and_manifest_diffs_verdict_and_approvers(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20% --env prod")
    govbot.one("/approve 1", user="bob")
    shown = govbot.one("/show #1", user="carol").text
    assert "#1 canary svc-user 0% → 20% (prod/demo), open, requested by alice" in shown
    assert "+    canaryWeight: 20" in shown  # the policy diff
    # each object is named by the document it comes from, as a govbot.yaml change names them
    assert "+++ b/services/prod/demo/svc-user.yaml:VirtualService/svc-user" in shown
    assert "+      weight: 20" in shown
    assert "approvals: bob (1 of 2)" in shown and "may still approve: sre" in shown
    assert "2026-11-27 10:00:00 UTC" in shown


def test_show_of_a_merged_change_shows_what_it_changed_and_no_one_left(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.one("/approve 1", user="bob")
    govbot.one("/canary svc-user 40%")
    shown = govbot.one("/show 2").text
    assert "-      weight: 20" in shown and "+      weight: 40" in shown
    assert ":DestinationRule/" not in shown  # unchanged objects are not listed
    assert "may still approve: bob, carol, dave" in shown
    assert "may still approve" not in govbot.one("/show 1").text


def test_changes_lists_history_by_state_and_age(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.one("/approve 1", user="bob")
    govbot.one("/ratelimit svc-pay 100/1s")
    govbot.one("/reject 2 not now", user="bob")
    govbot.one("/timeout svc-user 2s")
    assert [line.split(" ")[0] for line in govbot.one("/changes").text.splitlines()] == ["#3"]
    merged = govbot.one("/changes merged").text
    assert merged.startswith("#1 canary svc-user") and "merged 2026-11-27 10:00:00 UTC" in merged
    assert "rejected 2026-11-27 10:00:00 UTC: not now" in govbot.one("/changes rejected").text
    assert len(govbot.one("/changes all since 1h").text.splitlines()) == 3
    assert govbot.one("/changes merged since 30m").text.startswith("#1")
    assert govbot.one("/changes since 7d").ok
    refused = govbot.one("/changes since yesterday")
    assert not refused.ok and "example: /changes merged since 7d" in refused.text


def test_status_of_a_service_whose_first_change_is_open_names_it(govbot: Govbot) -> None:
    govbot.one("/onboard svc-new")
    status = govbot.one("/status svc-new").text
    assert "open change #1" in status and "would create it" in status
    assert "a command such as" not in status


def test_changes_keeps_to_the_env_named(govbot: Govbot) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.one("/canary svc-user 20% --env prod")
    listed = govbot.one("/changes --env prod").text.splitlines()
    assert len(listed) == 1 and "(prod/demo)" in listed[0]


def test_a_new_name_sharing_a_prefix_is_told_how_to_onboard(govbot: Govbot) -> None:
    told = govbot.one("/canary svc-cart 10%").text
    assert "/onboard svc-cart" in told and "did you mean" not in told.lower()
    typo = govbot.one("/canary svc-usr 10%").text
    assert "Did you mean svc-user?" in typo and "/onboard svc-usr" in typo
