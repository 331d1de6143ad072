"""With the directory target (the embedded default) govbot reads no cluster: /drift says
where drift is seen instead, /status says nothing of it, /sync is a change like any
other, and a service without a document is refused as before."""

from __future__ import annotations

from tests.conftest import Govbot


def test_drift_says_the_directory_target_reads_no_cluster(govbot: Govbot) -> None:
    for text in ("/drift svc-user", "/drift", "漂移 --env prod"):
        answer = govbot.one(text)
        assert not answer.ok
        assert "reads no cluster" in answer.text and "GOVBOT_APPLY=kubernetes" in answer.text


def test_status_has_no_drift_line_without_a_cluster(govbot: Govbot) -> None:
    answer = govbot.one("/status svc-user")
    assert answer.ok and "drift" not in answer.text


def test_sync_is_a_reviewed_change_that_stamps_the_document(govbot: Govbot) -> None:
    opened = govbot.one("/sync svc-user")
    assert opened.ok and opened.change_id == 1, opened.text
    assert "sync svc-user: apply main again (stamp 2026-11-27T10:00:00Z)" in opened.text
    shown = govbot.one("/show 1").text
    assert "+  annotations:" in shown and "+    govbot.dev/sync: '2026-11-27T10:00:00Z'" in shown
    assert "(no object changes)" in shown
    before = sorted(p.name for p in govbot.rendered().glob("*.yaml"))
    merged = govbot.one("/approve 1", user="bob")
    assert merged.ok and "merged" in merged.text, merged.text
    assert sorted(p.name for p in govbot.rendered().glob("*.yaml")) == before
    document = govbot.git("show", "main:services/dev/demo/svc-user.yaml")
    assert "govbot.dev/sync: '2026-11-27T10:00:00Z'" in document


def test_sync_in_prod_needs_the_usual_two_approvals(govbot: Govbot) -> None:
    opened = govbot.one("/sync svc-user --env prod")
    assert opened.ok and opened.change_id, opened.text
    first = govbot.one(f"/approve {opened.change_id}", user="bob")
    assert "merged" not in first.text and "1 of 2" in first.text, first.text
    second = govbot.one(f"/approve {opened.change_id}", user="carol")
    assert "merged" in second.text, second.text


def test_sync_of_an_ungoverned_service_is_refused_with_did_you_mean(govbot: Govbot) -> None:
    answer = govbot.one("/sync svc-usr")
    assert not answer.ok and "Did you mean svc-user?" in answer.text
    assert "cluster" not in answer.text
    assert govbot.branches() == ["main"]


def test_a_command_on_an_unknown_service_is_refused_as_before(govbot: Govbot) -> None:
    answer = govbot.one("/canary billing 10%")
    assert answer.text == (
        "billing is not governed in dev/demo yet; start governing it with /onboard billing "
        "[port <p>] [versions <v1>,<v2>] [account <sa>], for example /onboard billing port "
        "8080 versions v1,v2")
    assert govbot.branches() == ["main"]


def test_onboard_keeps_its_defaults_without_a_cluster(govbot: Govbot) -> None:
    opened = govbot.one("/onboard svc-cart")
    assert opened.ok, opened.text
    assert ("onboard svc-cart: port 8080, stable version v1, canary v2, service account "
            "svc-cart") in opened.text
