"""`ConsoleChat`: govbot in a terminal, a real chat adapter behind the same port as Slack.

One command per line. A line `name: <command>` runs as the person whose console identity
is `name` in access.yaml; other lines run as the default person. On a TTY the prompt shows
who is typing (`alice> `); when stdin is piped the output is plain and the adapter returns
0 at the end of input. Blank lines and lines starting with `#` are skipped.

Example:
    $ printf '/canary svc-user 20%%\\nbob: /approve 1\\n' | govbot shell
    govbot: change #1 opened: canary svc-user 0% → 20% (dev/demo). Needs 1 approval, not by alice.
    govbot: #1 approved by bob, merged, applied: VirtualService svc-user (v1 80 / v2 20), ...
"""

from __future__ import annotations

import contextlib
import re
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from bot.chat import Handler, deliver
from bot.core.events import ChangeOpened, EventsReported
from bot.core.types import ChangeView, Command

PLATFORM = "console"
CHANNEL = "console"
_SPEAKER = re.compile(r"^([A-Za-z][A-Za-z0-9._-]{0,62}):\s+(.*)$")


def identity(value: object, user: str, team: str) -> bool:
    """Whether access.yaml's `people.<p>.ids.console` value is this console user: the
    name typed before `:` (or the default person), compared as plain text."""
    return value is not None and str(value) == user


def split_speaker(line: str, default: str) -> tuple[str, str]:
    """`"bob: /approve 1"` → `("bob", "/approve 1")`; other lines belong to `default`."""
    match = _SPEAKER.match(line)
    if match:
        return match.group(1), match.group(2)
    return default, line


def format_reply(text: str) -> str:
    first, *rest = text.splitlines() or [""]
    return "\n".join([f"govbot: {first}", *(f"        {line}" for line in rest)])


class ConsoleSurface:
    """The console's `Surface`: one conversation, so every message is a printed line and
    a change's card is its opening text."""

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._shown: dict[str, str] = {}  # notice key → the text last printed under it

    def say(self, origin: None, text: str, *, about: int | None = None,
            ok: bool = True, private: bool = False) -> None:
        self._out.write(format_reply(text) + "\n")

    def post_card(self, origin: None, event: ChangeOpened) -> None:
        self.say(origin, event.text, about=event.change_id)

    def update_card(self, change: ChangeView, *, pending: Sequence[str] = ()) -> None:
        """Nothing to redraw: the follow-up line already said what happened."""

    def post_notice(self, notice: EventsReported) -> None:
        """A terminal cannot edit a line: each update of a group is a new one. The console
        shows every channel's news, so the same notice told to several channels of a
        namespace (console, Slack, DingTalk) is printed once."""
        if self._shown.get(notice.key) == notice.text:
            return
        self._shown[notice.key] = notice.text
        self.say(None, notice.text)


class ConsoleChat:
    def __init__(self, user: str, stdin: TextIO | None = None, stdout: TextIO | None = None,
                 interactive: bool | None = None) -> None:
        self.user = user
        self._in = stdin or sys.stdin
        self._out = stdout or sys.stdout
        self._interactive = self._in.isatty() if interactive is None else interactive
        self.surface = ConsoleSurface(self._out)

    def _lines(self) -> Iterator[str]:
        if not self._interactive:
            yield from self._in
            return
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
        while True:
            try:
                yield input(f"{self.user}> ")
            except EOFError:
                self._out.write("\n")
                return
            except KeyboardInterrupt:
                self._out.write("\n")
                continue

    def run(self, handler: Handler) -> int:
        for raw in self._lines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            user, text = split_speaker(line, self.user)
            command = Command(PLATFORM, user, CHANNEL, text, event_id=None)
            deliver(self.surface, None, handler(command))
            self._out.flush()
        return 0
