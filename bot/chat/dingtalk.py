"""`DingTalkChat`: govbot in DingTalk groups, behind the same chat port as Slack.

Commands come in two ways, both acked before the work runs:
- Stream mode (client id + secret): robot messages and card clicks over the SDK's
  WebSocket (`dingtalk_stream`); no public URL.
- HTTP callback mode (app secret): the outgoing robot POSTs to `/dingtalk/events`
  (`dingtalk_callback`: signature, window, robotCode, msgId dedupe).

Replies go through the message's `sessionWebhook` while it is valid, then through the
OpenAPI group-message send, then through the custom robot webhook. DingTalk has no
threads, so every follow-up names its change (`#12 …`). A change's approval card is:
- an interactive card from `card_template_id` (createAndDeliver, updated by PUT);
- without a template, DingTalk's StandardCard (robot interactiveCards send / update);
- without Stream credentials (no button callbacks), a markdown card saying how to
  approve by text (`/approve 12`); updates are the follow-up messages themselves.
Where a card went is remembered under `dingtalk:change:<id>`. Delivery failures are
logged; the change never depends on a message being delivered.

Example:
    chat = DingTalkChat(settings.dingtalk, app.workflow, app.store)
    chat.start()        # Stream connection in a background thread
    routes = chat.routes()   # {"/dingtalk/events": wsgi_app} when app_secret is set
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal

from bot.chat import ChatCore, ChatRefs, WsgiApp
from bot.chat.dingtalk_api import DeliveryError, Http, OpenApi, post_session
from bot.chat.dingtalk_callback import callback_app, message_key
from bot.chat.dingtalk_cards import (
    card_params,
    parse_click,
    standard_card,
    text_card,
    track_id,
)
from bot.chat.dingtalk_robot import DingTalkRobot
from bot.chat.dingtalk_sign import strip_mention
from bot.chat.dingtalk_stream import StreamRunner, Work
from bot.core.errors import NotFound
from bot.core.types import ChangeView, Command, Reply
from bot.settings import DingTalkSettings

log = logging.getLogger("govbot.dingtalk")
PLATFORM = "dingtalk"
ROUTE = "/dingtalk/events"
WEBHOOK_MARGIN_MS = 60_000  # stop using a session webhook a minute before it expires
CardMode = Literal["template", "standard", "text"]


@dataclass(frozen=True)
class Place:
    """Where to answer: a conversation and, while valid, its session webhook."""

    conversation_id: str
    session_webhook: str = ""
    expires_ms: int = 0

    @classmethod
    def of_message(cls, payload: Mapping[str, Any]) -> Place:
        return cls(str(payload.get("conversationId") or ""),
                   str(payload.get("sessionWebhook") or ""),
                   int(payload.get("sessionWebhookExpiredTime") or 0))


def change_key(change_id: int) -> str:
    return f"dingtalk:change:{change_id}"


def named(reply: Reply) -> str:
    """The reply's text, starting with `#N` when it is about a change that it does not name."""
    if reply.change_id is None or f"#{reply.change_id}" in reply.text:
        return reply.text
    return f"#{reply.change_id} {reply.text}"


