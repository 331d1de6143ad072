"""Posting: 429 Retry-After is honoured, follow-ups find a card still queued, a late event
never reopens a decided card, start-up calls nothing, /healthz answers, and `govbot
serve`'s composition root builds the adapter from GOVBOT_SLACK_* settings."""

from __future__ import annotations

import dataclasses
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

from bot.app import build, served_chats
from bot.chat.slack.app import SlackChat
from bot.core.events import ApprovalRecorded, ChangeMerged, ChangeOpened, Event
from bot.core.types import ChangeView, Command
from bot.server import make_server
from bot.settings import Settings
from tests.chat.slack.conftest import SlackHarness, mrkdwn_texts, serve
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import Govbot, card_of

VIEW = ChangeView(5, "canary svc-user 0% → 100%", "dev", "demo", "svc-user", "alice", "open",
                  "", (), (), (), 0, (), "")
MERGED = dataclasses.replace(VIEW, state="merged")


class ScriptedCore:
    """Answers each command with the next batch of events of its script."""

    def __init__(self, *batches: list[Event]) -> None:
        self.batches = list(batches)

    def handle(self, command: Command) -> list[Event]:
        return self.batches.pop(0)


def run_script(bot: Govbot, fake: FakeSlack, core: ScriptedCore, commands: int) -> None:
    chat, url, server = serve(bot, fake, core)
    harness = SlackHarness(bot, fake, chat, url)
    try:
        for _ in range(commands):
            assert harness.command("U0ALICE", "svc-user 100%")[0] == 200
            harness.settle()
    finally:
        chat.stop()
        server.shutdown()
        server.server_close()


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
    assert card_of(slack.bot.app, 1).approved_by == ("bob",)
    answer = slack.fake.ok("response")[-1].body   # no card to thread under: back to bob
    assert "approved by bob (1 of 2)" in answer["text"]


def test_a_follow_up_in_the_same_batch_lands_in_the_thread_of_the_card_it_follows(
        govbot_home: Govbot, fake: FakeSlack) -> None:
    fake.throttle["chat.postMessage"] = 1  # the card waits in the queue for Retry-After
    run_script(govbot_home, fake, ScriptedCore(
        [ChangeOpened(VIEW, "change #5 opened"), ChangeMerged(MERGED, "#5 merged, applied")]),
        commands=1)
    card, merged = (c.body for c in fake.ok("chat.postMessage"))
    ref = govbot_home.app.store.chat_ref("slack:change:5")
    assert ref is not None and card["channel"] == "C0123" and "thread_ts" not in card
    assert merged["thread_ts"] == ref["ts"] and merged["text"] == "#5 merged, applied"
    update = fake.ok("chat.update")[0].body
    assert update["ts"] == ref["ts"] and not any(b["type"] == "actions" for b in update["blocks"])
    assert fake.ok("response") == []


def test_a_late_open_view_does_not_redraw_a_merged_card(govbot_home: Govbot,
                                                         fake: FakeSlack) -> None:
    late = dataclasses.replace(VIEW, approvals_required=2, approved_by=("bob",))
    run_script(govbot_home, fake, ScriptedCore(
        [ChangeOpened(VIEW, "change #5 opened"), ChangeMerged(MERGED, "#5 merged")],
        [ApprovalRecorded(late, "#5 approved by bob (1 of 2)")]), commands=2)
    thread = [c.body["text"] for c in fake.ok("chat.postMessage")[1:]]
    assert thread == ["#5 merged", "#5 approved by bob (1 of 2)"]
    [update] = [c.body for c in fake.ok("chat.update")]
    assert any("merged and applied" in t for t in mrkdwn_texts(update["blocks"]))


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
