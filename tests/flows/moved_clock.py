"""govbot on the embedded default with a clock the test moves (`clock.now = …`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.app import build
from bot.settings import Settings
from tests.conftest import FIXED_NOW, Govbot


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


def started(tmp_path: Path, clock: Clock) -> Govbot:
    """govbot in `tmp_path/home` on `clock`; the caller closes `bot.app`."""
    return Govbot(build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home")}),
                        clock=clock), tmp_path / "home")