class DingTalkChat:
    def __init__(self, settings: DingTalkSettings, core: ChatCore, refs: ChatRefs, *,
                 clock: Callable[[], float] = time.time, http: Http | None = None,
                 workers: int = 4) -> None:
        self._settings = settings
        self._core = core
        self._refs = refs
        self._clock = clock
        self._http = http or Http()
        self._api = (OpenApi(settings.api_url, settings.client_id, settings.client_secret,
                             self._http, clock) if settings.stream_enabled else None)
        self._robot = (DingTalkRobot(settings.robot_webhook, settings.robot_secret,
                                     http=self._http, clock=clock)
                       if settings.robot_webhook else None)
        self._robot_code = settings.robot_code or settings.client_id
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dingtalk")
        self._cards = threading.Lock()  # one card update at a time, so none goes stale
        self._stream: StreamRunner | None = None

    @property
    def card_mode(self) -> CardMode:
        if self._api is None:
            return "text"
        return "template" if self._settings.card_template_id else "standard"

    # -- the ServedChat port ------------------------------------------------------------

    def routes(self) -> Mapping[str, WsgiApp]:
        if not self._settings.callback_enabled:
            return {}
        accept = self._later(lambda payload: self.handle_message(payload, claimed=True))
        return {ROUTE: callback_app(self._settings.app_secret, self._settings.robot_code,
                                    self._refs, accept, self._clock)}

    def start(self) -> None:
        if not self._settings.stream_enabled or self._stream is not None:
            return
        self._stream = StreamRunner(
            self._settings.client_id, self._settings.client_secret, self._settings.api_url,
            on_message=lambda payload, _delivery: self.handle_message(payload),
            on_card=self.handle_click, submit=self._submit, http=self._http)
        self._stream.start()

    def stop(self) -> None:
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        self._pool.shutdown(wait=True)

    def _later(self, work: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        return lambda payload: self._submit(lambda: work(payload))

    def _submit(self, work: Work) -> None:
        self._pool.submit(self._guarded, work)

    @staticmethod
    def _guarded(work: Work) -> None:
        try:
            work()
        except Exception:
            log.exception("handling a dingtalk delivery")

    # -- incoming -----------------------------------------------------------------------

    def handle_message(self, payload: Mapping[str, Any], claimed: bool = False) -> None:
        """A robot message (Stream or callback), run to the end; called in a worker."""
        msg_id = str(payload.get("msgId") or "")
        if not msg_id or (not claimed and not self._refs.claim_event(message_key(msg_id))):
            log.info("dingtalk message %r seen before or without id; ignored", msg_id)
            return
        if payload.get("msgtype", "text") != "text":
            log.info("dingtalk message %s is %s, not text; ignored", msg_id,
                     payload.get("msgtype"))
            return
        text_field = payload.get("text")
        content = text_field.get("content", "") if isinstance(text_field, Mapping) else ""
        place = Place.of_message(payload)
        command = Command(PLATFORM, str(payload.get("senderStaffId") or ""),
                          place.conversation_id, strip_mention(str(content)),
                          team=str(payload.get("senderCorpId") or ""), event_id=msg_id)
        self._deliver(place, self._core.handle(command))

    def handle_click(self, payload: Mapping[str, Any], delivery: str) -> None:
        """An Approve / Reject press on a card; the clicker is the one who decides."""
        click = parse_click(payload)
        if click is None:
            log.info("dingtalk card callback without an approval action; ignored")
            return
        ref = self._refs.chat_ref(change_key(click.change_id)) or {}
        place = Place(str(ref.get("conversationId") or ""),
                      str(ref.get("sessionWebhook") or ""), int(ref.get("expires") or 0))
        stable = delivery or hashlib.sha256(
            json.dumps(dict(payload), sort_keys=True).encode()).hexdigest()[:32]
        command = Command(PLATFORM, click.user, place.conversation_id,
                          f"/{click.action} {click.change_id}", team=click.corp,
                          event_id=f"card:{stable}")
        self._deliver(place, self._core.handle(command))

    # -- outgoing -----------------------------------------------------------------------

    def _deliver(self, place: Place, replies: list[Reply]) -> None:
        for reply in replies:
            self.say(place, named(reply))
            if reply.change_id is None:
                continue
            if reply.kind == "opened":
                self._post_card(place, reply.change_id)
            elif reply.kind in ("approved", "merged", "rejected"):
                self._update_card(reply.change_id)

    def say(self, place: Place, text: str) -> bool:
        """Post `text` by the first way that works; False (and a log line) when none did."""
        title = (text.splitlines() or ["govbot"])[0][:60]
        now_ms = round(self._clock() * 1000)
        if place.session_webhook and now_ms < place.expires_ms - WEBHOOK_MARGIN_MS:
            try:
                post_session(self._http, place.session_webhook, title, text)
                return True
            except DeliveryError as error:
                log.warning("replying in %s: %s", place.conversation_id, error)
        if self._api is not None and self._robot_code and place.conversation_id:
            try:
                self._api.send_group_text(self._robot_code, place.conversation_id, title, text)
                return True
            except DeliveryError as error:
                log.error("sending to group %s: %s", place.conversation_id, error)
        if self._robot is not None:
            self._robot.post(text, title)
            return True
        log.error("no way left to reply in %r: %s", place.conversation_id, title)
        return False

    def _post_card(self, place: Place, change_id: int) -> None:
        mode = self.card_mode
        self._refs.set_chat_ref(change_key(change_id), {
            "conversationId": place.conversation_id, "sessionWebhook": place.session_webhook,
            "expires": place.expires_ms, "card": mode, "trackId": track_id(change_id)})
        with self._cards:
            try:
                view = self._core.view(change_id)
            except NotFound:
                log.warning("posting the card of #%s: the change is gone", change_id)
                return
            try:
                self._send_card(mode, place, change_id, view)
            except DeliveryError as error:
                log.error("posting the card of #%s: %s; posting it as text", change_id, error)
                self.say(place, text_card(view))

    def _send_card(self, mode: CardMode, place: Place, change_id: int,
                   view: ChangeView) -> None:
        if mode == "text" or self._api is None:
            self.say(place, text_card(view))
        elif mode == "template":
            self._api.create_card(self._settings.card_template_id, track_id(change_id),
                                  self._robot_code, place.conversation_id, card_params(view))
        else:
            self._api.send_standard_card(track_id(change_id), self._robot_code,
                                         place.conversation_id, standard_card(view))

    def _update_card(self, change_id: int) -> None:
        ref = self._refs.chat_ref(change_key(change_id))
        if not ref or self._api is None or ref.get("card") not in ("template", "standard"):
            return  # a text card is not edited: the follow-up already said what happened
        with self._cards:
            try:
                view = self._core.view(change_id)
                if ref["card"] == "template":
                    self._api.update_card(track_id(change_id), card_params(view))
                else:
                    self._api.update_standard_card(track_id(change_id), standard_card(view))
            except (DeliveryError, NotFound) as error:
                log.error("updating the card of #%s: %s", change_id, error)
