"""Governance-event messages at the wire: Slack's Web API and DingTalk's custom robot as
local HTTP servers. One message per group, updated in place on Slack and re-posted only at
count steps on DingTalk; a storm stays within each platform's limit; a failing post is
retried and never costs the audit log an event."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import pytest

from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.app import DingTalkChat
from bot.chat.dingtalk.robot import PER_MINUTE
from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from bot.store.audit import EventQuery
from tests.chat.dingtalk.fakes import DingTalkServer
from tests.chat.slack.conftest import SECRET, TOKEN
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import Govbot
from tests.events.support import configure, event

ROBOT = "/robot/send"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack()
    yield slack
    slack.close()


def _slack(govbot: Govbot, fake: FakeSlack, interval: float = 0.0) -> SlackChat:
    """The Slack adapter as `govbot serve` builds it; only what govbot posts is used."""
    settings = SlackSettings(signing_secret=SECRET, bot_token=TOKEN, api_url=fake.url + "/api/")
    return SlackChat(settings, govbot.app.workflow, govbot.app.store, post_interval=interval)


def test_repeated_events_update_one_slack_message_with_the_new_count(
        govbot: Govbot, fake: FakeSlack) -> None:
    chat = _slack(govbot, fake)
    try:
        chat.announce(govbot.app.workflow.ingest([event(count=2)]))
        assert chat.drain(60)
        chat.announce(govbot.app.workflow.ingest([event(count=40)]))
        assert chat.drain(60)
    finally:
        chat.stop()
    [posted] = fake.ok("chat.postMessage")
    assert posted.body["channel"] == "C0123" and "tripped 2×" in posted.body["text"]
    ref = govbot.app.store.chat_ref("slack:notice:C0123:events:1")
    assert ref is not None
    [update] = fake.ok("chat.update")
    assert update.body["ts"] == ref["ts"] and update.body["channel"] == "C0123"
    assert "tripped 42×" in update.body["text"]


def test_an_unbound_namespace_reaches_the_default_slack_channel(
        govbot: Govbot, fake: FakeSlack) -> None:
    configure(govbot, events={"defaultChannel": {"platform": "slack", "channel": "C0999"}})
    chat = _slack(govbot, fake)
    try:
        chat.announce(govbot.app.workflow.ingest([event(namespace="payments")]))
        assert chat.drain(60)
    finally:
        chat.stop()
    assert [c.body["channel"] for c in fake.ok("chat.postMessage")] == ["C0999"]


def test_a_burst_of_ten_thousand_stays_within_slacks_pace(govbot: Govbot,
                                                          fake: FakeSlack) -> None:
    chat = _slack(govbot, fake, interval=1.0)
    started = time.monotonic()
    try:
        for batch in range(10):
            chat.announce(govbot.app.workflow.ingest(
                [event(service=f"svc-{n % 2}", ago=batch * 10 + n % 10)
                 for n in range(1000)]))
        assert chat.drain(60)
    finally:
        chat.stop()
    elapsed = time.monotonic() - started
    assert govbot.app.store.events.find(EventQuery())[1] == 10_000
    messages = fake.ok("chat.postMessage") + fake.ok("chat.update")
    assert len(fake.ok("chat.postMessage")) == 2  # one message per service
    assert len(messages) <= 1 + elapsed  # about one call per second in the one channel
    assert len(messages) <= 6, [m.body["text"] for m in messages]


def test_a_failing_slack_post_is_retried_and_the_events_stay_in_the_audit_log(
        govbot: Govbot, fake: FakeSlack, caplog: pytest.LogCaptureFixture) -> None:
    fake.fail["chat.postMessage"] = (400, {"ok": False, "error": "invalid_arguments"})
    chat = _slack(govbot, fake)
    with caplog.at_level(logging.WARNING, logger="govbot.slack"):
        try:
            chat.announce(govbot.app.workflow.ingest([event(count=3)]))
            assert chat.drain(60)
        finally:
            chat.stop()
    assert [c.status for c in fake.calls if c.method == "chat.postMessage"] == [400, 200]
    assert "tripped 3×" in fake.ok("chat.postMessage")[0].body["text"]
    assert any("trying again" in r.getMessage() for r in caplog.records)
    assert govbot.app.store.events.find(EventQuery())[1] == 1


@pytest.fixture
def dingtalk() -> Iterator[DingTalkServer]:
    server = DingTalkServer()
    yield server
    server.close()


def _robot_chat(govbot: Govbot, server: DingTalkServer) -> DingTalkChat:
    settings = DingTalkSettings(robot_webhook=f"{server.url}{ROBOT}?access_token=abc",
                                robot_secret="SECtest")
    return DingTalkChat(settings, govbot.app.workflow, govbot.app.store,
                        http=Http(sleep=lambda _s: None))


def test_dingtalk_posts_a_group_again_only_when_its_count_gains_a_digit(
        govbot: Govbot, dingtalk: DingTalkServer) -> None:
    chat = _robot_chat(govbot, dingtalk)
    try:
        for count in (1, 4, 7, 30, 58):  # running counts 1, 5, 12, 42, 100
            chat.announce(govbot.app.workflow.ingest([event(count=count)]))
    finally:
        chat.stop()
    texts = [s.body["markdown"]["text"] for s in dingtalk.requests(ROBOT)]
    assert len(texts) == 3, texts
    assert ["tripped 1×" in texts[0], "tripped 12×" in texts[1],
            "tripped 100×" in texts[2]] == [True, True, True]


def test_a_burst_of_ten_thousand_stays_within_the_robots_twenty_a_minute(
        govbot: Govbot, dingtalk: DingTalkServer) -> None:
    chat = _robot_chat(govbot, dingtalk)
    try:
        for batch in range(10):
            chat.announce(govbot.app.workflow.ingest(
                [event(service=f"svc-{n % 3}", ago=batch * 10 + n % 10)
                 for n in range(1000)]))
    finally:
        chat.stop()
    assert govbot.app.store.events.find(EventQuery())[1] == 10_000
    assert 3 <= len(dingtalk.requests(ROBOT)) <= PER_MINUTE
