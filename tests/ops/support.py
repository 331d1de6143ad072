"""A govbot whose clock a test moves, for the scheduled work of tests/ops."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import App, build
from bot.core.events import Event, EventsReported
from bot.settings import Settings
from tests.conftest import FIXED_NOW, Govbot

REMIND = (timedelta(hours=4), timedelta(hours=24), timedelta(days=7))


@dataclass
class Clock:
    """The app's one clock, moved by the test."""

    now: datetime = field(default=FIXED_NOW)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def timed_govbot(home: Path, clock: Clock, **env: str) -> Govbot:
    """A govbot on the embedded default at `home` (or the database in `env`)."""
    return Govbot(build(Settings.from_env({"GOVBOT_HOME": str(home), **env}), clock=clock),
                  home)


def remind(app: App) -> list[Event]:
    return app.workflow.remind(*REMIND)


def told(events: list[Event]) -> list[EventsReported]:
    return [e for e in events if isinstance(e, EventsReported)]
