"""Figures of the benchmark: a value with its goal, the summary of repeated timings, and
the machine they were taken on.

Every measurement becomes a `Figure`; `bench/run.py` prints them as a table and writes
them, with `machine()`, to results.json, which `bench/report.py` turns into the README's
table.

Example:
    Figure("ack.slack.50.p99", "ack p99, 50 concurrent slash commands", "ms",
           summary(timings)["p99"], Goal("<=", 50), summary(timings))
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal


@dataclass(frozen=True)
class Goal:
    """`value <op> limit`; `op` "<=" for costs, ">=" for rates and counts."""

    op: Literal["<=", ">="]
    limit: float

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value <= self.limit if self.op == "<=" else value >= self.limit

    def text(self, unit: str) -> str:
        return f"{self.op.replace('<=', '≤').replace('>=', '≥')} {self.limit:g} {unit}".strip()


@dataclass(frozen=True)
class Figure:
    key: str            # stable id, e.g. "ack.slack.50.p99"
    label: str          # what a reader sees
    unit: str
    value: float | None
    goal: Goal
    stats: dict[str, float] = field(default_factory=dict)
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["goal"] = self.goal.text(self.unit)
        data["goal_op"], data["goal_limit"] = self.goal.op, self.goal.limit
        data["met"] = self.goal.met(self.value)
        return data


def percentile(values: list[float], p: float) -> float:
    """The nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    """n, p50 (the median), p95, p99 and max of repeated timings, rounded for reading."""
    if not values:
        return {"n": 0}
    return {"n": len(values), "p50": round(statistics.median(values), 3),
            "p95": round(percentile(values, 95), 3), "p99": round(percentile(values, 99), 3),
            "max": round(max(values), 3)}


def ms(seconds: list[float]) -> list[float]:
    return [s * 1000 for s in seconds]


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """Where the figures were taken: cores, CPU model, Python, OS, load and the date."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {"cores": os.cpu_count(), "cpu": _cpu_model(),
            "python": sys.version.split()[0], "implementation": platform.python_implementation(),
            "os": f"{platform.system()} {platform.release()}",
            "loadavg_at_start": [round(x, 2) for x in load],
            "date": datetime.now(UTC).isoformat(timespec="seconds")}
