"""A govbot with its Slack adapter served over real HTTP, and a fake Slack Web API.

`slack` drives `govbot serve`'s WSGI app (bot.server) with signed requests, as Slack
would: slash commands, Approve/Reject clicks and mentions.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from bot.chat import ChatCore
from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from bot.server import make_server
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import Govbot, make_govbot

SECRET = "test-signing-secret"
TOKEN = "xoxb-test"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@dataclass
class SlackHarness:
    bot: Govbot
    fake: FakeSlack
    chat: SlackChat
    url: str
    _ids: count[int] = field(default_factory=lambda: count(1))

    def post(self, body: bytes, *, secret: str = SECRET, timestamp: int | None = None,
             headers: dict[str, str] | None = None) -> tuple[int, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        request = urllib.request.Request(
            self.url + "/slack/events", data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded",
                     "X-Slack-Request-Timestamp": ts,
                     "X-Slack-Signature": signature(secret, ts, body), **(headers or {})})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def command_body(self, user: str, text: str, command: str = "/canary",
                     channel: str = "C0123", trigger: str | None = None) -> bytes:
        return urllib.parse.urlencode({
            "token": "legacy", "team_id": "T0123", "team_domain": "acme",
            "channel_id": channel, "channel_name": "governance", "user_id": user,
            "user_name": f"display-{user}", "command": command, "text": text,
            "response_url": f"{self.fake.url}/response/{next(self._ids)}",
            "trigger_id": trigger or f"trigger.{next(self._ids)}",
        }).encode()

    def command(self, user: str, text: str, command: str = "/canary", **kw: Any) -> tuple[int, str]:
        return self.post(self.command_body(user, text, command, **kw))

    def click(self, user: str, change_id: int, message_ts: str, action: str = "govbot_approve",
              channel: str = "C0123") -> tuple[int, str]:
        payload = {
            "type": "block_actions", "api_app_id": "A1", "token": "legacy",
            "user": {"id": user, "username": f"display-{user}", "team_id": "T0123"},
            "team": {"id": "T0123", "domain": "acme"},
            "container": {"type": "message", "message_ts": message_ts, "channel_id": channel},
            "channel": {"id": channel, "name": "governance"},
            "message": {"type": "message", "ts": message_ts, "text": "card"},
            "trigger_id": f"trigger.{next(self._ids)}",
            "response_url": f"{self.fake.url}/response/{next(self._ids)}",
            "actions": [{"action_id": action, "block_id": f"govbot_change_{change_id}",
                         "value": str(change_id), "type": "button",
                         "action_ts": f"1700000100.{next(self._ids):06d}"}],
        }
        return self.post(urllib.parse.urlencode({"payload": json.dumps(payload)}).encode())

    def mention(self, user: str, text: str, event_id: str, ts: str = "1700000050.000100",
                retry: int = 0) -> tuple[int, str]:
        body = json.dumps({
            "token": "legacy", "team_id": "T0123", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id, "event_time": 1700000050,
            "event": {"type": "app_mention", "user": user, "team": "T0123", "channel": "C0123",
                      "text": f"<@UGOVBOT> {text}", "ts": ts, "event_ts": ts},
        }).encode()
        headers = {"Content-Type": "application/json"}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        return self.post(body, headers=headers)

    def settle(self) -> None:
        assert self.chat.drain(60), "slack work did not settle"


def serve(bot: Govbot, fake: FakeSlack, core: ChatCore | None = None,
          **kw: Any) -> tuple[SlackChat, str, Any]:
    settings = SlackSettings(signing_secret=SECRET, bot_token=TOKEN, api_url=fake.url + "/api/")
    chat = SlackChat(settings, core or bot.app.workflow, bot.app.store, post_interval=0, **kw)
    server = make_server("127.0.0.1", 0, chat.routes())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return chat, f"http://127.0.0.1:{server.server_port}", server


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    yield slack
    slack.close()


@pytest.fixture
def govbot_home(tmp_path: Path) -> Iterator[Govbot]:
    bot = make_govbot(tmp_path / "home")
    yield bot
    bot.app.close()


@pytest.fixture
def slack(govbot_home: Govbot, fake: FakeSlack) -> Iterator[SlackHarness]:
    chat, url, server = serve(govbot_home, fake)
    yield SlackHarness(govbot_home, fake, chat, url)
    chat.stop()
    server.shutdown()
    server.server_close()


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> list[str]:
    """Every mrkdwn text of a message's blocks (where Slack would parse mentions)."""
    found: list[str] = []
    for block in blocks:
        for part in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(part, dict) and part.get("type") == "mrkdwn":
                found.append(part["text"])
    return found
