"""A real Prometheus on 127.0.0.1 for the source's tests: a temporary config and storage,
scraping `IstioExporter` every second, or serving a history written with promtool.

Debian's `prometheus` package (`apt-get install -y prometheus`; `.ci/run` installs it)
brings both binaries; where it is missing, the tests that need it skip and say so.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests

from tests.sources.exporter import IstioExporter

INSTALL = "prometheus is not installed: apt-get install -y prometheus (.ci/run does)"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{INSTALL} — {name} not found on PATH")
    return found


StartPrometheus = Callable[..., str]


@pytest.fixture
def start_prometheus(tmp_path: Path) -> Iterator[StartPrometheus]:
    """`start(scrape=address, history=openmetrics_text)` → the URL of a ready Prometheus."""
    processes: list[subprocess.Popen[bytes]] = []

    def start(scrape: str | None = None, history: str | None = None) -> str:
        folder = tmp_path / f"prometheus-{len(processes)}"
        storage = folder / "data"
        storage.mkdir(parents=True)
        if history is not None:
            (folder / "history.om").write_text(history)
            subprocess.run([_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics",
                            str(folder / "history.om"), str(storage)],
                           check=True, capture_output=True)
        jobs = (f"scrape_configs:\n- job_name: istio\n  static_configs:\n"
                f"  - targets: ['{scrape}']\n") if scrape else ""
        (folder / "prometheus.yml").write_text(
            f"global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n{jobs}")
        port = _free_port()
        log = (folder / "prometheus.log").open("wb")
        processes.append(subprocess.Popen(
            [_binary("prometheus"), f"--config.file={folder / 'prometheus.yml'}",
             f"--storage.tsdb.path={storage}", f"--web.listen-address=127.0.0.1:{port}"],
            stdout=log, stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    return url
            except requests.ConnectionError:
                pass
            if processes[-1].poll() is not None:
                break
            time.sleep(0.1)
        output = (folder / "prometheus.log").read_text()
        raise AssertionError(f"prometheus did not start:\n{output}")

    yield start
    for process in processes:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture
def exporter() -> Iterator[IstioExporter]:
    serving = IstioExporter()
    yield serving
    serving.close()
