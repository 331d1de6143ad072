"""Socket Mode end to end: `SlackChat.start()` opens a connection through a local
`apps.connections.open` and a local WebSocket server playing Slack; slash commands,
retried mentions and Approve clicks arrive as envelopes, are acked by envelope_id and
drive the workflow; `stop()` closes with a close frame. No public URL is involved."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from tests.chat.slack.conftest import TOKEN, mrkdwn_texts
from tests.chat.slack.fake_slack import FakeSlack, FakeSocketMode
from tests.conftest import Govbot, card_of

APP_TOKEN = "xapp-1-A1-test"
_ids = count(1)


@pytest.fixture
def socket() -> Iterator[FakeSocketMode]:
    server = FakeSocketMode()
    yield server
    server.close()


def socket_chat(bot: Govbot, fake: FakeSlack) -> SlackChat:
    settings = SlackSettings(bot_token=TOKEN, app_token=APP_TOKEN,
                             api_url=fake.url + "/api/")
    return SlackChat(settings, bot.app.workflow, bot.app.store, post_interval=0)


@pytest.fixture
def chat(govbot_home: Govbot, fake: FakeSlack,
         socket: FakeSocketMode) -> Iterator[SlackChat]:
    fake.socket_url = socket.url
    chat = socket_chat(govbot_home, fake)
    chat.start()
    socket.wait_for(lambda s: s.connected)
    yield chat
    chat.stop()


def slash_command(fake: FakeSlack, user: str, text: str) -> dict[str, Any]:
    n = next(_ids)
    return {"token": "legacy", "team_id": "T0123", "team_domain": "acme",
            "channel_id": "C0123", "channel_name": "governance", "user_id": user,
            "user_name": f"display-{user}", "command": "/canary", "text": text,
            "api_app_id": "A1", "is_enterprise_install": "false",
            "response_url": f"{fake.url}/response/{n}", "trigger_id": f"trigger.{n}"}


def mention_callback(user: str, text: str, event_id: str, ts: str) -> dict[str, Any]:
    return {"token": "legacy", "team_id": "T0123", "api_app_id": "A1",
            "type": "event_callback", "event_id": event_id, "event_time": 1700000050,
            "event": {"type": "app_mention", "user": user, "team": "T0123",
                      "channel": "C0123", "text": f"<@UGOVBOT> {text}", "ts": ts,
                      "event_ts": ts}}


def approve_click(user: str, change_id: int, message_ts: str) -> dict[str, Any]:
    return {"type": "block_actions", "api_app_id": "A1", "token": "legacy",
            "user": {"id": user, "username": f"display-{user}", "team_id": "T0123"},
            "team": {"id": "T0123", "domain": "acme"},
            "container": {"type": "message", "message_ts": message_ts,
                          "channel_id": "C0123"},
            "channel": {"id": "C0123", "name": "governance"},
            "message": {"type": "message", "ts": message_ts, "text": "card"},
            "trigger_id": f"trigger.{next(_ids)}",
            "actions": [{"action_id": "govbot_approve", "value": str(change_id),
                         "block_id": f"govbot_change_{change_id}", "type": "button",
                         "action_ts": f"1700000100.{next(_ids):06d}"}]}


def open_by_command(chat: SlackChat, bot: Govbot, fake: FakeSlack,
                    socket: FakeSocketMode) -> str:
    """/canary svc-user 20% over the socket; the card's ts once it is posted."""
    envelope = socket.send("slash_commands", slash_command(fake, "U0ALICE", "svc-user 20%"),
                           accepts_response_payload=True)
    socket.wait_for(lambda s: bool(s.acked(envelope)))
    assert chat.drain(60), "slack work did not settle"
    ref = bot.app.store.chat_ref("slack:change:1")
    assert ref is not None, "the card was not posted"
    return str(ref["ts"])


def test_start_opens_the_socket_with_the_app_token_and_no_public_url(
        chat: SlackChat, fake: FakeSlack, socket: FakeSocketMode) -> None:
    opened = fake.ok("apps.connections.open")
    assert [c.authorization for c in opened] == [f"Bearer {APP_TOKEN}"]
    assert socket.paths == ["/link/?ticket=local-ticket"]
    assert chat.routes() == {}
    assert not [c.path for c in fake.calls if c.path.startswith("/slack/")]


