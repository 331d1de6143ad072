"""/whatif ratelimit against a real Prometheus holding three hours of a service's traffic
(written with promtool, since a scraped exporter cannot make history)."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build
from bot.settings import Settings
from tests.conftest import Govbot
from tests.sources.conftest import StartPrometheus
from tests.sources.exporter import openmetrics

SERIES = {"reporter": "destination", "destination_service_name": "svc-user",
          "destination_service_namespace": "demo", "response_code": "200",
          "response_flags": "-", "source_workload": "svc-order"}
# requests per second, minute by minute: a quiet 5/s, a 3-minute burst, a 1-minute spike
PER_MINUTE = [5.0] * 180
PER_MINUTE[60:63] = [30.0, 30.0, 30.0]
PER_MINUTE[120] = 50.0


def expected_rejections(per_minute: list[float], requests: int, per_seconds: float,
                        pods: int) -> float:
    """The documented model, from the rates the test wrote: each pod takes an even share
    of each minute; its bucket holds `requests` and refills `requests` per `per_seconds`."""
    tokens, rejected = float(requests), 0.0
    for rate in per_minute:
        wanted = rate * 60 / pods
        have = tokens + requests * 60 / per_seconds
        rejected += max(0.0, wanted - have) * pods
        tokens = min(float(requests), max(0.0, have - wanted))
    return rejected


@pytest.fixture
def traffic(start_prometheus: StartPrometheus, tmp_path: Path) -> Govbot:
    start = (int(time.time()) // 60 - 4 * 60) * 60
    url = start_prometheus(history=openmetrics(SERIES, start, PER_MINUTE))
    end = datetime.fromtimestamp(start, UTC) + timedelta(minutes=len(PER_MINUTE), seconds=30)
    settings = Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home"),
                                  "GOVBOT_PROMETHEUS_URL": url})
    return Govbot(build(settings, clock=lambda: end), tmp_path / "home")


def _number(pattern: str, text: str) -> int:
    found = re.search(pattern, text)
    assert found, text
    return int(found.group(1))


def test_whatif_counts_what_the_test_computes_from_the_series(traffic: Govbot) -> None:
    scaled = traffic.one("/scale svc-user min 2 max 4 cpu 70%")
    assert traffic.one(f"/approve {scaled.change_id}", user="bob").ok
    expected = expected_rejections(PER_MINUTE, 600, 60, pods=2)
    assert expected == 1200  # the burst's third minute and the spike, 600 each

    reply = traffic.one("/whatif ratelimit svc-user 600/1m")
    assert reply.ok, reply.text
    assert _number(r"rejected (\d+) of", reply.text) == expected
    assert _number(r"of (\d+) requests", reply.text) == sum(r * 60 for r in PER_MINUTE)
    assert "2 pods (the document's autoscale minimum)" in reply.text
    peaks = [int(n) for n in re.findall(r"UTC: (\d+) rejected", reply.text)]
    assert peaks == [600, 600], reply.text

    opened = traffic.one("/ratelimit svc-user 600/1m")
    assert opened.ok and opened.change_id, opened.text
    assert _number(r"whatif: .* rejected (\d+) of", opened.text) == expected


def test_a_limit_above_the_traffic_rejects_nothing(traffic: Govbot) -> None:
    reply = traffic.one("/whatif ratelimit svc-user 100/1s")
    assert _number(r"rejected (\d+) of", reply.text) == 0
    assert "1 pod (no replica count known, so 1)" in reply.text


def test_without_prometheus_whatif_says_what_to_set(govbot: Govbot) -> None:
    reply = govbot.one("/whatif ratelimit svc-user 600/1m")
    assert not reply.ok and "GOVBOT_PROMETHEUS_URL" in reply.text
    opened = govbot.one("/ratelimit svc-user 600/1m")
    assert opened.ok and "whatif" not in opened.text
