"""The outgoing robot's HTTP callback through `govbot serve`'s router on a real port.

DingTalk signs only the timestamp (`timestamp\\nappSecret`), so the callback claims every
(timestamp, sign) pair once, checks the robot and the organisation, refuses decisions
typed there and never posts to a session webhook off DingTalk's hosts."""

from __future__ import annotations

import json
import logging
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.app import DECISIONS_REFUSED, DingTalkChat
from bot.chat.dingtalk.callback import message_key
from bot.chat.dingtalk.sign import callback_sign
from bot.server import make_server
from tests.chat.dingtalk.fakes import ALICE, BOB, CAROL, CONVERSATION, CORP, DingTalkServer
from tests.conftest import Govbot, card_of, make_govbot

SECRET = "this is a secret"
NOW_MS = 1577262236757 + 5_000
GOOD_TS = "1577262236757"
GOOD_SIGN = "DJrE6qdyVGCQz9z5r2MDuNcNAhwYnuAkyj13cx169CA="  # reference vector V2


@dataclass
class Rig:
    bot: Govbot
    dingtalk: DingTalkServer
    chat: DingTalkChat
    url: str
    _stamps: Iterator[int]

    def fresh(self) -> tuple[str, str]:
        """A (timestamp, sign) pair DingTalk would send with its next callback."""
        timestamp = str(next(self._stamps))
        return timestamp, callback_sign(timestamp, SECRET)

    def send(self, data: bytes, timestamp: str, sign: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            self.url, data=data, method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "timestamp": timestamp, "sign": sign})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def post(self, body: object, timestamp: str | None = None,
             sign: str | None = None) -> tuple[int, dict[str, Any]]:
        fresh_ts, fresh_sign = self.fresh()
        return self.send(json.dumps(body).encode(), timestamp or fresh_ts,
                         fresh_sign if sign is None else sign)

    def message(self, msg_id: str, text: str = " /canary svc-user 20%",
                robot: str = "dingrobot", staff: str = ALICE, corp: str = CORP,
                webhook: str | None = None) -> dict[str, Any]:
        return {"msgtype": "text", "text": {"content": text}, "msgId": msg_id,
                "conversationId": CONVERSATION, "conversationType": "2",
                "senderStaffId": staff, "senderCorpId": corp, "robotCode": robot,
                "chatbotCorpId": CORP,
                "sessionWebhook": webhook or f"{self.dingtalk.url}/session/{staff}",
                "sessionWebhookExpiredTime": NOW_MS + 5_400_000}

    def said(self, staff: str) -> list[str]:
        return [s.body["markdown"]["text"] for s in self.dingtalk.requests(f"/session/{staff}")]

    def state(self) -> tuple[str, list[int], int]:
        """What a refused request must leave alone: main, the changes, the messages sent."""
        return (self.bot.main(), [c.id for c in self.bot.app.store.changes("open")],
                len(self.dingtalk.seen.entries))


def _rig(tmp_path: Path, **settings: Any) -> Iterator[Rig]:
    bot = make_govbot(tmp_path / "home")
    dingtalk = DingTalkServer()
    options: dict[str, Any] = {"app_secret": SECRET, "robot_code": "dingrobot",
                               "corp_id": CORP, "api_url": dingtalk.url,
                               "session_url": dingtalk.url, **settings}
    chat = DingTalkChat(DingTalkSettings(**options), bot.app.workflow, bot.app.store,
                        clock=lambda: NOW_MS / 1000, http=Http(sleep=lambda _s: None))
    server = make_server("127.0.0.1", 0, chat.routes())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Rig(bot, dingtalk, chat, f"http://127.0.0.1:{server.server_address[1]}"
                                       "/dingtalk/events", count(NOW_MS - 60_000))
    finally:
        server.shutdown()
        server.server_close()
        chat.stop()
        dingtalk.close()
        bot.app.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from _rig(tmp_path)


def test_signed_message_opens_a_change_and_the_card_says_how_to_decide(rig: Rig) -> None:
    assert rig.chat.card_mode == "text"
    assert rig.post(rig.message("msg-1"), GOOD_TS, GOOD_SIGN) == (200, {})
    said = rig.dingtalk.wait(f"/session/{ALICE}", 2)
    texts = [s.body["markdown"]["text"] for s in said]
    assert texts[0].startswith("change #1 opened: canary svc-user")
    # typed decisions are not taken through the callback, so the card does not ask for one
    assert "#1" in texts[1] and "/approve 1" not in texts[1]
    assert "pull request or from another chat platform" in texts[1]
    assert [c.id for c in rig.bot.app.store.changes("open")] == [1]


