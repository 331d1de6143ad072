"""Card content and the clicks that come back from it."""

from __future__ import annotations

import json

import pytest

from bot.chat.dingtalk.cards import Click, card_params, parse_click, standard_card, text_card
from bot.chat.dingtalk.surface import named
from bot.core.types import ChangeState, ChangeView


def _view(state: ChangeState = "open", approved_by: tuple[str, ...] = ()) -> ChangeView:
    return ChangeView(12, "canary svc-user 0% → 20%", "prod", "demo", "svc-user", "alice",
                      state, "--- a\n+++ b\n", (), (), approved_by, 2, ("sre",), "", "")


def _callback(track: str, content: object, user: str = "0457") -> dict[str, object]:
    return {"outTrackId": track, "userId": user, "corpId": "ding1",
            "content": json.dumps(content)}


@pytest.mark.parametrize(("payload", "click"), [
    (_callback("govbot-change-12", {"cardPrivateData": {"actionIds": ["approve"]}}),
     Click(12, "approve", "0457", "ding1")),
    (_callback("govbot-change-3", {"cardPrivateData": {"params": {"action": "Reject"}}}),
     Click(3, "reject", "0457", "ding1")),
    (_callback("other-card-12", {"cardPrivateData": {"actionIds": ["approve"]}}), None),
    (_callback("govbot-change-12", {"cardPrivateData": {"actionIds": ["merge"]}}), None),
    (_callback("govbot-change-12", {"cardPrivateData": {"actionIds": ["approve"]}}, ""), None),
    ({"outTrackId": "govbot-change-12", "userId": "0457", "content": "not json"}, None),
])
def test_parse_click(payload: dict[str, object], click: Click | None) -> None:
    assert parse_click(payload) == click


def test_open_card_offers_buttons_and_a_decided_one_does_not() -> None:
    assert card_params(_view())["actionsVisible"] == "true"
    assert '"approve"' in json.dumps(standard_card(_view()))
    merged = _view("merged", ("bob", "carol"))
    assert card_params(merged)["actionsVisible"] == "false"
    assert card_params(merged)["status"] == "merged, approved by bob, carol"
    assert '"approve"' not in json.dumps(standard_card(merged))


def test_text_card_says_how_to_approve_by_text() -> None:
    assert "#12" in text_card(_view()) and "`/approve 12`" in text_card(_view())
    assert "/approve" not in text_card(_view("merged", ("bob", "carol")))


def test_follow_ups_name_their_change() -> None:
    assert named("approved by bob", 12) == "#12 approved by bob"
    assert named("#12 merged", 12) == "#12 merged"
    assert named("no open changes", None) == "no open changes"


@pytest.mark.parametrize("track", ["govbot-change-1; drop", "govbot-change-١٢",
                                   "govbot-change--1", "govbot-change-01",
                                   "govbot-change-99999999999999999999",
                                   "govbot-change-1\n", "govbot-change-"])
def test_a_click_on_a_card_that_is_not_a_plain_change_number_is_not_ours(track: str) -> None:
    content = json.dumps({"cardPrivateData": {"actionIds": ["approve"]}})
    assert parse_click({"outTrackId": track, "userId": "0457", "content": content}) is None
    assert parse_click({"outTrackId": "govbot-change-12", "userId": "0457",
                        "content": content}) is not None
