"""Posting: 429 Retry-After is honoured, start-up calls nothing, /healthz answers, and
`govbot serve`'s composition root builds the adapter from GOVBOT_SLACK_* settings."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

from bot.app import build, served_chats
from bot.chat.slack.app import SlackChat
from bot.server import make_server
from bot.settings import Settings
from tests.chat.slack.conftest import SlackHarness
from tests.chat.slack.fake_slack import FakeSlack


def test_a_throttled_card_is_posted_after_retry_after(slack: SlackHarness) -> None:
    slack.fake.throttle["chat.postMessage"] = 1
    assert slack.command("U0ALICE", "svc-user 20%")[0] == 200
    slack.settle()
    posts = [c.status for c in slack.fake.calls if c.method == "chat.postMessage"]
    assert posts == [429, 200]
    assert slack.bot.app.store.chat_ref("slack:change:1") is not None


def test_a_card_that_never_arrives_leaves_the_change_intact(slack: SlackHarness) -> None:
    slack.fake.throttle["chat.postMessage"] = 10  # more than the client retries
    slack.command("U0ALICE", "svc-user 20%")
    slack.settle()
    assert [c.id for c in slack.bot.app.store.changes()] == [1]
    assert slack.bot.app.store.chat_ref("slack:change:1") is None
    slack.fake.throttle.clear()
    slack.command("U0BOB", "1", command="/approve")
    slack.settle()
    assert slack.bot.app.workflow.view(1).approved_by == ("bob",)
    answer = slack.fake.ok("response")[-1].body   # no card to thread under: back to bob
    assert "approved by bob (1 of 2)" in answer["text"]


def test_serve_builds_slack_from_settings_and_calls_nothing_at_start(
        tmp_path: Path, fake: FakeSlack) -> None:
    settings = Settings.from_env({
        "GOVBOT_HOME": str(tmp_path / "home"), "SLACK_SIGNING_SECRET": "s3cret",
        "GOVBOT_SLACK_BOT_TOKEN": "xoxb-test", "GOVBOT_SLACK_API_URL": fake.url + "/api/"})
    app = build(settings)
    chats = served_chats(app)
    assert [type(chat) for chat in chats] == [SlackChat]
    routes = {path: handler for chat in chats for path, handler in chat.routes().items()}
    assert list(routes) == ["/slack/events"]
    server = make_server("127.0.0.1", 0, routes)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for chat in chats:
            chat.start()
        base = f"http://127.0.0.1:{server.server_port}"
        with urllib.request.urlopen(base + "/healthz", timeout=30) as response:
            assert json.loads(response.read()) == {"ok": True}
        unsigned = urllib.request.Request(base + "/slack/events", data=b"x=1", method="POST")
        try:
            urllib.request.urlopen(unsigned, timeout=30)
            raise AssertionError("an unsigned request was accepted")
        except urllib.error.HTTPError as error:
            assert error.code == 401
    finally:
        for chat in chats:
            chat.stop()
        server.shutdown()
        server.server_close()
        app.close()
    assert fake.calls == []
