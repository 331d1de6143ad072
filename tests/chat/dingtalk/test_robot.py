"""The custom-robot poster against a local webhook: signing, budget, errcodes, 5xx."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.robot import DingTalkRobot
from tests.chat.dingtalk.fakes import DingTalkServer

TS_S = 1577262236.757
SIGN = "hmPWwU%2B7lVdm3ZZz0r9tSfx0L4Q26jWOZr9%2BGs6EZQM%3D"  # reference vector V3


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[DingTalkServer]:
    server = DingTalkServer()
    yield server
    server.close()


def _robot(server: DingTalkServer, clock: Clock, waits: list[float] | None = None
           ) -> DingTalkRobot:
    sleeps = waits if waits is not None else []
    return DingTalkRobot(f"{server.url}/robot/send?access_token=abc", "this is secret",
                         http=Http(sleep=sleeps.append), clock=clock)


def test_post_is_signed_and_sent_as_markdown(server: DingTalkServer) -> None:
    _robot(server, Clock(TS_S)).post("svc-user: 37 calls rejected (UO)", title="events")
    [seen] = server.requests("/robot/send")
    assert seen.raw_query == f"access_token=abc&timestamp=1577262236757&sign={SIGN}"
    assert seen.body == {"msgtype": "markdown", "markdown": {
        "title": "events", "text": "svc-user: 37 calls rejected (UO)"}}


def test_over_twenty_a_minute_waits_and_goes_out_coalesced(server: DingTalkServer) -> None:
    clock = Clock(TS_S)
    robot = _robot(server, clock)
    for n in range(23):
        robot.post(f"event {n}")
    assert len(server.requests("/robot/send")) == 20
    assert robot.waiting == 3
    assert robot.flush() is False  # still the same minute
    clock.now += 61
    assert robot.flush() is True
    sent = server.requests("/robot/send")
    assert len(sent) == 21
    text = sent[-1].body["markdown"]["text"]
    assert all(f"event {n}" in text for n in (20, 21, 22))
    assert sent[-1].body["markdown"]["title"] == "govbot: 3 messages"


def test_errcode_is_logged_with_its_code(server: DingTalkServer,
                                         caplog: pytest.LogCaptureFixture) -> None:
    server.answers["/robot/send"] = [(200, {"errcode": 310000, "errmsg": "sign not match"})]
    with caplog.at_level(logging.ERROR, logger="govbot.dingtalk.robot"):
        _robot(server, Clock(TS_S)).post("hello")
    assert "310000" in caplog.text and "sign not match" in caplog.text


def test_throttled_robot_keeps_the_message_for_later(server: DingTalkServer) -> None:
    server.answers["/robot/send"] = [(200, {"errcode": 130101, "errmsg": "send too fast"})]
    clock = Clock(TS_S)
    robot = _robot(server, clock)
    robot.post("keep me")
    assert robot.waiting == 1
    clock.now += 61
    assert robot.flush() is True
    assert server.requests("/robot/send")[-1].body["markdown"]["text"] == "keep me"


def test_5xx_is_retried_with_backoff(server: DingTalkServer) -> None:
    server.answers["/robot/send"] = [(502, {}), (503, {})]
    waits: list[float] = []
    _robot(server, Clock(TS_S), waits).post("after two failures")
    sent = server.requests("/robot/send")
    assert len(sent) == 3
    assert waits == [0.5, 1.0]
