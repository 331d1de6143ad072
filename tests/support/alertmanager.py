"""A real Alertmanager for tests: Debian's `prometheus-alertmanager` on 127.0.0.1.

It listens on a port the kernel picks (read back from its log), keeps its state in a
temporary folder, and has gossip turned off (`--cluster.listen-address=`, which would
otherwise bind 0.0.0.0:9094). Its one receiver is a webhook with a bearer token; short
group_wait and group_interval make a firing alert arrive in about 0.1 s and its
resolution a fraction of a second later. Tests skip loudly where the binary is missing
(`.ci/run` installs it).

Example:
    with Alertmanager(tmp_path, "http://127.0.0.1:8080/alerts", token="s3cret") as am:
        am.post([{"labels": {"alertname": "HighErrors", "namespace": "demo"}}])
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

BINARY = "prometheus-alertmanager"
_LISTENING = re.compile(r'msg="Listening on" address=([\d.]+:\d+)')


def binary() -> str:
    """The Alertmanager binary; skips the test loudly when the machine has none."""
    found = shutil.which(BINARY) or shutil.which("alertmanager")
    if found is None:
        pytest.skip("ALERTMANAGER TESTS SKIPPED: prometheus-alertmanager is not installed; "
                    "apt-get install -y prometheus-alertmanager (.ci/run does)")
    return found


class Alertmanager:
    """One Alertmanager process; a context manager yielding itself."""

    def __init__(self, folder: Path, webhook_url: str, token: str) -> None:
        self.folder = folder
        self.url = ""
        config = {
            "route": {"receiver": "govbot", "group_by": ["alertname", "namespace"],
                      "group_wait": "50ms", "group_interval": "200ms",
                      "repeat_interval": "1h"},
            "receivers": [{"name": "govbot", "webhook_configs": [{
                "url": webhook_url, "send_resolved": True,
                "http_config": {"authorization": {"type": "Bearer",
                                                  "credentials": token}}}]}],
        }
        (folder / "alertmanager.yml").write_text(yaml.safe_dump(config), encoding="utf-8")
        self._log = folder / "alertmanager.log"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Alertmanager:
        command = [binary(), f"--config.file={self.folder / 'alertmanager.yml'}",
                   f"--storage.path={self.folder / 'data'}",
                   "--web.listen-address=127.0.0.1:0", "--cluster.listen-address=",
                   "--data.retention=1h"]
        with self._log.open("wb") as log:
            self._process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            self.url = f"http://{self._address()}"
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(10)

    def post(self, alerts: list[dict[str, Any]]) -> None:
        """Alerts as a Prometheus server sends them (`POST /api/v2/alerts`)."""
        request = urllib.request.Request(f"{self.url}/api/v2/alerts",
                                         data=json.dumps(alerts).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 200, answer.status

    def log(self) -> str:
        return self._log.read_text(encoding="utf-8", errors="replace")

    def _address(self) -> str:
        assert self._process is not None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = _LISTENING.search(self.log())
            if found:
                return found.group(1)
            if self._process.poll() is not None:
                break
            time.sleep(0.02)
        raise RuntimeError(f"alertmanager did not start:\n{self.log()}")

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.02)
        raise RuntimeError(f"alertmanager is not ready:\n{self.log()}")
