"""A canary version's sidecars as Prometheus sees them: `istio_requests_total` by response
code and `istio_request_duration_milliseconds` as a histogram, for one destination
version, rising at rates the test sets.

Example:
    exporter = CanaryExporter("svc-user", "v2")
    exporter.answer(ok_per_second=50, errors_per_second=0, latency_ms=40)
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BUCKETS = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)


class CanaryExporter:
    """Counters of one canary version that rise steadily from the last `answer`."""

    def __init__(self, service: str, version: str, namespace: str = "demo") -> None:
        self._labels = (f'reporter="destination",destination_service_name="{service}",'
                        f'destination_service_namespace="{namespace}",'
                        f'destination_workload_namespace="{namespace}",'
                        f'destination_workload="{service}-{version}",'
                        f'destination_app="{service}",destination_version="{version}",'
                        'source_workload="svc-order",source_workload_namespace="demo"')
        self._lock = threading.Lock()
        self._ok = self._errors = 0.0
        self._rates = (0.0, 0.0, 0.0)  # ok/s, 5xx/s, latency in ms
        self._since = time.time()
        self._latency_counts = dict.fromkeys(BUCKETS, 0.0)
        self._observed = 0.0
        self._sum = 0.0
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

    def answer(self, ok_per_second: float, errors_per_second: float, latency_ms: float) -> None:
        """From now on: this many good and 5xx answers a second, each taking `latency_ms`."""
        with self._lock:
            self._roll(time.time())
            self._rates = (ok_per_second, errors_per_second, latency_ms)

    def _roll(self, now: float) -> None:
        ok, errors, latency = self._rates
        elapsed = now - self._since
        self._ok += ok * elapsed
        self._errors += errors * elapsed
        answered = (ok + errors) * elapsed
        self._observed += answered
        self._sum += answered * latency
        for bound in BUCKETS:
            if latency <= bound:
                self._latency_counts[bound] += answered
        self._since = now

    def text(self) -> str:
        with self._lock:
            self._roll(time.time())
            base = self._labels
            lines = ["# TYPE istio_requests_total counter",
                     f'istio_requests_total{{{base},response_code="200"}} {self._ok}',
                     f'istio_requests_total{{{base},response_code="503"}} {self._errors}',
                     "# TYPE istio_request_duration_milliseconds histogram"]
            for bound in BUCKETS:
                lines.append(f'istio_request_duration_milliseconds_bucket{{{base},'
                             f'le="{bound}"}} {self._latency_counts[bound]}')
            lines += [f'istio_request_duration_milliseconds_bucket{{{base},le="+Inf"}} '
                      f"{self._observed}",
                      f"istio_request_duration_milliseconds_sum{{{base}}} {self._sum}",
                      f"istio_request_duration_milliseconds_count{{{base}}} {self._observed}"]
        return "\n".join(lines) + "\n"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
