"""`/metrics` served by a real local HTTP server, read as Prometheus would read it."""

from __future__ import annotations

import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import metrics_app

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the test's stderr."""


class Scraper:
    def __init__(self, server: WSGIServer) -> None:
        self.url = f"http://127.0.0.1:{server.server_port}/metrics"
        self.content_type = ""

    def scrape(self) -> Samples:
        with urllib.request.urlopen(self.url, timeout=30) as response:
            self.content_type = response.headers.get("Content-Type", "")
            text = response.read().decode()
        return {(sample.name, frozenset(sample.labels.items())): sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value; 0 when the series is not there yet (a counter never moved)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


@contextmanager
def serving() -> Iterator[Scraper]:
    server = make_server("127.0.0.1", 0, metrics_app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Scraper(server)
    finally:
        server.shutdown()
        server.server_close()
