"""The outgoing robot's HTTP callback through `govbot serve`'s router on a real port."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.app import DingTalkChat
from bot.chat.dingtalk.callback import message_key
from bot.chat.dingtalk.sign import callback_sign
from bot.server import make_server
from tests.chat.dingtalk.fakes import ALICE, CONVERSATION, CORP, DingTalkServer
from tests.conftest import Govbot, make_govbot

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

    def post(self, body: dict[str, object], timestamp: str = GOOD_TS,
             sign: str = GOOD_SIGN) -> tuple[int, dict[str, object]]:
        request = urllib.request.Request(
            self.url, data=json.dumps(body).encode(), method="POST",
            headers={"Content-Type": "application/json; charset=utf-8",
                     "timestamp": timestamp, "sign": sign})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def message(self, msg_id: str, text: str = " /canary svc-user 20%",
                robot: str = "dingrobot") -> dict[str, object]:
        return {"msgtype": "text", "text": {"content": text}, "msgId": msg_id,
                "conversationId": CONVERSATION, "conversationType": "2",
                "senderStaffId": ALICE, "senderCorpId": CORP, "robotCode": robot,
                "sessionWebhook": f"{self.dingtalk.url}/session/alice",
                "sessionWebhookExpiredTime": NOW_MS + 5_400_000}

    def state(self) -> tuple[str, list[int], int]:
        """What a refused request must leave alone: main, the changes, the messages sent."""
        return (self.bot.main(), [c.id for c in self.bot.app.store.changes("open")],
                len(self.dingtalk.seen.entries))


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    bot = make_govbot(tmp_path / "home")
    dingtalk = DingTalkServer()
    settings = DingTalkSettings(app_secret=SECRET, robot_code="dingrobot",
                                api_url=dingtalk.url)
    chat = DingTalkChat(settings, bot.app.workflow, bot.app.store,
                        clock=lambda: NOW_MS / 1000, http=Http(sleep=lambda _s: None))
    server = make_server("127.0.0.1", 0, chat.routes())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Rig(bot, dingtalk, chat, f"http://127.0.0.1:{server.server_address[1]}"
                                       "/dingtalk/events")
    finally:
        server.shutdown()
        server.server_close()
        chat.stop()
        dingtalk.close()
        bot.app.close()


def test_signed_message_opens_a_change_and_the_card_says_how_to_approve(rig: Rig) -> None:
    assert rig.chat.card_mode == "text"
    assert rig.post(rig.message("msg-1")) == (200, {})
    said = rig.dingtalk.wait("/session/alice", 2)
    texts = [s.body["markdown"]["text"] for s in said]
    assert texts[0].startswith("change #1 opened: canary svc-user")
    assert "#1" in texts[1] and "/approve 1" in texts[1]
    assert [c.id for c in rig.bot.app.store.changes("open")] == [1]


def test_wrong_signature_is_refused_with_nothing_written(rig: Rig) -> None:
    before = rig.state()
    wrong = callback_sign(GOOD_TS, "not the app secret")
    assert rig.post(rig.message("msg-w"), sign=wrong)[0] == 401
    assert rig.post(rig.message("msg-w"), sign="")[0] == 401
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


def test_replayed_callback_is_ignored(rig: Rig) -> None:
    assert rig.post(rig.message("msg-r"))[0] == 200
    rig.dingtalk.wait("/session/alice", 2)
    rig.chat.stop()
    before = rig.state()
    replay = rig.message("msg-r", text=" /canary svc-order 10%")  # forged body, same msgId
    assert rig.post(replay) == (200, {})
    assert rig.state() == before
    assert rig.bot.branches() == ["change/1-svc-user", "main"]


def test_other_robot_is_forbidden(rig: Rig) -> None:
    before = rig.state()
    assert rig.post(rig.message("msg-o", robot="someone-else"))[0] == 403
    assert rig.state() == before


def test_no_route_without_app_secret(rig: Rig) -> None:
    chat = DingTalkChat(DingTalkSettings(), rig.bot.app.workflow, rig.bot.app.store)
    assert chat.routes() == {}
    assert chat.card_mode == "text"
    chat.stop()