def test_wrong_signature_is_refused_with_nothing_written(rig: Rig) -> None:
    before = rig.state()
    wrong = callback_sign(GOOD_TS, "not the app secret")
    assert rig.post(rig.message("msg-w"), GOOD_TS, wrong)[0] == 401
    assert rig.post(rig.message("msg-w"), GOOD_TS, "")[0] == 401
    rig.chat.stop()
    assert rig.state() == before
    assert rig.bot.app.store.claim_event(message_key("msg-w"))  # it was never claimed


def test_stale_timestamp_is_refused_with_nothing_written(rig: Rig) -> None:
    before = rig.state()
    stale = str(NOW_MS - 2 * 3_600_000)
    assert rig.post(rig.message("msg-s"), stale, callback_sign(stale, SECRET))[0] == 401
    rig.chat.stop()
    assert rig.state() == before
    assert rig.bot.app.store.claim_event(message_key("msg-s"))


def test_repeated_msg_id_with_a_fresh_signature_is_ignored(rig: Rig) -> None:
    assert rig.post(rig.message("msg-r"))[0] == 200
    rig.dingtalk.wait(f"/session/{ALICE}", 2)
    rig.chat.stop()
    before = rig.state()
    replay = rig.message("msg-r", text=" /canary svc-order 10%")  # forged body, same msgId
    assert rig.post(replay) == (200, {})
    assert rig.state() == before
    assert rig.bot.branches() == ["change/1-svc-user", "main"]


def test_a_signature_pair_is_good_for_one_request_only(rig: Rig) -> None:
    timestamp, sign = rig.fresh()
    assert rig.post(rig.message("msg-a"), timestamp, sign) == (200, {})
    rig.dingtalk.wait(f"/session/{ALICE}", 2)
    rig.chat.stop()
    before = rig.state()
    # the captured pair with a new msgId and a new body, as someone else
    forged = rig.message("msg-b", text=" /canary svc-order 10%", staff=BOB)
    status, answer = rig.post(forged, timestamp, sign)
    assert status == 401 and "used" in answer["error"]
    assert rig.state() == before
    assert rig.bot.branches() == ["change/1-svc-user", "main"]
    assert rig.bot.app.store.claim_event(message_key("msg-b"))  # never claimed


def test_other_robot_is_forbidden(rig: Rig) -> None:
    before = rig.state()
    assert rig.post(rig.message("msg-o", robot="someone-else"))[0] == 403
    assert rig.state() == before


@pytest.mark.parametrize("corp", ["", "dingOTHERCORP0000000"])
def test_sender_of_another_or_no_organisation_is_refused(rig: Rig, corp: str) -> None:
    before = rig.state()
    status, answer = rig.post(rig.message("msg-c", corp=corp))
    assert status == 403 and answer == {"error": "unknown organisation"}
    other_robot_corp = {**rig.message("msg-d"), "chatbotCorpId": "dingOTHERCORP0000000"}
    assert rig.post(other_robot_corp)[0] == 403
    rig.chat.stop()
    assert rig.state() == before
    assert rig.bot.app.store.claim_event(message_key("msg-c"))


