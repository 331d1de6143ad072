"""/changes [open|merged|rejected|all] [since <d>] — the changes, with who asked and what
they still need; merged and rejected ones are the change history.

`since` takes a duration in days, hours or minutes (`7d`, `24h`, `30m`) and keeps the
changes updated within it.

Examples:
    /changes
    /changes merged since 7d
    /changes all since 24h
    /changes rejected
"""

from __future__ import annotations

import re
from typing import Literal, cast

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies.intents import ListChanges

USAGE = "/changes [open|merged|rejected|all] [since <d>]"
_STATES = ("open", "merged", "rejected", "all")
_SINCE = re.compile(r"[1-9][0-9]{0,4}[dhm]")
State = Literal["open", "merged", "rejected", "all"]


def parse(words: list[str]) -> ListChanges:
    state: State = "open"
    since: str | None = None
    rest = list(words)
    if rest and rest[0].lower() in _STATES:
        state = cast(State, rest.pop(0).lower())
    if rest and rest[0].lower() == "since":
        if len(rest) < 2:
            raise grammar.missing("how far back, like 7d, 24h or 30m")
        since = _since(rest[1])
        rest = rest[2:]
    if rest:
        raise grammar.unexpected(rest)
    return ListChanges(state, since)


def _since(word: str) -> str:
    if _SINCE.fullmatch(word.lower()):
        return word.lower()
    raise UsageError(f"{grammar.show(word)} is not how far back: use days, hours or minutes, "
                     "like 7d, 24h or 30m", usage=USAGE, example="/changes merged since 7d")


SPEC = CommandSpec.from_doc("changes", __doc__, usage=USAGE, parse=parse, mutating=False)
