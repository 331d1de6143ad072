"""A merge whose apply is still pending says so on the Slack and DingTalk cards."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from bot.chat import deliver
from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.app import DingTalkChat
from bot.chat.dingtalk.surface import Place
from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from bot.chat.slack.surface import Origin
from bot.core.events import ChangeMerged, ChangeOpened
from bot.core.types import ChangeView
from tests.chat.dingtalk.fakes import CONVERSATION, DingTalkServer
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import make_govbot

OPEN = ChangeView(1, "canary svc-user 0% → 20%", "prod", "demo", "svc-user", "alice", "open",
                  "-weight: 0\n+weight: 20\n", (), (), (), 2, ("sre",), "")
MERGED = dataclasses.replace(OPEN, state="merged", approved_by=("bob", "carol"))
PENDING = ("VirtualService svc-user (the apply target is not reachable; retried later)",)


@pytest.mark.parametrize(("pending", "shown"), [(PENDING, "merged, apply pending"),
                                                ((), "merged and applied")])
def test_slack_card_says_apply_pending(tmp_path: Path, pending: tuple[str, ...],
                                       shown: str) -> None:
    bot, fake = make_govbot(tmp_path / "home"), FakeSlack()
    chat = SlackChat(SlackSettings(signing_secret="s", bot_token="xoxb-t",
                                   api_url=fake.url + "/api/"),
                     bot.app.workflow, bot.app.store, post_interval=0)
    try:
        origin = Origin("command", "C0123", "U0ALICE", response_url=f"{fake.url}/response/1")
        deliver(chat.surface, origin, [ChangeOpened(OPEN, "change #1 opened")])
        deliver(chat.surface, origin, [ChangeMerged(MERGED, "#1 merged", pending=pending)])
        fake.wait_for(lambda slack: bool(slack.ok("chat.update")))
        update = fake.ok("chat.update")[0]
        assert shown in update.body["text"]
        assert shown in json.dumps(update.body["blocks"], ensure_ascii=False)
    finally:
        chat.stop()
        fake.close()
        bot.app.close()


@pytest.mark.parametrize("template", ["tpl-approval", ""])
def test_dingtalk_card_says_apply_pending(tmp_path: Path, template: str) -> None:
    bot, server = make_govbot(tmp_path / "home"), DingTalkServer()
    settings = DingTalkSettings(client_id="dingapp", client_secret="app-secret",
                                api_url=server.url, card_template_id=template)
    chat = DingTalkChat(settings, bot.app.workflow, bot.app.store,
                        http=Http(sleep=lambda _s: None))
    try:
        place = Place(CONVERSATION)
        deliver(chat.surface, place, [ChangeOpened(OPEN, "change #1 opened")])
        deliver(chat.surface, place, [ChangeMerged(MERGED, "#1 merged", pending=PENDING)])
        path = "/v1.0/card/instances" if template else "/v1.0/im/robots/interactiveCards"
        update = server.wait(path, 1, "PUT")[0]
        shown = json.dumps(update.body, ensure_ascii=False)
        assert "merged, apply pending, approved by bob, carol" in shown
    finally:
        chat.stop()
        server.close()
        bot.app.close()
