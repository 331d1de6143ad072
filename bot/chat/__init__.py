"""The chat port: where commands come from and replies go.

Adapters translate their platform's payloads into `Command`s, hand them to the workflow
and post the `Reply`s back; they hold no governance logic. `ConsoleChat` is the embedded
default; Slack and DingTalk plug in here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from bot.core.types import Command, Reply

Handler = Callable[[Command], list[Reply]]


class Chat(Protocol):
    """Runs until its input ends, feeding every command to `handler`."""

    def run(self, handler: Handler) -> int: ...
