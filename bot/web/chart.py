"""Server-side SVG: governance events of a service as counts per kind over time.

The service page (`bot.web.pages.service`) embeds the SVG inline, so the chart needs no
script and no request of its own; every text in it goes through the template's escaping.

Example:
    chart = timeline(events, now, hours=24)
    chart.bars   # [Bar(x=…, y=…, height=…, kind="circuit_break", count=3), …]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.events import GOVERNANCE_KINDS, GovernanceEvent

WIDTH, HEIGHT, BUCKETS = 720, 160, 24
COLOURS = dict(zip(GOVERNANCE_KINDS, ("#c0392b", "#d68910", "#7d3c98", "#2471a3", "#138d75",
                                     "#a04000", "#566573", "#b03a2e", "#1f618d"), strict=True))


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    count: int
    colour: str
    label: str


@dataclass(frozen=True)
class Chart:
    """What the template draws: stacked bars per time bucket, and the legend."""

    width: int
    height: int
    bars: tuple[Bar, ...]
    legend: tuple[tuple[str, str, int], ...]   # kind, colour, total
    start: str
    end: str
    peak: int


def timeline(events: Sequence[GovernanceEvent], now: datetime,
             span: timedelta = timedelta(days=1)) -> Chart:
    """Counts per kind in BUCKETS equal slices of `span` ending at `now`."""
    start, step = now - span, span / BUCKETS
    counts: Counter[tuple[int, str]] = Counter()
    for event in events:
        if start <= event.at <= now:
            slot = min(BUCKETS - 1, int((event.at - start) / step))
            counts[(slot, event.kind)] += event.count
    per_slot: Counter[int] = Counter()
    for (slot, _kind), count in counts.items():
        per_slot[slot] += count
    peak = max(per_slot.values(), default=0)
    width = WIDTH / BUCKETS
    bars: list[Bar] = []
    stacked: dict[int, float] = {}
    for (slot, kind), count in sorted(counts.items()):
        height = (HEIGHT - 20) * count / peak
        stacked[slot] = stacked.get(slot, 0.0) + height
        label = f"{kind}: {count} from {(start + step * slot):%H:%M}"
        bars.append(Bar(slot * width + 1, HEIGHT - stacked[slot], width - 2, height, kind,
                        count, COLOURS.get(kind, "#555"), label))
    totals: Counter[str] = Counter()
    for (_slot, kind), count in counts.items():
        totals[kind] += count
    legend = tuple((kind, COLOURS.get(kind, "#555"), total)
                   for kind, total in sorted(totals.items()))
    return Chart(WIDTH, HEIGHT, tuple(bars), legend, f"{start:%Y-%m-%d %H:%M}",
                 f"{now:%Y-%m-%d %H:%M} UTC", peak)
