"""`SlackSurface`: where govbot's messages go in Slack (the `bot.chat.Surface` of Slack).

`bot.chat.deliver` calls it; `SlackChat` builds one and hands it an `Origin` per command.

    post_card    the card, in the channel (slash command) or the mention's thread; its
                 channel and ts are kept in the store under `slack:change:<id>`
    say about N  a reply in change N's thread; without a card, back to the asker
    update_card  the card redrawn in place with `chat.update`
    say          slash command: ephemeral through `response_url`; mention: its thread;
                 button click: ephemeral to the clicker (`chat.postEphemeral`)
    post_notice  a group of governance events: `chat.postMessage` once, then `chat.update`
                 of the same ts (kept under `slack:notice:<channel>:<key>`); while an
                 update waits in the channel's queue, newer ones replace its text, so a
                 storm costs one call per pacing interval, not one per event

Every message goes through the channel's paced queue (`post.ChannelQueues`), so a card
is posted before the thread replies that need its ts: a change opened earlier in the
same batch is found through the card still waiting in its channel's queue.

Example:
    surface = SlackSurface(client, refs, ChannelQueues(1.0))
    deliver(surface, Origin("command", "C0123", "U0ALICE", response_url=url), events)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.chat import ChatRefs, Redraws
from bot.chat.slack.blocks import card, cut, escape, summary_line
from bot.chat.slack.post import ChannelQueues, failure, webhook
from bot.core.events import ChangeOpened, EventsReported
from bot.core.types import ChangeView

log = logging.getLogger("govbot.slack")

TEXT_LIMIT = 3900
NOTICE_ATTEMPTS = 5  # beyond the Web API client's own retries of 429, 5xx and dropped links
GONE = ("message_not_found", "cant_update_message", "edit_window_closed")


def change_key(change_id: int) -> str:
    return f"slack:change:{change_id}"


def notice_key(channel: str, key: str) -> str:
    return f"slack:notice:{channel}:{key}"


@dataclass(frozen=True)
class Origin:
    """Where a command came from, so that its answers find their way back.

    `asked` is escaped mrkdwn naming who asked for what; `thread_ts` is the mention's
    thread, or for a click the card's thread.
    """

    kind: Literal["command", "mention", "click"]
    channel: str
    user: str
    thread_ts: str | None = None
    response_url: str = ""
    asked: str = ""


class SlackSurface:
    """Cards, thread replies and answers, each through its channel's queue."""

    def __init__(self, client: WebClient, refs: ChatRefs, queues: ChannelQueues) -> None:
        self._client = client
        self._refs = refs
        self._queues = queues
        self._lock = threading.Lock()
        self._posting: dict[int, str] = {}  # change id → channel of a card still queued
        self._notices: dict[tuple[str, str], EventsReported] = {}  # waiting, the latest
        self._redraws = Redraws()

    # -- bot.chat.Surface ---------------------------------------------------------------

    def say(self, origin: Origin, text: str, *, about: int | None = None,
            ok: bool = True, private: bool = False) -> None:
        message = cut(escape(text), TEXT_LIMIT)
        if private and origin.kind == "mention":
            # a mention's thread is read by everyone in the channel: only the asker sees it
            self._queues.put(origin.channel, partial(self._whisper, origin, message))
            return
        channel = self._card_channel(about) if about is not None else None
        if channel is None and origin.kind == "command" and origin.response_url:
            # an ephemeral answer is no channel message: it skips the channel's pacing, so
            # a burst of read-only commands never holds back the cards behind it
            self._answer_now(origin, message)
        elif about is None or channel is None:
            self._queues.put(origin.channel, partial(self._answer, origin, message))
        else:
            self._queues.put(channel, partial(self._in_thread, origin, about, message))

    def post_card(self, origin: Origin, event: ChangeOpened) -> None:
        with self._lock:
            self._posting[event.change_id] = origin.channel
        self._queues.put(origin.channel, partial(self._post_card, origin, event.change))

    def update_card(self, change: ChangeView, *, pending: Sequence[str] = ()) -> None:
        channel = self._card_channel(change.id)
        if channel is not None:
            self._queues.put(channel, partial(self._update_card, change, tuple(pending)))

    def post_notice(self, notice: EventsReported) -> None:
        slot = (notice.channel, notice.key)
        with self._lock:
            waiting = slot in self._notices
            self._notices[slot] = notice
        if not waiting:
            self._queues.put(notice.channel, partial(self._notice, slot, 1))

    # -- jobs, run in order on the channel's queue --------------------------------------

    def _notice(self, slot: tuple[str, str], attempt: int) -> None:
        """Post or update the group's message with the latest text; on failure, queue
        itself again (unless a newer text is already queued) up to NOTICE_ATTEMPTS."""
        with self._lock:
            notice = self._notices.pop(slot, None)
        if notice is None:
            return
        try:
            self._show_notice(notice)
        except (SlackClientError, OSError) as error:
            if attempt >= NOTICE_ATTEMPTS:
                log.error("posting governance events to slack channel %s: %s; given up after "
                          "%d attempts (the events stay in the audit log)", notice.channel,
                          failure(error), attempt)
                return
            log.warning("posting governance events to slack channel %s: %s; trying again",
                        notice.channel, failure(error))
            with self._lock:
                newer = slot in self._notices
                self._notices.setdefault(slot, notice)
            if not newer:
                self._queues.put(notice.channel, partial(self._notice, slot, attempt + 1))

    def _show_notice(self, notice: EventsReported) -> None:
        key = notice_key(notice.channel, notice.key)
        text = cut(escape(notice.text), TEXT_LIMIT)
        ref = self._refs.chat_ref(key)
        if ref and ref.get("ts"):
            try:
                self._client.chat_update(channel=str(ref["channel"]), ts=str(ref["ts"]),
                                         text=text)
                return
            except SlackApiError as error:
                if error.response.get("error") not in GONE:
                    raise
                log.info("the events message in %s is gone (%s); posting it again",
                         notice.channel, error.response.get("error"))
        posted = self._client.chat_postMessage(channel=notice.channel, text=text,
                                               unfurl_links=False)
        self._refs.set_chat_ref(key, {"channel": notice.channel, "ts": str(posted["ts"])})

    def _card_channel(self, change_id: int) -> str | None:
        """The channel of the change's card: posted, or still waiting in a queue."""
        ref = self._refs.chat_ref(change_key(change_id))
        if ref is not None:
            return str(ref["channel"])
        with self._lock:
            return self._posting.get(change_id)

    def _post_card(self, origin: Origin, view: ChangeView) -> None:
        try:
            posted = self._client.chat_postMessage(
                channel=origin.channel, thread_ts=origin.thread_ts, text=summary_line(view),
                blocks=card(view, origin.asked), unfurl_links=False)
            ts = str(posted["ts"])
            self._refs.set_chat_ref(change_key(view.id), {
                "channel": origin.channel, "ts": ts, "thread_ts": origin.thread_ts or ts,
                "asked": origin.asked})
        finally:
            with self._lock:
                self._posting.pop(view.id, None)

    def _in_thread(self, origin: Origin, change_id: int, text: str) -> None:
        ref = self._refs.chat_ref(change_key(change_id))
        if ref is None:  # the card never made it to Slack
            self._answer(origin, text)
            return
        self._client.chat_postMessage(channel=str(ref["channel"]),
                                      thread_ts=str(ref["thread_ts"]), text=text)

    def _update_card(self, view: ChangeView, pending: tuple[str, ...]) -> None:
        ref = self._refs.chat_ref(change_key(view.id))
        if ref is None or not self._redraws.news(view):
            return
        self._client.chat_update(channel=str(ref["channel"]), ts=str(ref["ts"]),
                                 text=summary_line(view, pending),
                                 blocks=card(view, str(ref.get("asked") or ""),
                                             pending=pending))

    def _answer_now(self, origin: Origin, text: str) -> None:
        try:
            self._answer(origin, text)
        except (SlackClientError, OSError) as error:
            log.error("answering a slash command in %s: %s; the answer is dropped",
                      origin.channel, failure(error))

    def _whisper(self, origin: Origin, text: str) -> None:
        self._client.chat_postEphemeral(channel=origin.channel, user=origin.user,
                                        thread_ts=origin.thread_ts, text=text)

    def _answer(self, origin: Origin, text: str) -> None:
        if origin.kind == "mention":
            self._client.chat_postMessage(channel=origin.channel, thread_ts=origin.thread_ts,
                                          text=text)
        elif origin.response_url:
            sent = webhook(origin.response_url).send(text=text, response_type="ephemeral")
            if sent.status_code != 200:
                log.warning("answering a slash command: response_url answered %s",
                            sent.status_code)
        else:
            self._client.chat_postEphemeral(channel=origin.channel, user=origin.user,
                                            thread_ts=origin.thread_ts, text=text)
