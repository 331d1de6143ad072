"""`DingTalkChat`: govbot in DingTalk groups, behind the same chat port as Slack.

Commands come in two ways, both acked before the work runs:
- Stream mode (client id + secret): robot messages and card clicks over the SDK's
  WebSocket (stream.py); no public URL.
- HTTP callback mode (app secret): the outgoing robot POSTs to `/dingtalk/events`
  (callback.py: signature, window, the pair claimed once, robotCode, corp id, msgId
  dedupe). DingTalk does not sign that body, so `/approve` and `/reject` typed there
  are refused with a pointer to the card buttons (Stream) or another platform, unless
  `callback_approvals` is set.

The events the core returns go through `bot.chat.deliver` to a `DingTalkSurface`
(surface.py): replies by session webhook, group API or custom robot, and the change's
approval card.

Example:
    chat = DingTalkChat(settings.dingtalk, app.workflow, app.store)   # or dingtalk.build
    chat.start()        # Stream connection in a background thread
    routes = chat.routes()   # {"/dingtalk/events": wsgi_app} when app_secret is set
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.chat import ChatCore, ChatRefs, WsgiApp, about_cards, deliver, notices
from bot.chat.dingtalk import PLATFORM, DingTalkSettings
from bot.chat.dingtalk.api import Http, OpenApi
from bot.chat.dingtalk.callback import callback_app, message_key
from bot.chat.dingtalk.cards import parse_click
from bot.chat.dingtalk.robot import DingTalkRobot
from bot.chat.dingtalk.sign import strip_mention
from bot.chat.dingtalk.stream import StreamRunner, Work
from bot.chat.dingtalk.surface import CardMode, DingTalkSurface, Place, change_key
from bot.core.errors import UserError
from bot.core.events import Event
from bot.core.types import Command
from commands import approve, grammar, lookup, reject

log = logging.getLogger("govbot.dingtalk")
ROUTE = "/dingtalk/events"
DECISIONS_REFUSED = (
    "Approvals and rejections are not taken from messages typed to this robot: DingTalk "
    "does not sign their content, so govbot cannot tell who sent them. Press Approve or "
    "Reject on the change's card, or approve on the pull request or from another chat "
    "platform.")


class DingTalkChat:
    """The DingTalk adapter behind `ServedChat`; it translates, the core decides."""

    def __init__(self, settings: DingTalkSettings, core: ChatCore, refs: ChatRefs, *,
                 clock: Callable[[], float] = time.time, http: Http | None = None,
                 workers: int = 4) -> None:
        self._settings = settings
        self._core = core
        self._refs = refs
        self._clock = clock
        self._http = http or Http()
        api = (OpenApi(settings.api_url, settings.client_id, settings.client_secret,
                       self._http, clock) if settings.stream_enabled else None)
        robot = (DingTalkRobot(settings.robot_webhook, settings.robot_secret,
                               http=self._http, clock=clock)
                 if settings.robot_webhook else None)
        self.surface = DingTalkSurface(settings, refs, self._http, api=api, robot=robot,
                                       clock=clock)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="dingtalk")
        self._stream: StreamRunner | None = None
        self._pending = 0   # deliveries taken and not yet finished, for `stop`
        self._settled = threading.Condition()

    @property
    def card_mode(self) -> CardMode:
        return self.surface.card_mode

    # -- the ServedChat port ------------------------------------------------------------

    def routes(self) -> Mapping[str, WsgiApp]:
        if not self._settings.callback_enabled:
            return {}
        if not self._settings.corp_id:
            log.warning("GOVBOT_DINGTALK_CORP_ID is not set: the DingTalk callback takes "
                        "messages that name any organisation; set it to your corp id")
        accept = self._later(
            lambda payload: self.handle_message(payload, claimed=True, signed=False))
        return {ROUTE: callback_app(self._settings.app_secret, self._settings.robot_code,
                                    self._refs, accept, self._clock,
                                    corp_id=self._settings.corp_id)}

    def start(self) -> None:
        if not self._settings.stream_enabled or self._stream is not None:
            return
        self._stream = StreamRunner(
            self._settings.client_id, self._settings.client_secret, self._settings.api_url,
            on_message=lambda payload, _delivery: self.handle_message(payload),
            on_card=self.handle_click, submit=self._submit, http=self._http)
        self._stream.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Close the Stream connection, then wait up to `timeout` for the deliveries
        already taken; True when they all finished."""
        deadline = time.monotonic() + timeout
        if self._stream is not None:
            self._stream.stop(timeout)
            self._stream = None
        with self._settled:
            finished = self._settled.wait_for(lambda: self._pending == 0,
                                              max(0.0, deadline - time.monotonic()))
        self._pool.shutdown(wait=False)
        return finished

    def _later(self, work: Callable[[dict[str, Any]], None]) -> Callable[[dict[str, Any]], None]:
        return lambda payload: self._submit(lambda: work(payload))

    def _submit(self, work: Work) -> None:
        with self._settled:
            self._pending += 1
        # in a copy of the submitter's context: the change it works on (bot.logs) stays
        # on the lines the work writes, and nothing the work marks outlives it
        self._pool.submit(contextvars.copy_context().run, self._guarded, work)

    def _guarded(self, work: Work) -> None:
        try:
            work()
        except Exception:
            log.exception("handling a dingtalk delivery")
        finally:
            with self._settled:
                self._pending -= 1
                self._settled.notify_all()

    # -- incoming -----------------------------------------------------------------------

    def handle_message(self, payload: Mapping[str, Any], claimed: bool = False,
                       signed: bool = True) -> None:
        """A robot message (Stream or callback), run to the end; called in a worker.

        `signed` is false for the outgoing-robot callback, whose body nobody signed: a
        decision (`/approve`, `/reject`) from there is refused unless
        `callback_approvals` allows it.
        """
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
        text = strip_mention(str(content))
        if not signed and not self._settings.callback_approvals and is_decision(text):
            log.warning("dingtalk callback message %s is a decision (%s); refused: the "
                        "callback's body is not signed", msg_id, text.split()[0][:20])
            self.surface.say(place, DECISIONS_REFUSED)
            return
        command = Command(PLATFORM, str(payload.get("senderStaffId") or ""),
                          place.conversation_id, text,
                          team=str(payload.get("senderCorpId") or ""), event_id=msg_id)
        deliver(self.surface, place, self._core.handle(command))

    def announce(self, events: Sequence[Event]) -> None:
        for change_id, event in about_cards(events):
            ref = self._refs.chat_ref(change_key(change_id))
            if ref:
                deliver(self.surface, Place.of_card(ref), [event])
        for notice in notices(events, PLATFORM):
            # posting waits on DingTalk: never in the caller's thread (a source's poller)
            self._submit(functools.partial(self.surface.post_notice, notice))
        # `govbot serve` announces every sweep, so what the robot held back goes out then
        self._submit(self.surface.flush)

    def handle_click(self, payload: Mapping[str, Any], delivery: str) -> None:
        """An Approve / Reject press on a card; the clicker is the one who decides."""
        click = parse_click(payload)
        if click is None:
            log.info("dingtalk card callback without an approval action; ignored")
            return
        place = Place.of_card(self._refs.chat_ref(change_key(click.change_id)) or {})
        stable = delivery or hashlib.sha256(
            json.dumps(dict(payload), sort_keys=True).encode()).hexdigest()[:32]
        command = Command(PLATFORM, click.user, place.conversation_id,
                          f"/{click.action} {click.change_id}", team=click.corp,
                          event_id=f"card:{stable}")
        deliver(self.surface, place, self._core.handle(command))


def is_decision(text: str) -> bool:
    """Whether `text` asks for an approval or a rejection, in any spelling (`/approve`,
    `批准`, full-width), well-formed or not: the command name decides."""
    try:
        words = grammar.words(grammar.normalise(text))
    except UserError:
        return False
    spec = lookup(words[0]) if words else None
    return spec is not None and spec.name in (approve.SPEC.name, reject.SPEC.name)
