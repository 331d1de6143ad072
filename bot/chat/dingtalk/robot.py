"""`DingTalkRobot`: posts alerts and events to a group through a custom robot webhook.

The custom robot is send-only. Each call is signed (`timestamp\\nsecret`, HMAC-SHA256,
base64, URL-encoded) and checked for `errcode`. DingTalk throttles a robot for ten minutes
once it sends more than 20 messages a minute, so the robot keeps its own budget: over
budget, messages wait in a queue and go out later coalesced into one message — on the next
`post` or `flush` with budget left. A storm becomes one message, not a throttled robot.

Example:
    robot = DingTalkRobot("https://oapi.dingtalk.com/robot/send?access_token=…", "SEC…")
    robot.post("svc-user: 37 requests rejected by the circuit breaker (UO) in 5m")
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from bot.chat.dingtalk.api import DeliveryError, Http, check_errcode
from bot.chat.dingtalk.sign import signed_url

log = logging.getLogger("govbot.dingtalk.robot")
PER_MINUTE = 20
WINDOW_S = 60.0
THROTTLED_CODE = 130101  # "send too fast": DingTalk already throttles us


class DingTalkRobot:
    def __init__(self, webhook: str, secret: str = "", *, http: Http | None = None,
                 clock: Callable[[], float] = time.time, per_minute: int = PER_MINUTE) -> None:
        self._webhook = webhook
        self._secret = secret
        self._http = http or Http()
        self._clock = clock
        self._per_minute = per_minute
        self._sent: deque[float] = deque()
        self._pending: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def post(self, text: str, title: str = "govbot") -> None:
        """Send `text` now when the budget allows, else queue it for a coalesced send."""
        with self._lock:
            self._pending.append((title, text))
            self._drain()

    def flush(self) -> bool:
        """Send what waits, if the budget allows; True when nothing waits any more."""
        with self._lock:
            self._drain()
            return not self._pending

    @property
    def waiting(self) -> int:
        return len(self._pending)

    def _budget_left(self) -> bool:
        now = self._clock()
        while self._sent and now - self._sent[0] >= WINDOW_S:
            self._sent.popleft()
        return len(self._sent) < self._per_minute

    def _drain(self) -> None:
        if not self._pending or not self._budget_left():
            return
        batch, self._pending = self._pending, []
        title, text = _coalesce(batch)
        self._sent.append(self._clock())
        try:
            self._send(title, text)
        except DeliveryError as error:
            log.error("posting to the dingtalk robot: %s", error)
            if str(THROTTLED_CODE) in str(error):
                # DingTalk counts differently from us: wait a full window, keep the text
                self._pending = batch + self._pending
                self._sent.extend([self._clock()] * self._per_minute)

    def _send(self, title: str, text: str) -> None:
        url = signed_url(self._webhook, self._secret, round(self._clock() * 1000))
        body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
        check_errcode(self._http.send("POST", url, body), "posting to the dingtalk robot")


def _coalesce(batch: list[tuple[str, str]]) -> tuple[str, str]:
    if len(batch) == 1:
        return batch[0]
    text = "\n\n---\n\n".join(text for _title, text in batch)
    return f"govbot: {len(batch)} messages", text
