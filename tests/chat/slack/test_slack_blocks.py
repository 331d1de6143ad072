"""The approval card and mrkdwn escaping, within Block Kit's limits."""

from __future__ import annotations

import json

from bot.chat.slack.blocks import DIFF_LIMIT, card, escape, mention, unescape
from bot.core.types import ChangeView
from tests.chat.slack.conftest import mrkdwn_texts


def view(**changes: object) -> ChangeView:
    base = dict(id=7, summary="canary svc-user 0% → 20%", env="prod", namespace="demo",
                service="svc-user", requester="alice", state="open",
                diff="--- a/x\n+++ b/x\n-  canaryWeight: 0\n+  canaryWeight: 20\n",
                deny=(), warn=(), approved_by=(), approvals_required=2, approvers=("sre",),
                url="https://forge.example.com/pr/7", reason="")
    base.update(changes)
    return ChangeView(**base)  # type: ignore[arg-type]


def test_escape_touches_only_the_three_control_characters() -> None:
    assert escape("<!channel> & <@U1> *bold* _x_") == \
        "&lt;!channel&gt; &amp; &lt;@U1&gt; *bold* _x_"
    assert unescape(escape("a < b & c > d &amp;")) == "a < b & c > d &amp;"
    assert mention("U0ALICE") == "<@U0ALICE>" and mention("<!here>") == "&lt;!here&gt;"


def test_an_open_card_has_buttons_carrying_only_the_change_id() -> None:
    blocks = card(view(), asked="<@U0ALICE> asked: /canary svc-user 20%")
    actions = [b for b in blocks if b["type"] == "actions"]
    assert [(e["action_id"], e["value"]) for e in actions[0]["elements"]] == \
        [("govbot_approve", "7"), ("govbot_reject", "7")]
    texts = "\n".join(mrkdwn_texts(blocks))
    assert "approvals 0 of 2 (none yet); still needs 2 from sre" in texts
    assert "<https://forge.example.com/pr/7|pull request #7>" in texts


def test_a_huge_hostile_diff_stays_inside_block_kit_limits() -> None:
    diff = "".join(f"+  line{i}: <!channel> & ```\n" for i in range(5000))
    blocks = card(view(diff=diff, summary="x" * 500, deny=tuple(f"[a.b] {i}" for i in range(40)),
                       reason="<!everyone>", state="rejected"))
    assert len(blocks) <= 50
    assert len(blocks[0]["text"]["text"]) <= 150
    for text in mrkdwn_texts(blocks):
        assert len(text) <= 3000
        assert "<!channel>" not in text and "<!everyone>" not in text
        assert text.count("```") in (0, 2)
    diff_text = next(t for t in mrkdwn_texts(blocks) if t.startswith("```"))
    assert len(diff_text) < DIFF_LIMIT + 300 and "the rest is in" in diff_text
    assert not any(b["type"] == "actions" for b in blocks)
    assert len(json.dumps(blocks)) < 12000


def test_a_merged_card_says_who_approved_and_has_no_buttons() -> None:
    blocks = card(view(state="merged", approved_by=("bob", "carol")))
    assert not any(b["type"] == "actions" for b in blocks)
    assert any("merged and applied, approved by bob, carol" in t for t in mrkdwn_texts(blocks))
