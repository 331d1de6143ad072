"""End to end: Istio-shaped series in a real Prometheus → the Prometheus source → the
funnel → one message in the channel bound to the namespace, updated as the count grows."""

from __future__ import annotations

import time
from pathlib import Path

from bot.app import build
from bot.core.events import EventsReported
from bot.settings import Settings
from bot.sources.prometheus import PrometheusSource, Target
from bot.store.audit import EventQuery
from tests.conftest import FIXED_NOW
from tests.sources.conftest import StartPrometheus
from tests.sources.exporter import IstioExporter
from tests.sources.test_prometheus_source import INTERVAL, OK, UO, _seen, _wait


def test_overflow_reaches_the_bound_channel_and_updates_one_message(
        start_prometheus: StartPrometheus, exporter: IstioExporter, tmp_path: Path) -> None:
    exporter.set(UO, 0)
    exporter.rise(OK, per_second=50)
    url = start_prometheus(scrape=exporter.address)
    _wait(lambda: _seen(url, "svc-user", "UO"))
    app = build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home")}),
                clock=lambda: FIXED_NOW)
    try:
        # the template binds Slack channel C0123 to prod/demo
        source = PrometheusSource(lambda: [Target("prod", url, ("demo",))], INTERVAL)
        assert source.poll() == []
        exporter.rise(UO, per_second=10)

        def reports() -> list[EventsReported]:
            time.sleep(INTERVAL)
            told = app.workflow.ingest(source.poll())
            return [r for r in told if isinstance(r, EventsReported)
                    and r.platform == "slack" and r.channel == "C0123"]

        first = reports() or reports()                      # within two intervals
        assert len(first) == 1 and "svc-user" in first[0].text, first
        later = reports()
        assert len(later) == 1 and later[0].key == first[0].key   # the same message
        assert later[0].count > first[0].count
        stored, total = app.store.events.find(EventQuery(service="svc-user"))
        assert total >= 2 and stored[0].kind == "circuit_break"  # in the audit log
    finally:
        app.close()
