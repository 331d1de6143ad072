"""`DingTalkSurface`: where govbot's messages go in DingTalk (its `bot.chat.Surface`).

`bot.chat.deliver` calls it; `DingTalkChat` builds one and hands it the `Place` a command
came from. DingTalk has no threads, so every message about a change names it (`#12 …`)
and is said where the command was typed (for a card click: where the card is).

A message goes through the `sessionWebhook` while it is valid, then the OpenAPI
group-message send, then the custom robot webhook. A session webhook comes from a
request (or the card ref stored from one), so it is used only when it points at the
configured API or session-webhook host (`api.Origins`); any other is never contacted.
An opened change is announced, then its card is posted:
- an interactive card from `card_template_id` (createAndDeliver, updated by PUT);
- without a template, DingTalk's StandardCard (robot interactiveCards send / update);
- without Stream credentials (no button callbacks), a markdown card saying how to
  approve by text (`/approve 12`); it is not redrawn: the follow-ups say what happened.
Where a card went is remembered under `dingtalk:change:<id>`. Delivery failures are
logged; the change never depends on a message being delivered.

A group of governance events (`post_notice`) goes to its conversation by the group API,
else the custom robot (which keeps DingTalk's 20 messages a minute). Neither can edit a
message, so a group is posted when it is new, again each time its count gains a digit
(10, 100, 1000 …) and when it resolves; what was told is kept under
`dingtalk:notice:<conversation>:<key>`. A post that found no way out is tried again with
the group's next events.

Example:
    surface = DingTalkSurface(settings, refs, http, api=None, robot=None)
    deliver(surface, Place("cidXXXX", webhook, expires_ms), events)
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from bot.chat import ChatRefs, Redraws
from bot.chat.dingtalk import DingTalkSettings
from bot.chat.dingtalk.api import DeliveryError, Http, OpenApi, Origins, host_of, post_session
from bot.chat.dingtalk.cards import card_params, standard_card, text_card, track_id
from bot.chat.dingtalk.robot import DingTalkRobot
from bot.core.events import ChangeOpened, EventsReported
from bot.core.types import ChangeView

log = logging.getLogger("govbot.dingtalk")
WEBHOOK_MARGIN_MS = 60_000  # stop using a session webhook a minute before it expires
CardMode = Literal["template", "standard", "text"]


@dataclass(frozen=True)
class Place:
    """Where to answer: a conversation and, while valid, its session webhook."""

    conversation_id: str
    session_webhook: str = ""
    expires_ms: int = 0
    group: bool = True  # conversationType "2"; only a one-to-one chat ("1") is private

    @classmethod
    def of_message(cls, payload: Mapping[str, Any]) -> Place:
        return cls(str(payload.get("conversationId") or ""),
                   str(payload.get("sessionWebhook") or ""),
                   _millis(payload.get("sessionWebhookExpiredTime")),
                   str(payload.get("conversationType") or "") != "1")

    @classmethod
    def of_card(cls, ref: Mapping[str, Any]) -> Place:
        """Where a change's card was posted, from its `dingtalk:change:<id>` record."""
        return cls(str(ref.get("conversationId") or ""), str(ref.get("sessionWebhook") or ""),
                   _millis(ref.get("expires")))


PRIVATE_IN_GROUP = ("this answer is for you only, and a group shows it to everyone: send "
                    "the same command to the robot in a one-to-one chat")


