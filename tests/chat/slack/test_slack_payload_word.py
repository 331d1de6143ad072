"""A slash command whose text holds the word "payload" is a command, not an interaction
(Bolt's own body parser took it for one, and the command was lost)."""

from __future__ import annotations

from tests.chat.slack.conftest import SlackHarness


def test_a_command_whose_text_says_payload_is_still_a_command(slack: SlackHarness) -> None:
    status, ack = slack.command("U0ALICE", "svc-user header x=payload -> v2", command="/route")
    assert status == 200 and "working on it" in ack
    slack.settle()
    change = slack.bot.app.store.get(1)
    assert change.summary == "route svc-user header x=payload → v2"
    assert slack.fake.ok("chat.postMessage")  # the change's card
