"""Request signing: Slack's published example verifies; a wrong signature or a stale
timestamp is refused with 401 before anything runs or is written."""

from __future__ import annotations

import io
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import Any

from bot.chat.slack import SlackSettings
from bot.chat.slack.app import SlackChat
from bot.chat.slack.verify import signed, verifier
from bot.core.events import Event
from bot.core.types import Command
from bot.server import make_server
from tests.chat.slack.conftest import SECRET, SlackHarness
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import Govbot

# The example of Slack's "Verifying requests from Slack" page.
V1_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
V1_TIMESTAMP = 1531420618
V1_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id="
    b"G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-"
    b"collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F3977008"
    b"85554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c4"
    b"47fce8b6703c"
)
V1_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"


def call(now: float, body: bytes, signature: str = V1_SIGNATURE) -> tuple[str, list[bytes]]:
    """Run the signature gate in front of an app that echoes what reached it."""
    statuses: list[str] = []

    def behind(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response("200 OK", [])
        return [environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))]

    gate = signed(behind, verifier(V1_SECRET, clock=lambda: now))
    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)),
               "wsgi.input": io.BytesIO(body),
               "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(V1_TIMESTAMP),
               "HTTP_X_SLACK_SIGNATURE": signature}
    out = list(gate(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], out


def test_slacks_example_vector_verifies_and_reaches_the_app_unchanged() -> None:
    assert call(V1_TIMESTAMP, V1_BODY) == ("200 OK", [V1_BODY])


def test_the_example_is_refused_when_stale_or_tampered() -> None:
    assert call(V1_TIMESTAMP + 301, V1_BODY)[0].startswith("401")
    assert call(V1_TIMESTAMP, V1_BODY + b"------")[0].startswith("401")
    assert call(V1_TIMESTAMP, V1_BODY, V1_SIGNATURE[:-1] + "0")[0].startswith("401")


class Recorder:
    def __init__(self) -> None:
        self.commands: list[Command] = []

    def handle(self, command: Command) -> list[Event]:
        self.commands.append(command)
        return []


def test_the_example_through_serve_becomes_a_slack_command(govbot_home: Govbot,
                                                          fake: FakeSlack) -> None:
    recorder = Recorder()
    chat = SlackChat(SlackSettings(signing_secret=V1_SECRET, bot_token="xoxb-test",
                                   api_url=fake.url + "/api/"),
                     recorder, govbot_home.app.store, clock=lambda: V1_TIMESTAMP)
    server = make_server("127.0.0.1", 0, chat.routes())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.server_port}/slack/events", data=V1_BODY, method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded",
                 "X-Slack-Request-Timestamp": str(V1_TIMESTAMP),
                 "X-Slack-Signature": V1_SIGNATURE})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert "working on it: /webhook-collect" in response.read().decode()
        assert chat.drain(30)
    finally:
        chat.stop()
        server.shutdown()
        server.server_close()
    assert recorder.commands == [Command(
        "slack", "U2CERLKJA", "G8PSS9T3V", "/webhook-collect", team="T1DC2JH3J",
        event_id="command:398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")]
    assert fake.calls == []


def test_a_wrong_signature_is_refused_and_nothing_is_written(slack: SlackHarness) -> None:
    body = slack.command_body("U0ALICE", "svc-user 20%", trigger="trigger.forged")
    status, answer = slack.post(body, secret="not-the-secret")
    assert status == 401 and "invalid request" in answer
    stale = slack.command_body("U0ALICE", "svc-user 20%", trigger="trigger.stale")
    assert slack.post(stale, timestamp=int(time.time()) - 301)[0] == 401
    slack.settle()
    assert slack.bot.app.store.changes(None) == [] and slack.fake.calls == []
    assert slack.bot.app.store.claim_event("slack:command:trigger.forged")
    assert slack.bot.app.store.claim_event("slack:command:trigger.stale")
    assert slack.post(slack.command_body("U0ALICE", "svc-user 20%"), secret=SECRET)[0] == 200
