"""A stand-in for Istio's sidecars: `istio_requests_total` counters the test controls,
served in Prometheus' text format for a real Prometheus to scrape.

Example:
    exporter = IstioExporter()
    exporter.set(UO_SVC_USER, 0)                  # a series Prometheus sees at 0
    exporter.rise(UO_SVC_USER, per_second=10)     # then rising 10 per second
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Labels = tuple[tuple[str, str], ...]


def labels(reporter: str, service: str, code: int, flags: str, caller: str = "svc-order",
           namespace: str = "demo") -> Labels:
    """Istio's labels of one series (the ones govbot reads, and a few it does not)."""
    return tuple(sorted({
        "reporter": reporter, "destination_service_name": service,
        "destination_service_namespace": namespace,
        "destination_service": f"{service}.{namespace}.svc.cluster.local",
        "destination_workload": f"{service}-v1", "destination_workload_namespace": namespace,
        "source_workload": caller, "source_workload_namespace": namespace,
        "response_code": str(code), "response_flags": flags, "request_protocol": "http",
    }.items()))


class IstioExporter:
    """Counters that stand still (`set`) or rise at a steady rate from now (`rise`)."""

    def __init__(self) -> None:
        self._series: dict[Labels, tuple[float, float, float]] = {}  # base, rate, since
        self._lock = threading.Lock()
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = exporter.text().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.address = f"127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def set(self, series: Labels, value: float) -> None:
        with self._lock:
            self._series[series] = (value, 0.0, time.time())

    def rise(self, series: Labels, per_second: float) -> None:
        with self._lock:
            self._series[series] = (self._value(series, time.time()), per_second, time.time())

    def _value(self, series: Labels, now: float) -> float:
        base, rate, since = self._series.get(series, (0.0, 0.0, now))
        return base + rate * (now - since)

    def text(self) -> str:
        now = time.time()
        with self._lock:
            lines = ["# TYPE istio_requests_total counter"]
            for series in self._series:
                names = ",".join(f'{k}="{v}"' for k, v in series)
                lines.append(f"istio_requests_total{{{names}}} {self._value(series, now)}")
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def openmetrics(series: Mapping[str, str], start: int, per_minute: list[float],
                every: int = 15) -> str:
    """A counter's history for `promtool tsdb create-blocks-from openmetrics`: from
    `start` (seconds, minute-aligned), minute m receiving `per_minute[m]` requests per
    second, a sample every `every` seconds."""
    names = ",".join(f'{k}="{v}"' for k, v in sorted(series.items()))
    lines, value = ["# TYPE istio_requests_total counter"], 0.0
    lines.append(f"istio_requests_total{{{names}}} 0 {start}")
    for minute, rate in enumerate(per_minute):
        for second in range(every, 61, every):
            value += rate * every
            lines.append(f"istio_requests_total{{{names}}} {value} {start + minute * 60 + second}")
    return "\n".join([*lines, "# EOF"]) + "\n"