def test_a_slash_command_envelope_is_acked_and_opens_a_change_with_a_card(
        chat: SlackChat, govbot_home: Govbot, fake: FakeSlack,
        socket: FakeSocketMode) -> None:
    envelope = socket.send("slash_commands", slash_command(fake, "U0ALICE", "svc-user 20%"),
                           accepts_response_payload=True)
    socket.wait_for(lambda s: bool(s.acked(envelope)))
    [ack] = socket.acked(envelope)
    assert ack["payload"]["text"].startswith("working on it: /canary svc-user 20%")
    assert chat.drain(60), "slack work did not settle"

    [card] = [c.body for c in fake.ok("chat.postMessage")]
    assert card["channel"] == "C0123" and "thread_ts" not in card
    assert card["blocks"][0]["text"]["text"].startswith("#1 canary svc-user")
    assert "<@U0ALICE> asked: /canary svc-user 20%" in mrkdwn_texts(card["blocks"])
    assert [c.id for c in govbot_home.app.store.changes()] == [1]
    ref = govbot_home.app.store.chat_ref("slack:change:1")
    assert ref is not None and ref["channel"] == "C0123"
    assert not [c.path for c in fake.calls if c.path.startswith("/slack/")]


def test_an_events_envelope_delivered_three_times_opens_one_change(
        chat: SlackChat, govbot_home: Govbot, fake: FakeSlack,
        socket: FakeSocketMode) -> None:
    callback = mention_callback("U0ALICE", "canary svc-user 20%", "Ev0S0CKET",
                                "1700000050.000100")
    envelopes = [socket.send("events_api", callback, accepts_response_payload=False,
                             retry_attempt=attempt, retry_reason=reason)
                 for attempt, reason in [(0, ""), (1, "timeout"), (2, "timeout")]]
    socket.wait_for(lambda s: all(s.acked(e) for e in envelopes))
    assert chat.drain(60), "slack work did not settle"
    assert [socket.acked(e) for e in envelopes] == [[{"envelope_id": e}] for e in envelopes]

    assert [c.id for c in govbot_home.app.store.changes()] == [1]
    posted = fake.ok("chat.postMessage")
    assert [p.body["thread_ts"] for p in posted] == ["1700000050.000100"]
    assert posted[0].body["blocks"][0]["text"]["text"].startswith("#1 canary svc-user")


def test_an_approve_click_by_bob_through_the_socket_approves(
        chat: SlackChat, govbot_home: Govbot, fake: FakeSlack,
        socket: FakeSocketMode) -> None:
    card_ts = open_by_command(chat, govbot_home, fake, socket)
    envelope = socket.send("interactive", approve_click("U0BOB", 1, card_ts),
                           accepts_response_payload=False)
    socket.wait_for(lambda s: bool(s.acked(envelope)))
    assert chat.drain(60), "slack work did not settle"
    assert socket.acked(envelope) == [{"envelope_id": envelope}]

    assert card_of(govbot_home.app, 1).approved_by == ("bob",)
    thread = [c.body for c in fake.ok("chat.postMessage")[1:]]
    assert [m["thread_ts"] for m in thread] == [card_ts]
    assert "approved by bob (1 of 2)" in thread[0]["text"]
    [update] = [c.body for c in fake.ok("chat.update")]
    assert update["ts"] == card_ts
    assert any("approvals 1 of 2 (bob)" in t for t in mrkdwn_texts(update["blocks"]))


def test_stop_closes_the_socket_with_a_close_frame_and_does_not_reconnect(
        chat: SlackChat, fake: FakeSlack, socket: FakeSocketMode) -> None:
    chat.stop()
    socket.wait_for(lambda s: bool(s.closes))
    assert socket.closes == [1000]
    assert not socket.connected
    assert len(fake.ok("apps.connections.open")) == 1


def test_start_retries_until_slack_hands_out_a_socket_url(
        govbot_home: Govbot, fake: FakeSlack, socket: FakeSocketMode) -> None:
    chat = socket_chat(govbot_home, fake)   # apps.connections.open answers an error
    chat.start()
    try:
        fake.wait_for(lambda f: any(c.method == "apps.connections.open" for c in f.calls))
        assert not socket.connected
        fake.socket_url = socket.url
        socket.wait_for(lambda s: s.connected)
        assert len([c for c in fake.calls if c.method == "apps.connections.open"]) >= 2
    finally:
        chat.stop()
    socket.wait_for(lambda s: s.closes == [1000])
