"""What a local rate limit would have rejected: past traffic replayed against its bucket.

Pure; `bot.runners.whatif` feeds it the request rate Prometheus recorded. The model is
a fluid token bucket per pod, one step at a time:

- each point `(t, r)` says the service received `r` requests per second during the
  step that ends at `t`; the pods share them evenly (`r × step / replicas` each);
- a pod's bucket holds at most `n` tokens and gains `n × step / d` during a step (Envoy
  refills `n` every `d`); it starts full, and refills through steps without traffic;
- a step admits `min(demand, tokens + refill)` and rejects the rest; the bucket keeps
  `min(n, tokens + refill − admitted)`.

Example:
    >>> from datetime import UTC, datetime, timedelta
    >>> t0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
    >>> rates = [(t0 + timedelta(minutes=m), rps) for m, rps in enumerate([5, 50, 5])]
    >>> replay(rates, 60, requests=600, per_ms=60_000, replicas=2).rejected
    600.0
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

PEAKS = 3


@dataclass(frozen=True)
class Peak:
    """Consecutive steps that rejected requests: from `start` to `end`, how many."""

    start: datetime
    end: datetime
    rejected: float


@dataclass(frozen=True)
class Replay:
    requests: float           # all the service received
    rejected: float           # what the limit would have rejected, all pods together
    peaks: tuple[Peak, ...]   # the largest runs of rejecting steps, largest first


def replay(rates: Sequence[tuple[datetime, float]], step_seconds: float, requests: int,
           per_ms: int, replicas: int) -> Replay:
    """Replay `rates` (requests per second at the end of each step) against `requests`
    per `per_ms` milliseconds in each of `replicas` pods."""
    capacity, refill_per_second = float(requests), requests * 1000 / per_ms
    tokens, previous = capacity, None
    total = rejected = 0.0
    runs: list[Peak] = []
    for at, rate in sorted(rates):
        idle = (at - previous).total_seconds() - step_seconds if previous else 0.0
        tokens = min(capacity, tokens + max(0.0, idle) * refill_per_second)
        demand = max(0.0, rate) * step_seconds / replicas
        available = tokens + refill_per_second * step_seconds
        admitted = min(demand, available)
        tokens = min(capacity, available - admitted)
        total += demand * replicas
        over = (demand - admitted) * replicas
        rejected += over
        if over > 0:
            start = at - timedelta(seconds=step_seconds)
            if runs and previous is not None and runs[-1].end == previous:
                last = runs.pop()
                runs.append(Peak(last.start, at, last.rejected + over))
            else:
                runs.append(Peak(start, at, over))
        previous = at
    peaks = sorted(runs, key=lambda p: p.rejected, reverse=True)[:PEAKS]
    return Replay(total, rejected, tuple(peaks))