def test_without_a_corp_id_any_organisation_is_taken_and_a_warning_says_so(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, "govbot"):
        for rig in _rig(tmp_path, corp_id=""):
            assert rig.post(rig.message("msg-x", corp="dingOTHERCORP0000000"))[0] == 200
            said = rig.dingtalk.wait("/session/" + ALICE, 1)  # the core ran it
            assert "not in access.yaml" in said[0].body["markdown"]["text"]
    assert any("GOVBOT_DINGTALK_CORP_ID is not set" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("data", [
    b"not json", b"\xff\xfe", b"[1, 2]", b"{}",
    json.dumps({"msgId": "m-1", "text": {"content": "/help"}}).encode(),  # no conversation
    json.dumps({"msgId": ["m-1"], "conversationId": "c"}).encode(),
    json.dumps({"msgId": "m" * 500, "conversationId": "c", "text": {"content": "/help"}})
    .encode(),
    json.dumps({"msgId": "m-1", "conversationId": "c", "text": "/help"}).encode(),
    json.dumps({"msgId": "m-1", "conversationId": "c", "text": {"content": 7}}).encode(),
    json.dumps({"msgId": "m-1", "conversationId": "c", "text": {"content": "/help"},
                "sessionWebhookExpiredTime": "soon"}).encode(),
    json.dumps({"msgId": "m-1", "conversationId": "c", "text": {"content": "/help"},
                "senderStaffId": {"id": 1}}).encode(),
])
def test_signed_but_malformed_body_is_a_short_400(rig: Rig, data: bytes,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    before = rig.state()
    status, answer = rig.send(data, *rig.fresh())
    assert status == 400 and set(answer) == {"error"} and len(answer["error"]) < 60
    rig.chat.stop()
    assert rig.state() == before
    assert not any(r.exc_info for r in caplog.records)  # no traceback anywhere


def test_decisions_typed_through_the_callback_are_refused(rig: Rig) -> None:
    assert rig.post(rig.message("msg-1"))[0] == 200
    rig.dingtalk.wait(f"/session/{ALICE}", 2)
    for number, text in enumerate([" /approve 1", " 批准 #1", " /reject 1 no", " /approve"]):
        assert rig.post(rig.message(f"msg-{number + 2}", text=text, staff=BOB)) == (200, {})
    said = rig.dingtalk.wait(f"/session/{BOB}", 4)
    assert [s.body["markdown"]["text"] for s in said] == [DECISIONS_REFUSED] * 4
    rig.chat.stop()
    card = card_of(rig.bot.app, 1)
    assert card.state == "open" and card.approved_by == ()


def test_callback_approvals_can_be_allowed(tmp_path: Path) -> None:
    for rig in _rig(tmp_path, callback_approvals=True):
        assert rig.post(rig.message("msg-1"))[0] == 200
        rig.dingtalk.wait(f"/session/{ALICE}", 2)
        assert "/approve 1" in rig.said(ALICE)[1]
        assert rig.post(rig.message("msg-2", text=" /approve 1", staff=BOB))[0] == 200
        assert rig.post(rig.message("msg-3", text=" /approve 1", staff=CAROL))[0] == 200
        rig.dingtalk.wait(f"/session/{CAROL}", 1)
        rig.chat.stop()
        assert rig.bot.app.store.get(1).state == "merged"


def test_session_webhooks_off_dingtalk_hosts_are_never_contacted(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    elsewhere = DingTalkServer()
    try:
        sessions = DingTalkServer()
        for rig in _rig(tmp_path, client_id="dingapp", client_secret="app-secret",
                        session_url=sessions.url):
            port = rig.dingtalk.url.rsplit(":", 1)[1]
            foreign = [f"{elsewhere.url}/session/x",
                       f"http://127.0.0.1:{port}@{elsewhere.url.split('//')[1]}/session/y",
                       f"https://127.0.0.1:{port}/session/z",  # another scheme
                       "file:///etc/passwd"]
            for number, webhook in enumerate(foreign):
                text = " /canary svc-user 20%" if number == 0 else " /changes"
                assert rig.post(rig.message(f"msg-{number}", text=text,
                                            webhook=webhook))[0] == 200
            rig.dingtalk.wait("/v1.0/im/v1.0/robot/interactiveCards/send", 1)
            sent = rig.dingtalk.wait("/v1.0/robot/groupMessages/send", len(foreign))
            assert all(s.body["openConversationId"] == CONVERSATION for s in sent)
            ref = rig.bot.app.store.chat_ref("dingtalk:change:1")
            assert ref is not None and ref["sessionWebhook"] == ""
            # the configured session host is used
            assert rig.post(rig.message("msg-ok", text=" /changes",
                                        webhook=f"{sessions.url}/session/ok"))[0] == 200
            sessions.wait("/session/ok", 1)
            rig.chat.stop()
        sessions.close()
        assert elsewhere.seen.entries == []
        assert any("not a DingTalk host" in r.getMessage() for r in caplog.records)
    finally:
        elsewhere.close()


def test_no_route_without_app_secret(rig: Rig) -> None:
    chat = DingTalkChat(DingTalkSettings(), rig.bot.app.workflow, rig.bot.app.store)
    assert chat.routes() == {}
    assert chat.card_mode == "text"
    chat.stop()
