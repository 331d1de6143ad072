"""`SlackSurface`: where govbot's messages go in Slack (the `bot.chat.Surface` of Slack).

`bot.chat.deliver` calls it; `SlackChat` builds one and hands it an `Origin` per command.

    post_card    the card, in the channel (slash command) or the mention's thread; its
                 channel and ts are kept in the store under `slack:change:<id>`
    say about N  a reply in change N's thread; without a card, back to the asker
    update_card  the card redrawn in place with `chat.update`
    say          slash command: ephemeral through `response_url`; mention: its thread;
                 button click: ephemeral to the clicker (`chat.postEphemeral`)

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
from slack_sdk.errors import SlackClientError

from bot.chat import ChatRefs, Redraws
from bot.chat.slack.blocks import card, cut, escape, summary_line
from bot.chat.slack.post import ChannelQueues, failure, webhook
from bot.core.events import ChangeOpened
from bot.core.types import ChangeView

log = logging.getLogger("govbot.slack")

TEXT_LIMIT = 3900


def change_key(change_id: int) -> str:
    return f"slack:change:{change_id}"


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
        self._redraws = Redraws()

    # -- bot.chat.Surface ---------------------------------------------------------------

    def say(self, origin: Origin, text: str, *, about: int | None = None,
            ok: bool = True) -> None:
        message = cut(escape(text), TEXT_LIMIT)
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

    # -- jobs, run in order on the channel's queue --------------------------------------

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
