"""The chat port: where commands come from and where the core's events go.

Adapters translate their platform's payloads into `Command`s, hand them to the core and
deliver the events it returns; they hold no governance logic. Every platform implements
the same small `Surface` (say, post_card, update_card) and `deliver` alone decides what
goes where, so Slack, DingTalk and the console cannot drift apart:

    ChangeOpened                              → post_card where it was asked
    ApprovalRecorded / ChangeMerged / Rejected → say in the change's thread, update_card
    ApplyFailed of a change                   → say in the change's thread
    Answer (queries, refusals)                → say to the person who asked
    EventsReported (governance events)        → post_notice in its channel: posted once
                                                per group, then updated (or re-posted at
                                                steps where the platform cannot edit)

`origin` is the platform's own handle of where a command came from (a Slack channel and
thread, a DingTalk conversation and session webhook, the console); only its surface
reads it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from bot.core.events import (
    Answer,
    ApplyFailed,
    ApprovalRecorded,
    ChangeMerged,
    ChangeOpened,
    ChangeRejected,
    Event,
    EventsReported,
)
from bot.core.types import ChangeView, Command

Origin = TypeVar("Origin", contravariant=True)
Handler = Callable[[Command], list[Event]]


class Surface(Protocol[Origin]):
    """What one chat platform can do with govbot's messages."""

    def say(self, origin: Origin, text: str, *, about: int | None = None,
            ok: bool = True, private: bool = False) -> None:
        """Post `text`: to the person who asked when `about` is None, else where change
        `about` is discussed (its card's thread), falling back to the asker."""
        ...

    def post_card(self, origin: Origin, event: ChangeOpened) -> None:
        """Post the opened change's card (summary, diff, verdict, buttons) and remember
        where it went, so later events about the change find it."""
        ...

    def update_card(self, change: ChangeView, *, pending: Sequence[str] = ()) -> None:
        """Redraw the change's card from `change`; nothing when there is no card.
        `pending` is what a merge could not apply yet: the card says `apply pending`."""
        ...

    def post_notice(self, notice: EventsReported) -> None:
        """Show a group of governance events in `notice.channel`: post a message the
        first time its `key` is seen there, later update that message to `notice.text`
        (a platform that cannot edit posts again when `count` crosses a step). Never
        blocks on the platform and never raises: a failed post is retried and logged."""
        ...


def deliver(surface: Surface[Origin], origin: Origin, events: Sequence[Event]) -> None:
    """Map each event to calls on `surface`, in order."""
    for event in events:
        match event:
            case ChangeOpened():
                surface.post_card(origin, event)
            case ChangeMerged():
                surface.say(origin, event.text, about=event.change.id, ok=event.ok)
                surface.update_card(event.change, pending=event.pending)
            case ApprovalRecorded() | ChangeRejected():
                surface.say(origin, event.text, about=event.change.id, ok=event.ok)
                surface.update_card(event.change)
            case ApplyFailed(change=ChangeView() as change):
                surface.say(origin, event.text, about=change.id, ok=False)
            case Answer(private=True):
                surface.say(origin, event.text, ok=event.ok, private=True)
            case ApplyFailed() | Answer():
                surface.say(origin, event.text, ok=event.ok)
            case EventsReported():
                surface.post_notice(event)


_TOKENISH = re.compile(r"[A-Za-z0-9+/=_~%-]{16,}")


def scrub(text: object, limit: int = 160) -> str:
    """`text` fit for a log line: cut, and every run of 16 or more token characters (an
    access token, a secret, a session key, a webhook path) masked, so that no answer or
    error that echoes a credential prints it."""
    return _TOKENISH.sub("…", str(text))[:limit]


class Redraws:
    """Which card redraws are news. Adapters deliver from several threads, so an event
    can reach a surface after a later one; once a change's card shows it decided
    (merged, rejected), a view of it still open is stale and is not drawn."""

    def __init__(self) -> None:
        self._decided: set[int] = set()
        self._lock = threading.Lock()

    def news(self, change: ChangeView) -> bool:
        with self._lock:
            if change.id in self._decided:
                return False
            if change.state != "open":
                self._decided.add(change.id)
            return True


class Chat(Protocol):
    """Runs until its input ends, feeding every command to `handler`."""

    def run(self, handler: Handler) -> int: ...


WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ServedChat(Protocol):
    """A chat adapter that lives inside `govbot serve`.

    `routes` are its HTTP endpoints (path → WSGI app, e.g. `/slack/events`); `start`
    opens its outbound connections (Slack Socket Mode, DingTalk Stream) in background
    threads; `stop` closes them. An adapter never calls its platform to start or to ack.
    """

    def routes(self) -> Mapping[str, WsgiApp]: ...

    def start(self) -> None: ...

    def stop(self, timeout: float = 10.0) -> bool:
        """Close the outbound connections, then wait up to `timeout` for the commands
        already accepted (and their replies); True when they all finished."""
        ...

    def announce(self, events: Sequence[Event]) -> None:
        """Events no command of this platform asked for (a review on the forge, the
        sweep, polling, governance events): each one about a change goes to that
        change's card thread and redraws the card; each `EventsReported` of this
        platform goes to its channel (`Surface.post_notice`); changes without a card
        here, and other events, are skipped. Returns without waiting for the platform."""
        ...


def about_cards(events: Sequence[Event]) -> list[tuple[int, Event]]:
    """The events of `events` that concern a change's card, with the change's id."""
    found: list[tuple[int, Event]] = []
    for event in events:
        match event:
            case ChangeMerged() | ApprovalRecorded() | ChangeRejected():
                found.append((event.change.id, event))
            case ApplyFailed(change=ChangeView() as change):
                found.append((change.id, event))
    return found


def notices(events: Sequence[Event], platform: str) -> list[EventsReported]:
    """The governance-event messages of `events` bound for `platform`."""
    return [e for e in events if isinstance(e, EventsReported) and e.platform == platform]


class ChatRefs(Protocol):
    """Where an adapter remembers the messages it posted for a change (the store)."""

    def chat_ref(self, key: str) -> dict[str, Any] | None: ...

    def set_chat_ref(self, key: str, value: dict[str, Any]) -> None: ...

    def claim_event(self, key: str) -> bool: ...


class ChatCore(Protocol):
    """What a chat adapter may ask of govbot (the dispatcher provides it)."""

    def handle(self, command: Command) -> list[Event]:
        """Run a command; never raises; a repeated `event_id` returns []."""
        ...
