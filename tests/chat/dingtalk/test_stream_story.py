"""The DingTalk story over Stream mode, against a local gateway and OpenAPI."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.app import DingTalkChat
from tests.chat.dingtalk.fakes import (
    ALICE,
    BOB,
    CAROL,
    CONVERSATION,
    DingTalkServer,
    GatedCore,
    Journal,
    StreamGateway,
    card_frame,
    robot_frame,
)
from tests.conftest import Govbot, make_govbot

FAR_FUTURE_MS = round((time.time() + 86400) * 1000)


@dataclass
class Rig:
    bot: Govbot
    server: DingTalkServer
    gateway: StreamGateway
    journal: Journal
    core: GatedCore
    chat: DingTalkChat

    def webhook(self, name: str) -> str:
        return f"{self.server.url}/session/{name}"

    def said(self, name: str) -> list[str]:
        return [s.body["markdown"]["text"] for s in self.server.requests(f"/session/{name}")]

    def acked(self, message_id: str) -> bool:
        return any(e[:2] == ("ack", message_id) for e in self.journal.entries)


def _rig(tmp_path: Path, template: str, bot: Govbot | None = None) -> Iterator[Rig]:
    bot = bot or make_govbot(tmp_path / "home")
    server = DingTalkServer()
    journal = Journal()
    gateway = StreamGateway(journal)
    server.ws_url = gateway.url
    core = GatedCore(bot.app.workflow, journal)
    settings = DingTalkSettings(client_id="dingapp", client_secret="app-secret",
                                api_url=server.url, card_template_id=template)
    chat = DingTalkChat(settings, core, bot.app.store, http=Http(sleep=lambda _s: None))
    chat.start()
    try:
        yield Rig(bot, server, gateway, journal, core, chat)
    finally:
        core.gate.set()
        chat.stop()
        gateway.close()
        server.close()
        bot.app.close()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    yield from _rig(tmp_path, "tpl-approval")


@pytest.fixture
def standard_rig(tmp_path: Path) -> Iterator[Rig]:
    yield from _rig(tmp_path, "")


def test_prod_canary_is_approved_on_the_card_merged_and_applied(rig: Rig) -> None:
    server = rig.server
    rig.gateway.send(robot_frame("m-1", "msg-1", " @govbot /canary svc-user 20%", ALICE,
                                 rig.webhook("alice"), FAR_FUTURE_MS))
    card = server.wait("/v1.0/card/instances/createAndDeliver", 1)[0]
    assert rig.gateway.tickets == ["ticket-1"]
    assert card.headers["x-acs-dingtalk-access-token"] == "token-1"
    assert card.body["outTrackId"] == "govbot-change-1"
    assert card.body["cardTemplateId"] == "tpl-approval"
    assert card.body["openSpaceId"] == f"dtv1.card//IM_GROUP.{CONVERSATION}"
    params = card.body["cardData"]["cardParamMap"]
    assert params["title"].startswith("#1 ") and params["actionsVisible"] == "true"
    assert params["status"].startswith("open, 0 of 2")
    assert rig.said("alice")[0].startswith("change #1 opened: canary svc-user")
    ref = rig.bot.app.store.chat_ref("dingtalk:change:1")
    assert ref is not None and ref["conversationId"] == CONVERSATION

    rig.gateway.send(card_frame("m-2", 1, ALICE, "approve"))  # the requester tries
    rig.gateway.send(card_frame("m-3", 1, BOB, "approve"))
    first = server.wait("/v1.0/card/instances", 1, "PUT")[0]
    assert first.body["cardData"]["cardParamMap"]["status"] == \
        "open, 1 of 2 approvals (bob)"
    rig.gateway.send(card_frame("m-4", 1, CAROL, "approve"))
    updates = server.wait("/v1.0/card/instances", 2, "PUT")
    final = updates[-1].body["cardData"]["cardParamMap"]
    assert final["state"] == "merged" and final["actionsVisible"] == "false"

    # replies go out from the handler threads: wait until all four are posted
    server.seen.wait_for(lambda entries: len(
        [e for e in entries if e.path == "/session/alice"]) >= 4)
    said = rig.said("alice")
    assert any("[review.self_approval]" in text for text in said)
    assert any(text.startswith("#1 approved by bob (1 of 2)") for text in said)
    assert any(text.startswith("#1 approved by bob, carol, merged, applied") for text in said)
    assert all("#1" in text for text in said), said
    vs = yaml.safe_load((rig.bot.rendered("prod") / "virtualservice-svc-user.yaml").read_text())
    assert [d["weight"] for d in vs["spec"]["http"][-1]["route"]] == [80, 20]
    assert "Approved-by: carol" in rig.bot.git("log", "-1", "--format=%B", "main")


def test_frame_is_acked_before_the_work_runs(rig: Rig) -> None:
    rig.core.gate.clear()
    rig.gateway.send(robot_frame("m-9", "msg-9", " /changes", ALICE, rig.webhook("a"),
                                 FAR_FUTURE_MS))
    entries = rig.journal.wait_for(lambda e: any(x[:2] == ("ack", "m-9") for x in e))
    assert ("done", "msg-9") not in entries  # the work is still held, yet the ack is out
    ack = next(x[2] for x in entries if x[:2] == ("ack", "m-9"))
    assert ack["code"] == 200
    rig.core.gate.set()
    rig.journal.wait_for(lambda e: ("done", "msg-9") in e)
    order = [x[:2] for x in rig.journal.entries]
    assert order.index(("ack", "m-9")) < order.index(("done", "msg-9"))


def test_same_message_delivered_three_times_opens_one_change(rig: Rig) -> None:
    for attempt in range(3):
        rig.gateway.send(robot_frame(f"m-{attempt}", "msg-same", "/canary svc-user 20%",
                                     ALICE, rig.webhook("alice"), FAR_FUTURE_MS))
    rig.journal.wait_for(lambda e: len([x for x in e if x[0] == "ack"]) == 3)
    rig.chat.stop()  # drains the workers
    assert [c.id for c in rig.bot.app.store.changes("open")] == [1]
    assert len(rig.server.requests("/v1.0/card/instances/createAndDeliver")) == 1
    assert rig.bot.branches() == ["change/1-svc-user", "main"]


def test_expired_session_webhook_falls_back_to_group_messages_and_standard_card(
        standard_rig: Rig) -> None:
    rig, server = standard_rig, standard_rig.server
    server.answers["/v1.0/robot/groupMessages/send"] = [(503, {"code": "busy"})]
    rig.gateway.send(robot_frame("m-1", "msg-1", "灰度 svc-user 20%", ALICE,
                                 rig.webhook("old"), 1_000))
    card = server.wait("/v1.0/im/v1.0/robot/interactiveCards/send", 1)[0]
    assert card.body["cardTemplateId"] == "StandardCard"
    assert card.body["cardBizId"] == "govbot-change-1"
    assert card.body["openConversationId"] == CONVERSATION
    assert '"approve"' in card.body["cardData"] and '"reject"' in card.body["cardData"]
    sent = server.wait("/v1.0/robot/groupMessages/send", 2)  # a 503, then the retry
    assert sent[-1].body["openConversationId"] == CONVERSATION
    assert sent[-1].body["robotCode"] == "dingapp"
    assert "change #1 opened" in sent[-1].body["msgParam"]
    assert server.requests("/session/old") == []

    rig.gateway.send(card_frame("m-2", 1, BOB, "approve"))
    update = server.wait("/v1.0/im/robots/interactiveCards", 1, "PUT")[0]
    assert update.body["cardBizId"] == "govbot-change-1"
    assert "1 of 2 approvals (bob)" in update.body["cardData"]
