"""Server-side SVG: governance events of a service as counts per kind over time.

The service page (`bot.web.pages.service`) embeds the SVG inline, so the chart needs no
script and no request of its own; every text in it goes through the template's escaping.

Example:
    chart = timeline(events, now, hours=24)
    chart.bars   # [Bar(x=…, y=…, height=…, kind="circuit_break", count=3), …]
    chart.ticks  # [Tick(x=0.0, text="15:00", anchor="start"), …, Tick(720.0, "15:00", "end")]
    chart.scale  # "peak 7 per hour"
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core.events import GOVERNANCE_KINDS, GovernanceEvent

WIDTH, HEIGHT, BUCKETS = 720, 160, 24
BASELINE = HEIGHT - 18   # below it, the time axis' labels
TOP = 18                 # above the tallest bar, the scale
TICK_EVERY = 6           # buckets between two time labels
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
class Tick:
    """A time label on the x axis, at `x`; `anchor` is SVG's text-anchor."""

    x: float
    text: str
    anchor: str


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
    ticks: tuple[Tick, ...]
    baseline: int
    scale: str   # what the tallest bar stands for: "peak 7 per hour"


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
        height = (BASELINE - TOP) * count / peak
        stacked[slot] = stacked.get(slot, 0.0) + height
        label = f"{kind}: {count} from {(start + step * slot):%H:%M}"
        bars.append(Bar(slot * width + 1, BASELINE - stacked[slot], width - 2, height, kind,
                        count, COLOURS.get(kind, "#555"), label))
    totals: Counter[str] = Counter()
    for (_slot, kind), count in counts.items():
        totals[kind] += count
    legend = tuple((kind, COLOURS.get(kind, "#555"), total)
                   for kind, total in sorted(totals.items()))
    ticks = tuple(Tick(slot * width, f"{(start + step * slot):%H:%M}",
                       "start" if slot == 0 else "end" if slot == BUCKETS else "middle")
                  for slot in range(0, BUCKETS + 1, TICK_EVERY))
    scale = f"peak {peak} per {_per(step)}" if peak else "no events"
    return Chart(WIDTH, HEIGHT, tuple(bars), legend, f"{start:%Y-%m-%d %H:%M}",
                 f"{now:%Y-%m-%d %H:%M} UTC", peak, ticks, BASELINE, scale)


def _per(step: timedelta) -> str:
    """`hour`, `15 minutes`, `2 hours`: the length of one bar's slice."""
    minutes = round(step.total_seconds() / 60)
    if minutes == 60:
        return "hour"
    if minutes % 60 == 0:
        return f"{minutes // 60} hours"
    return f"{minutes} minutes" if minutes != 1 else "minute"
