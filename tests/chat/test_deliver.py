"""`bot.chat.deliver` against a surface that records its calls: each event kind goes to
the method that shows it, in the order the core returned them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

from bot.chat import Redraws, deliver
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
from bot.core.types import ChangeView

VIEW = ChangeView(7, "canary svc-user 0% → 20%", "prod", "demo", "svc-user", "alice", "open",
                  "", (), (), (), 2, ("sre",), "")
MERGED = dataclasses.replace(VIEW, state="merged", approved_by=("bob", "carol"))
REJECTED = dataclasses.replace(VIEW, state="rejected", reason="not now")


class RecordingSurface:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def say(self, origin: str, text: str, *, about: int | None = None,
            ok: bool = True) -> None:
        self.calls.append(("say", origin, text, about, ok))

    def post_card(self, origin: str, event: ChangeOpened) -> None:
        self.calls.append(("post_card", origin, event.change.id, event.text))

    def update_card(self, change: ChangeView, *, pending: Sequence[str] = ()) -> None:
        self.calls.append(("update_card", change.id, change.state, *pending))

    def post_notice(self, notice: EventsReported) -> None:
        self.calls.append(("post_notice", notice.channel, notice.key, notice.text))


def test_each_event_goes_to_the_method_that_shows_it() -> None:
    events: list[Event] = [
        ChangeOpened(VIEW, "change #7 opened"),
        ApprovalRecorded(dataclasses.replace(VIEW, approved_by=("bob",)), "#7 approved by bob"),
        ApprovalRecorded(VIEW, "main moved; not recorded", ok=False),
        ChangeMerged(MERGED, "#7 merged", applied=("VirtualService svc-user",),
                     pending=("VirtualService svc-web",)),
        ChangeRejected(REJECTED, "#7 rejected"),
        ApplyFailed("apply pending: svc-user", change=MERGED),
        ApplyFailed("apply pending: svc-other"),
        Answer("no open changes"),
        Answer("you already approved #7", ok=False, change_id=7),
        EventsReported("slack", "C0123", "events:1", "circuit breaker on svc-user tripped"),
    ]
    surface = RecordingSurface()
    deliver(surface, "here", events)
    assert surface.calls == [
        ("post_card", "here", 7, "change #7 opened"),
        ("say", "here", "#7 approved by bob", 7, True),
        ("update_card", 7, "open"),
        ("say", "here", "main moved; not recorded", 7, False),
        ("update_card", 7, "open"),
        ("say", "here", "#7 merged", 7, True),
        ("update_card", 7, "merged", "VirtualService svc-web"),
        ("say", "here", "#7 rejected", 7, True),
        ("update_card", 7, "rejected"),
        ("say", "here", "apply pending: svc-user", 7, False),
        ("say", "here", "apply pending: svc-other", None, False),
        ("say", "here", "no open changes", None, True),
        ("say", "here", "you already approved #7", None, False),
        ("post_notice", "C0123", "events:1", "circuit breaker on svc-user tripped"),
    ]


def test_nothing_to_deliver_calls_nothing() -> None:
    surface = RecordingSurface()
    deliver(surface, "here", [])
    assert surface.calls == []


def test_a_decided_card_is_not_redrawn_open_by_a_late_event() -> None:
    redraws = Redraws()
    assert redraws.news(VIEW)
    assert redraws.news(MERGED)
    assert not redraws.news(dataclasses.replace(VIEW, approved_by=("bob",)))
    assert not redraws.news(MERGED)
    assert redraws.news(dataclasses.replace(VIEW, id=8))
