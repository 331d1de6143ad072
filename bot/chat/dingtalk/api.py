"""DingTalk's HTTP side: a small JSON transport with retries, and the OpenAPI calls the
adapter makes (access token, group messages, interactive cards, session webhooks).

Everything goes to `api_url` (default https://api.dingtalk.com), so tests point it at a
local server. A 5xx or a connection error is retried with exponential backoff; a 4xx or a
non-zero `errcode` raises `DeliveryError` at once. Callers log delivery errors and go on:
a change never depends on a message being delivered.

Example:
    api = OpenApi("https://api.dingtalk.com", "dingxxxx", "secret", Http())
    api.send_group_text("dingxxxx", "cidXXXX", "govbot", "#12 merged")
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from bot.core.errors import TransientError

Json = dict[str, Any]
TOKEN_MARGIN_S = 300  # renew the access token five minutes before DingTalk expires it


class DeliveryError(TransientError):
    """A DingTalk call did not succeed, after retries where retrying made sense."""


def _status(error: Exception) -> int:
    return error.code if isinstance(error, urllib.error.HTTPError) else 0


@dataclass
class Http:
    """JSON over HTTP with backoff: `attempts` tries, waits of `backoff` × 2ⁿ seconds."""

    attempts: int = 4
    backoff: float = 0.5
    timeout: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def send(self, method: str, url: str, body: Mapping[str, Any],
             headers: Mapping[str, str] | None = None) -> Json:
        data = json.dumps(body, ensure_ascii=False).encode()
        request_headers = {"Content-Type": "application/json", **(headers or {})}
        last: Exception | None = None
        for attempt in range(self.attempts):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            request = urllib.request.Request(url, data=data, method=method,
                                             headers=request_headers)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return _decode(response.read())
            except OSError as error:  # URLError and HTTPError are OSErrors
                status = _status(error)
                if 400 <= status < 500:
                    detail = error.read().decode(errors="replace")[:300] \
                        if isinstance(error, urllib.error.HTTPError) else ""
                    raise DeliveryError(f"{method} {_where(url)}: dingtalk answered "
                                        f"{status} {detail}".strip()) from error
                last = error
        raise DeliveryError(f"{method} {_where(url)}: no success after {self.attempts} "
                            f"attempts ({last})")


def _decode(raw: bytes) -> Json:
    if not raw.strip():
        return {}
    value = json.loads(raw)
    return value if isinstance(value, dict) else {"result": value}


def _where(url: str) -> str:
    """The URL without its query, which may hold a robot's access token."""
    return url.split("?", 1)[0]


def check_errcode(answer: Json, doing: str) -> Json:
    """Robot webhooks answer 200 with `errcode`; anything but 0 is a failure."""
    code = answer.get("errcode", 0)
    if code not in (0, "0"):
        raise DeliveryError(f"{doing}: dingtalk errcode {code} {answer.get('errmsg', '')}"
                            .strip())
    return answer


def post_session(http: Http, webhook: str, title: str, text: str) -> None:
    """Reply through a message's `sessionWebhook` (no token needed while it is valid)."""
    body = {"msgtype": "markdown", "markdown": {"title": title, "text": text}}
    check_errcode(http.send("POST", webhook, body), "replying through the session webhook")


class OpenApi:
    """The OpenAPI calls of an internal app robot, with a cached access token."""

    def __init__(self, api_url: str, client_id: str, client_secret: str, http: Http,
                 clock: Callable[[], float] = time.time) -> None:
        self._base = api_url.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._http = http
        self._clock = clock
        self._token = ""
        self._token_until = 0.0
        self._lock = threading.Lock()

    def token(self) -> str:
        with self._lock:
            if self._token and self._clock() < self._token_until:
                return self._token
            answer = self._http.send("POST", f"{self._base}/v1.0/oauth2/accessToken",
                                     {"appKey": self._client_id,
                                      "appSecret": self._client_secret})
            token = str(answer.get("accessToken") or "")
            if not token:
                raise DeliveryError("getting a dingtalk access token: no accessToken in answer")
            self._token = token
            expires_in = float(answer.get("expireIn") or 7200)
            self._token_until = self._clock() + max(0.0, expires_in - TOKEN_MARGIN_S)
            return token

    def call(self, method: str, path: str, body: Mapping[str, Any]) -> Json:
        headers = {"x-acs-dingtalk-access-token": self.token()}
        return self._http.send(method, f"{self._base}{path}", body, headers)

    def send_group_text(self, robot_code: str, conversation_id: str, title: str,
                        text: str) -> None:
        self.call("POST", "/v1.0/robot/groupMessages/send", {
            "robotCode": robot_code, "openConversationId": conversation_id,
            "msgKey": "sampleMarkdown",
            "msgParam": json.dumps({"title": title, "text": text}, ensure_ascii=False)})

    def create_card(self, template_id: str, out_track_id: str, robot_code: str,
                    conversation_id: str, params: Mapping[str, str]) -> None:
        """An interactive card from a template, its buttons calling back over Stream."""
        self.call("POST", "/v1.0/card/instances/createAndDeliver", {
            "cardTemplateId": template_id, "outTrackId": out_track_id,
            "cardData": {"cardParamMap": dict(params)}, "callbackType": "STREAM",
            "imGroupOpenSpaceModel": {"supportForward": False},
            "openSpaceId": f"dtv1.card//IM_GROUP.{conversation_id}",
            "imGroupOpenDeliverModel": {"robotCode": robot_code}, "userIdType": 1})

    def update_card(self, out_track_id: str, params: Mapping[str, str]) -> None:
        self.call("PUT", "/v1.0/card/instances", {
            "outTrackId": out_track_id, "cardData": {"cardParamMap": dict(params)},
            "cardUpdateOptions": {"updateCardDataByKey": True}})

    def send_standard_card(self, card_biz_id: str, robot_code: str, conversation_id: str,
                           card: Mapping[str, Any]) -> None:
        """DingTalk's StandardCard: the card JSON itself, no template to build first."""
        self.call("POST", "/v1.0/im/v1.0/robot/interactiveCards/send", {
            "cardTemplateId": "StandardCard", "cardBizId": card_biz_id,
            "robotCode": robot_code, "openConversationId": conversation_id,
            "cardData": json.dumps(card, ensure_ascii=False), "sendOptions": {}})

    def update_standard_card(self, card_biz_id: str, card: Mapping[str, Any]) -> None:
        self.call("PUT", "/v1.0/im/robots/interactiveCards", {
            "cardBizId": card_biz_id, "cardData": json.dumps(card, ensure_ascii=False)})
