"""The chat port: where commands come from and replies go.

Adapters translate their platform's payloads into `Command`s, hand them to the workflow
and post the `Reply`s back; they hold no governance logic. `ConsoleChat` is the embedded
default; Slack and DingTalk plug in here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from bot.core.types import ChangeView, Command, Reply

Handler = Callable[[Command], list[Reply]]


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

    def stop(self) -> None: ...


class ChatRefs(Protocol):
    """Where an adapter remembers the messages it posted for a change (the store)."""

    def chat_ref(self, key: str) -> dict[str, Any] | None: ...

    def set_chat_ref(self, key: str, value: dict[str, Any]) -> None: ...

    def claim_event(self, key: str) -> bool: ...


class ChatCore(Protocol):
    """What a chat adapter may ask of govbot (the workflow provides it)."""

    def handle(self, command: Command) -> list[Reply]:
        """Run a command; never raises; a repeated `event_id` returns []."""
        ...

    def view(self, change_id: int) -> ChangeView:
        """A change's approval-card content; raises bot.core.errors.NotFound."""
        ...
