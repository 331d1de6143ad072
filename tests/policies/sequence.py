"""Run policy intents one after another on a document, as a sequence of changes would.

Shared by the edit tests; `NOW` is the clock of every change unless a test gives another.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from policies import document
from policies.edit import Edit, apply
from policies.intents import PolicyIntent, resolve

NOW = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LATER = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)


def run(intents: list[PolicyIntent], text: str | None = None,
        now: datetime | None = NOW) -> tuple[str, Edit]:
    """The text after all intents, and the last edit."""
    last: Edit | None = None
    for intent in intents:
        last = apply(resolve(intent, now) if now else intent, text, "prod", "demo")
        text = last.after_text
    assert last is not None and text is not None
    return text, last


def spec(text: str) -> dict[str, Any]:
    data = document.plain(text)["spec"]
    assert isinstance(data, dict)
    return data
