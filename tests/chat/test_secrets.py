"""No chat adapter prints a token, a secret, a signing secret or a webhook URL with its
access token: a story through the Slack and DingTalk fakes, failures included, with every
log record (DEBUG and up, govbot's and the SDKs') searched for recognisable secrets."""

from __future__ import annotations

import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import Http
from bot.chat.dingtalk.app import DingTalkChat
from bot.chat.dingtalk.sign import callback_sign
from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from bot.server import make_server
from tests.chat.dingtalk.fakes import ALICE, BOB, CONVERSATION, CORP, DingTalkServer
from tests.chat.slack.conftest import signature
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import make_govbot

SLACK_SIGNING = "slacksigningSECRETa1b2c3d4e5f6"
SLACK_BOT = "xoxb-1111-BOTTOKENSECRETzz9y8x7w"
SLACK_RESPONSE = "RESPONSEURLSECRETq1w2e3r4"
DT_CLIENT = "dtclientSECRETm9n8b7v6c5x4"
DT_APP = "dtappSECRETl0k9j8h7g6f5d4"
DT_ROBOT = "SECrobotSECRETp0o9i8u7y6t5"
DT_ACCESS = "robotACCESSTOKENSECRETz1x2c3"
DT_OAPI_TOKEN = "oapiTOKENSECRETa9s8d7f6g5h4"
DT_SESSION = "sessionKEYSECRETr4e3w2q1"
SECRETS = [SLACK_SIGNING, SLACK_BOT, SLACK_RESPONSE, DT_CLIENT, DT_APP, DT_ROBOT, DT_ACCESS,
           DT_OAPI_TOKEN, DT_SESSION]


def _leaks(caplog: pytest.LogCaptureFixture) -> list[str]:
    found = []
    for record in caplog.records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info)
                                      if record.exc_info else "") + (record.exc_text or "")
        found += [f"{record.name}: {secret} in {text[:300]!r}" for secret in SECRETS
                  if secret in text]
    return found


def _post(url: str, data: bytes, headers: dict[str, str]) -> int:
    request = urllib.request.Request(url, data=data, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def test_slack_story_with_failures_prints_no_secret(tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot, fake = make_govbot(tmp_path / "home"), FakeSlack()
    settings = SlackSettings(signing_secret=SLACK_SIGNING, bot_token=SLACK_BOT,
                             api_url=fake.url + "/api/")
    chat = SlackChat(settings, bot.app.workflow, bot.app.store, post_interval=0)
    server = make_server("127.0.0.1", 0, chat.routes())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/slack/events"

    def command(user: str, text: str, command: str, n: int, secret: str = SLACK_SIGNING) -> int:
        body = urllib.parse.urlencode({
            "command": command, "text": text, "team_id": "T0123", "user_id": user,
            "channel_id": "C0123", "trigger_id": f"t.{n}",
            "response_url": f"{fake.url}/response/{SLACK_RESPONSE}/{n}"}).encode()
        stamp = str(int(time.time()))
        return _post(url, body, {"Content-Type": "application/x-www-form-urlencoded",
                                 "X-Slack-Request-Timestamp": stamp,
                                 "X-Slack-Signature": signature(secret, stamp, body)})

    try:
        echo = {"ok": False, "error": "invalid_auth", "token": SLACK_BOT,
                "url": f"{fake.url}/response/{SLACK_RESPONSE}"}
        fake.fail["chat.postMessage"] = (200, echo)  # the card fails, echoing secrets
        assert command("U0ALICE", "svc-user 20%", "/canary", 1) == 200
        assert command("U0ALICE", "svc-user 20%", "/canary", 2, secret="wrong") == 401
        assert command("U0BOB", "1", "/approve", 3) == 200
        fake.throttle["chat.postMessage"] = 1
        fake.fail["chat.postEphemeral"] = (400, echo)
        assert command("U0ALICE", "svc-order 10%", "/canary", 4) == 200
        assert command("U0ALICE", "", "/changes", 5) == 200
        assert chat.drain(60)
        assert fake.calls, "the story reached the fake Slack"
    finally:
        chat.stop()
        server.shutdown()
        server.server_close()
        fake.close()
        bot.app.close()
    leaks = _leaks(caplog)
    assert caplog.records
    assert leaks == [], "\n".join(leaks)


NOW_MS = round(time.time() * 1000)


def test_dingtalk_story_with_failures_prints_no_secret(tmp_path: Path,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    bot, dingtalk = make_govbot(tmp_path / "home"), DingTalkServer()
    settings = DingTalkSettings(
        client_id="dingapp", client_secret=DT_CLIENT, app_secret=DT_APP,
        robot_code="dingrobot", corp_id=CORP, api_url=dingtalk.url, session_url=dingtalk.url,
        robot_webhook=f"{dingtalk.url}/robot/send?access_token={DT_ACCESS}",
        robot_secret=DT_ROBOT, callback_approvals=True)
    echo = {"code": "InvalidAuthentication", "errcode": 310000,
            "message": f"bad token {DT_OAPI_TOKEN} for {DT_CLIENT}",
            "errmsg": f"sign not match: {DT_ROBOT} {DT_ACCESS}",
            "request": {"appSecret": DT_CLIENT, "url": settings.robot_webhook}}
    dingtalk.answers = {
        "/v1.0/oauth2/accessToken": [(200, {"accessToken": DT_OAPI_TOKEN, "expireIn": 7200})],
        f"/session/{DT_SESSION}": [(400, echo)],                  # the session reply fails
        "/v1.0/robot/groupMessages/send": [(403, echo), (500, echo), (500, echo),
                                           (500, echo), (500, echo)],
        "/robot/send": [(200, echo)],                              # errcode from the robot
        "/v1.0/im/v1.0/robot/interactiveCards/send": [(400, echo)],
    }
    chat = DingTalkChat(settings, bot.app.workflow, bot.app.store,
                        http=Http(sleep=lambda _s: None))
    server = make_server("127.0.0.1", 0, chat.routes())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/dingtalk/events"

    def message(n: int, staff: str, text: str, app_secret: str = DT_APP) -> int:
        body = {"msgtype": "text", "text": {"content": text}, "msgId": f"msg-{n}",
                "conversationId": CONVERSATION, "senderStaffId": staff,
                "senderCorpId": CORP, "robotCode": "dingrobot",
                "sessionWebhook": f"{dingtalk.url}/session/{DT_SESSION}?session={DT_SESSION}",
                "sessionWebhookExpiredTime": NOW_MS + 5_400_000}
        stamp = str(NOW_MS + n)
        return _post(url, json.dumps(body).encode(), {
            "Content-Type": "application/json", "timestamp": stamp,
            "sign": callback_sign(stamp, app_secret)})

    try:
        assert message(1, ALICE, " /canary svc-user 20%") == 200
        assert message(2, ALICE, " /canary svc-user 20%", app_secret="wrong") == 401
        dingtalk.wait("/robot/send", 1)
        assert message(3, BOB, " /approve 1") == 200
        assert message(4, ALICE, "/changes") == 200
        dingtalk.wait(f"/session/{DT_SESSION}", 3)
    finally:
        server.shutdown()
        server.server_close()
        chat.stop()
        dingtalk.close()
        bot.app.close()
    leaks = _leaks(caplog)
    assert caplog.records
    assert leaks == [], "\n".join(leaks)
