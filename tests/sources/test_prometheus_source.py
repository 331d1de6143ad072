"""The Prometheus source against a real Prometheus scraping a stand-in for Istio."""

from __future__ import annotations

import time

import requests

from bot.sources.prometheus import PrometheusSource, Target, targets
from tests.sources.conftest import StartPrometheus
from tests.sources.exporter import IstioExporter, labels

INTERVAL = 2.0
UO = labels("source", "svc-user", 503, "UO")
OK = labels("source", "svc-user", 200, "-")


def _seen(url: str, service: str, flag: str) -> bool:
    answer = requests.get(f"{url}/api/v1/query", timeout=5, params={
        "query": f'istio_requests_total{{destination_service_name="{service}",'
                 f'response_flags="{flag}"}}'}).json()
    return bool(answer["data"]["result"])


def _wait(condition: object, seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_overflow_becomes_a_circuit_break_event_within_two_intervals(
        start_prometheus: StartPrometheus, exporter: IstioExporter) -> None:
    exporter.set(UO, 0)
    exporter.rise(OK, per_second=50)
    url = start_prometheus(scrape=exporter.address)
    _wait(lambda: _seen(url, "svc-user", "UO"))
    source = PrometheusSource(lambda: [Target("prod", url, ("demo",))], INTERVAL)
    assert source.poll() == []

    exporter.rise(UO, per_second=10)
    found = []
    for _ in range(2):
        time.sleep(INTERVAL)
        found = [e for e in source.poll() if e.kind == "circuit_break"]
        if found:
            break
    assert [(e.env, e.namespace, e.service, e.code, e.source_service) for e in found] == [
        ("prod", "demo", "svc-user", 503, "svc-order")]

    time.sleep(INTERVAL + 1)  # the whole window on the steady rise: 10/s × 2 s
    (event,) = [e for e in source.poll() if e.kind == "circuit_break"]
    assert abs(event.count - 10 * INTERVAL) <= 2, event
    assert event.window == INTERVAL


def test_a_prometheus_that_is_down_yields_nothing_and_is_asked_again(
        start_prometheus: StartPrometheus, exporter: IstioExporter) -> None:
    url = start_prometheus(scrape=exporter.address)
    where = ["http://127.0.0.1:9"]  # nothing listens on the discard port
    source = PrometheusSource(lambda: [Target("prod", where[0])], INTERVAL)
    assert source.poll() == []
    assert source.poll() == []
    where[0] = url
    exporter.set(labels("destination", "svc-pay", 429, "RL"), 0)
    _wait(lambda: _seen(url, "svc-pay", "RL"))
    exporter.rise(labels("destination", "svc-pay", 429, "RL"), per_second=20)
    _wait(lambda: any(e.kind == "rate_limit" and e.service == "svc-pay"
                      for e in source.poll()))


def test_each_environment_asks_its_own_prometheus_or_the_default() -> None:
    environments = {"dev": {"namespaces": {"demo": {}}},
                    "prod": {"prometheus": "http://prom.prod:9090/", "namespaces": {}}}
    assert targets("http://prom:9090", environments) == [
        Target("dev", "http://prom:9090", ("demo",)), Target("prod", "http://prom.prod:9090")]
    assert targets("", environments) == [Target("prod", "http://prom.prod:9090")]