def _millis(value: object) -> int:
    """An expiry in ms; anything that is not an integer is already expired."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def change_key(change_id: int) -> str:
    return f"dingtalk:change:{change_id}"


def notice_key(conversation_id: str, key: str) -> str:
    return f"dingtalk:notice:{conversation_id}:{key}"


def news(told: Mapping[str, Any] | None, notice: EventsReported) -> bool:
    """Whether a group's message is worth a new post: it is new, its count gained a
    digit since the last post, or it resolved (or fired again)."""
    if not told:
        return True
    count = told.get("count")
    before = count if isinstance(count, int) else 0
    return (len(str(notice.count)) > len(str(before))
            or bool(told.get("resolved")) != notice.resolved)


def named(text: str, change_id: int | None) -> str:
    """`text`, starting with `#N` when it is about change N and does not name it."""
    if change_id is None or f"#{change_id}" in text:
        return text
    return f"#{change_id} {text}"


class DingTalkSurface:
    """Replies and approval cards, by the first way of posting that works."""

    def __init__(self, settings: DingTalkSettings, refs: ChatRefs, http: Http, *,
                 api: OpenApi | None, robot: DingTalkRobot | None,
                 clock: Callable[[], float] = time.time) -> None:
        self._template = settings.card_template_id
        self._origins = Origins([settings.api_url, settings.session_url])
        # without Stream, commands come only through the callback: say how to decide
        self._typed_decisions = settings.stream_enabled or settings.callback_approvals
        self._robot_code = settings.robot_code or settings.client_id
        self._refs = refs
        self._http = http
        self._api = api
        self._robot = robot
        self._clock = clock
        self._cards = threading.Lock()  # one card call at a time
        self._notices = threading.Lock()  # one governance-event post at a time
        self._redraws = Redraws()

    @property
    def card_mode(self) -> CardMode:
        if self._api is None:
            return "text"
        return "template" if self._template else "standard"

    # -- bot.chat.Surface ---------------------------------------------------------------

    def say(self, origin: Place, text: str, *, about: int | None = None,
            ok: bool = True, private: bool = False) -> None:
        if private and origin.group:
            # DingTalk cannot show a group message to one member only
            text = PRIVATE_IN_GROUP
        self.send(origin, named(text, about))

    def post_card(self, origin: Place, event: ChangeOpened) -> None:
        """Announce the change where it was asked for, then post its card there."""
        self.say(origin, event.text, about=event.change_id, ok=event.ok)
        change_id, mode = event.change_id, self.card_mode
        webhook = origin.session_webhook if self._origins.allows(origin.session_webhook) else ""
        self._refs.set_chat_ref(change_key(change_id), {
            "conversationId": origin.conversation_id, "sessionWebhook": webhook,
            "expires": origin.expires_ms, "card": mode, "trackId": track_id(change_id)})
        with self._cards:
            try:
                self._send_card(mode, origin, event.change)
            except DeliveryError as error:
                log.error("posting the card of #%s: %s; posting it as text", change_id, error)
                self.send(origin, text_card(event.change, typed=self._typed_decisions))

    def update_card(self, change: ChangeView, *, pending: Sequence[str] = ()) -> None:
        ref = self._refs.chat_ref(change_key(change.id))
        if not ref or self._api is None or ref.get("card") not in ("template", "standard"):
            return  # a text card is not edited: the follow-up already said what happened
        with self._cards:
            if not self._redraws.news(change):
                return
            try:
                if ref["card"] == "template":
                    self._api.update_card(track_id(change.id),
                                          card_params(change, pending=pending))
                else:
                    self._api.update_standard_card(track_id(change.id),
                                                   standard_card(change, pending=pending))
            except DeliveryError as error:
                log.error("updating the card of #%s: %s", change.id, error)

    def post_notice(self, notice: EventsReported) -> None:
        key = notice_key(notice.channel, notice.key)
        with self._notices:
            if not news(self._refs.chat_ref(key), notice):
                return
            # DingTalk's markdown joins single line breaks
            if self.send(Place(notice.channel), notice.text.replace("\n", "\n\n")):
                self._refs.set_chat_ref(key, {"count": notice.count,
                                              "resolved": notice.resolved})

    def flush(self) -> None:
        """Send what the custom robot holds back over its budget, if the budget allows."""
        if self._robot is not None and self._robot.waiting:
            self._robot.flush()

    # -- posting ------------------------------------------------------------------------

    def send(self, place: Place, text: str) -> bool:
        """Post `text` by the first way that works; False (and a log line) when none did."""
        title = (text.splitlines() or ["govbot"])[0][:60]
        now_ms = round(self._clock() * 1000)
        if place.session_webhook and not self._origins.allows(place.session_webhook):
            log.warning("not replying in %s through a session webhook on %s: not a DingTalk "
                        "host; using the group-message API", place.conversation_id,
                        host_of(place.session_webhook))
        elif place.session_webhook and now_ms < place.expires_ms - WEBHOOK_MARGIN_MS:
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

    def _send_card(self, mode: CardMode, place: Place, view: ChangeView) -> None:
        if mode == "text" or self._api is None:
            self.send(place, text_card(view, typed=self._typed_decisions))
        elif mode == "template":
            self._api.create_card(self._template, track_id(view.id), self._robot_code,
                                  place.conversation_id, card_params(view))
        else:
            self._api.send_standard_card(track_id(view.id), self._robot_code,
                                         place.conversation_id, standard_card(view))
