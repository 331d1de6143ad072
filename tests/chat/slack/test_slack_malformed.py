"""Signed but malformed Slack requests get a short 400, never a 500 or a traceback; a
button whose value is not a plain change number runs nothing."""

from __future__ import annotations

import json
import logging
import urllib.parse

import pytest

from tests.chat.slack.conftest import SlackHarness


def _form(**fields: str) -> bytes:
    return urllib.parse.urlencode(fields).encode()


def _click_payload(value: str, action_ts: str = "1700000100.000001") -> dict[str, object]:
    return {"type": "block_actions", "user": {"id": "U0BOB", "team_id": "T0123"},
            "team": {"id": "T0123"}, "channel": {"id": "C0123"},
            "container": {"type": "message", "message_ts": "1700000000.000001",
                          "channel_id": "C0123"},
            "trigger_id": "t.1", "actions": [{"action_id": "govbot_approve", "value": value,
                                             "type": "button", "action_ts": action_ts}]}


MALFORMED = [
    (b"payload=%7Bnot-json", "application/x-www-form-urlencoded"),
    (b"payload=" + b"%5B" * 50000 + b"%5D" * 50000, "application/x-www-form-urlencoded"),
    (b'{"type":"event_callback","a":' + b"[" * 50000 + b"]" * 50000 + b"}",
     "application/json"),
    (_form(payload=json.dumps({"type": "block_actions", "user": {"id": "U0BOB"},
                               "actions": [{"action_id": "approve", "value": "1"}],
                               "container": {"message_ts": {"a": 1}}})),
     "application/x-www-form-urlencoded"),
    (b"payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
    (b"payload=%22text%22", "application/x-www-form-urlencoded"),
    (_form(payload=json.dumps({"type": "block_actions"})), "application/x-www-form-urlencoded"),
    (_form(payload=json.dumps({"type": "block_actions", "user": "U0BOB", "actions": [{}]})),
     "application/x-www-form-urlencoded"),
    (b"%ZZ=%G1&&==", "application/x-www-form-urlencoded"),
    (b"command=%2Fcanary&text=%FF%FE", "application/x-www-form-urlencoded"),
    (_form(text="svc-user 20%"), "application/x-www-form-urlencoded"),  # no command
    (_form(command="/canary", text="x", user_id="U0ALICE"), "application/x-www-form-urlencoded"),
    (b"{not json", "application/json"),
    (b"[1, 2]", "application/json"),
    (json.dumps({"type": "event_callback", "event_id": "Ev1"}).encode(), "application/json"),
    (json.dumps({"type": "event_callback", "event_id": "Ev1",
                 "event": {"type": "app_mention", "text": 7}}).encode(), "application/json"),
    (b"\xff\xfe\x00", "application/octet-stream"),
]


@pytest.mark.parametrize(("body", "kind"), MALFORMED)
def test_signed_malformed_body_is_a_short_400(slack: SlackHarness, body: bytes, kind: str,
                                              caplog: pytest.LogCaptureFixture) -> None:
    before = slack.bot.main()
    status, text = slack.post(body, headers={"Content-Type": kind})
    slack.settle()
    assert status == 400, text
    assert len(text) < 100 and "Traceback" not in text
    assert not any(record.exc_info for record in caplog.records)
    assert slack.bot.main() == before and slack.fake.calls == []


@pytest.mark.parametrize("value", ["1; drop", "١", "１", "-1", "+1", "0", "1 ", "01",
                                   "99999999999999999999", "1e3", ""])
def test_button_value_that_is_not_a_plain_change_number_runs_nothing(
        slack: SlackHarness, value: str, caplog: pytest.LogCaptureFixture) -> None:
    status, _ = slack.command("U0ALICE", "svc-user 20%")
    assert status == 200
    slack.fake.wait_for(lambda fake: bool(fake.ok("chat.postMessage")))
    slack.settle()
    calls = len(slack.fake.calls)
    with caplog.at_level(logging.INFO):
        payload = _click_payload(value)
        status, _ = slack.post(_form(payload=json.dumps(payload)))
        slack.settle()
    assert status == 200  # Slack gets its ack; nothing runs
    assert slack.fake.calls[calls:] == []
    assert any("ignoring a button" in record.getMessage() for record in caplog.records)
    assert not any(record.exc_info for record in caplog.records)
    assert slack.bot.app.store.chat_ref("slack:change:1") is not None
    card = slack.bot.app.store.get(1)
    assert card.state == "open"
