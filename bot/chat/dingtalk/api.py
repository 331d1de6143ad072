"""DingTalk's HTTP side: a small JSON transport with retries, and the OpenAPI calls the
adapter makes (access token, group messages, interactive cards, session webhooks).

Everything goes to `api_url` (default https://api.dingtalk.com), so tests point it at a
local server. A 5xx or a connection error is retried with exponential backoff; a 4xx or a
non-zero `errcode` raises `DeliveryError` at once. Callers log delivery errors and go on:
a change never depends on a message being delivered. Every call is counted
(`govbot_chat_calls_total{platform="dingtalk"}`, `govbot_chat_errors_total`).

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from bot import metrics
from bot.chat import scrub
from bot.core.errors import TransientError

Json = dict[str, Any]
TOKEN_MARGIN_S = 300  # renew the access token five minutes before DingTalk expires it


class DeliveryError(TransientError):
    """A DingTalk call did not succeed, after retries where retrying made sense."""


def _status(error: Exception) -> int:
    return error.code if isinstance(error, urllib.error.HTTPError) else 0


def _detail(error: urllib.error.HTTPError) -> str:
    """DingTalk's error code and message from a 4xx answer, never the body itself."""
    try:
        answer = json.loads(error.read() or b"{}")
    except (OSError, ValueError):
        return ""
    if not isinstance(answer, dict):
        return ""
    parts = [answer.get(key) for key in ("code", "errcode", "message", "errmsg")]
    return scrub(" ".join(str(part) for part in parts if part not in (None, "")))


def _origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of an http(s) URL without userinfo, else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return None
    return parts.scheme, parts.hostname.lower(), port or (443 if parts.scheme == "https"
                                                          else 80)


def host_of(url: str) -> str:
    """The host a URL names, for a log line (never its path or query)."""
    try:
        return scrub(urlsplit(url).hostname or "?", 80)
    except ValueError:
        return "?"


class Origins:
    """The DingTalk hosts govbot may post to when a URL comes from a request (a
    message's `sessionWebhook`, a stored card ref): exactly the configured API base and
    session-webhook base (scheme, host and port). Anything else is never contacted.

    Example:
        Origins(["https://api.dingtalk.com", "https://oapi.dingtalk.com"]).allows(
            "https://oapi.dingtalk.com/robot/sendBySession?session=…")   # True
    """

    def __init__(self, bases: Iterable[str]) -> None:
        self._allowed = {origin for origin in map(_origin, bases) if origin is not None}

    def allows(self, url: str) -> bool:
        # urlsplit drops tabs and newlines that urllib then refuses: none is allowed
        if any(ord(char) < 0x21 or char == "\x7f" for char in url):
            return False
        return _origin(url) in self._allowed


@dataclass
class Http:
    """JSON over HTTP with backoff: `attempts` tries, waits of `backoff` × 2ⁿ seconds."""

    attempts: int = 4
    backoff: float = 0.5
    timeout: float = 10.0
    sleep: Callable[[float], None] = field(default=time.sleep)

    def send(self, method: str, url: str, body: Mapping[str, Any],
             headers: Mapping[str, str] | None = None) -> Json:
        """One call with its retries, counted in `govbot_chat_calls_total` (and
        `govbot_chat_errors_total` when it fails)."""
        try:
            answer = self._send(method, url, body, headers)
        except Exception:
            metrics.chat_call("dingtalk", ok=False)
            raise
        metrics.chat_call("dingtalk", ok=True)
        return answer

    def _send(self, method: str, url: str, body: Mapping[str, Any],
              headers: Mapping[str, str] | None) -> Json:
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
                    detail = _detail(error) if isinstance(error, urllib.error.HTTPError) \
                        else ""
                    raise DeliveryError(f"{method} {_where(url)}: dingtalk answered "
                                        f"{status} {detail}".strip()) from None
                last = error
            except ValueError:  # a malformed URL: its text may hold a token, never shown
                raise DeliveryError(f"{method} {_where(url)}: not a usable URL") from None
        raise DeliveryError(f"{method} {_where(url)}: no success after {self.attempts} "
                            f"attempts ({scrub(last)})")


def _decode(raw: bytes) -> Json:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise DeliveryError("dingtalk answered something that is not JSON") from None
    return value if isinstance(value, dict) else {"result": value}


def _where(url: str) -> str:
    """Scheme, host and path of a URL: never its query, which may hold a robot's access
    token or a session key, nor userinfo; a long path segment is masked too."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "?"
    path = "/".join(scrub(segment, 60) for segment in parts.path.split("/"))
    return f"{parts.scheme}://{host_of(url)}{path[:200]}"


def check_errcode(answer: Json, doing: str) -> Json:
    """Robot webhooks answer 200 with `errcode`; anything but 0 is a failure."""
    code = answer.get("errcode", 0)
    if code not in (0, "0"):
        # the call itself counted as made; the robot's refusal is its error
        metrics.CHAT_ERRORS.labels(platform="dingtalk").inc()
        raise DeliveryError(f"{doing}: dingtalk errcode {scrub(code, 20)} "
                            f"{scrub(answer.get('errmsg', ''))}".strip())
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
