"""The approval card of one representative change, as each platform draws it, against
reviewed copies in tests/chat/golden/ (`GOVBOT_UPDATE_GOLDEN=1` rewrites them).

The change goes through the states a card shows: opened, approved 1 of 2, merged,
rejected. Slack draws Block Kit blocks; DingTalk a template's params, a StandardCard and,
for a send-only robot, a markdown text card.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from bot.chat.dingtalk.cards import card_params, standard_card, text_card
from bot.chat.slack.blocks import card, summary_line
from bot.core.types import ChangeView
from tests.support.golden import GoldenMismatch, as_json, check

GOLDEN = Path(__file__).parent / "golden"

OPENED = ChangeView(
    id=12, summary="canary svc-user 0% → 20%", env="prod", namespace="demo",
    service="svc-user", requester="alice", state="open",
    diff=("--- a/services/prod/demo/svc-user.yaml\n+++ b/services/prod/demo/svc-user.yaml\n"
          "@@ -8,3 +8,3 @@ spec:\n   release:\n-    canaryWeight: 0\n+    canaryWeight: 20\n"),
    deny=(), warn=("[release.window] prod changes on a Friday afternoon; watch the canary",),
    approved_by=(), approvals_required=2, approvers=("sre", "team-user"),
    url="https://forge.example.com/policies/pulls/12")
STATES = {
    "opened": OPENED,
    "approved-1-of-2": dataclasses.replace(OPENED, approved_by=("bob",)),
    "merged": dataclasses.replace(OPENED, state="merged", approved_by=("bob", "carol")),
    "rejected": dataclasses.replace(OPENED, state="rejected",
                                    reason="too risky before the sale <!channel>"),
}
ASKED = "<@U0ALICE> asked: /canary svc-user 20%"


@pytest.mark.parametrize("state", list(STATES))
def test_slack_card(state: str) -> None:
    view = STATES[state]
    check(GOLDEN, f"slack-card-{state}.json",
          as_json({"text": summary_line(view), "blocks": card(view, ASKED)}))


@pytest.mark.parametrize("state", list(STATES))
def test_dingtalk_card(state: str) -> None:
    view = STATES[state]
    check(GOLDEN, f"dingtalk-card-{state}.json",
          as_json({"cardParamMap": card_params(view), "standardCard": standard_card(view)}))


@pytest.mark.parametrize("state", list(STATES))
def test_dingtalk_text_card(state: str) -> None:
    check(GOLDEN, f"dingtalk-text-card-{state}.md", text_card(STATES[state]) + "\n")


def test_a_card_that_changed_fails_with_a_diff(tmp_path: Path) -> None:
    check(tmp_path, "card.json", as_json(card(OPENED)), update=True)
    moved = dataclasses.replace(OPENED, approved_by=("bob",))
    with pytest.raises(GoldenMismatch, match=r"approvals 1 of 2 \(bob\)"):
        check(tmp_path, "card.json", as_json(card(moved)), update=False)
    with pytest.raises(GoldenMismatch, match="GOVBOT_UPDATE_GOLDEN=1"):
        check(tmp_path, "never-written.json", "{}\n", update=False)
