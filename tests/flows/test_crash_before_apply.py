"""SIGKILL after a merge and before its apply (GOVBOT_APPLY=kubernetes): the fake cluster
holds the first server-side apply open until the test has killed the process, so the kill
lands in that window at the wire. At the next start the change is applied, each object
once; a start after that applies nothing again."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import aiohttp.web
import attrs
import kmock
import pytest

from bot.app import build
from bot.settings import Settings
from tests.support.kube import KubeCluster, Sent, _Emulator, write_kubeconfig
from tests.support.kube_story import CONTEXTS, map_clusters

REPO_ROOT = Path(__file__).resolve().parents[2]
DEV = "/apis/networking.istio.io/v1/namespaces/demo"


@attrs.define(kw_only=True)
class _Holding(_Emulator):
    """The emulator, holding the first real (not dry-run) apply until `released`."""

    holding: bool = True
    held: threading.Event = attrs.field(factory=threading.Event)
    released: threading.Event = attrs.field(factory=threading.Event)

    async def _apply(self, request: kmock.Request, sent: Sent) -> aiohttp.web.StreamResponse:
        if self.holding and not sent.dry_run:
            self.holding = False
            self.held.set()
            while not self.released.is_set():
                await asyncio.sleep(0.05)
            # its client is gone: nothing of this request is stored
            return self._error(503, "ServiceUnavailable", "the apply was abandoned")
        return await super()._apply(request, sent)


class HoldingCluster(KubeCluster):
    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        async with _Holding() as handler, kmock.Server(handler) as server:
            self._handler, self.url = handler, str(server.url).rstrip("/")
            self._ready.set()
            await self._stop.wait()

    @property
    def holding(self) -> _Holding:
        assert isinstance(self.handler, _Holding)
        return self.handler


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[HoldingCluster, Path]]:
    with HoldingCluster() as dev, KubeCluster() as prod:
        yield dev, write_kubeconfig(tmp_path / "kubeconfig",
                                    {"dev-ctx": dev.url, "prod-ctx": prod.url})
        dev.holding.released.set()


def _shell(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "bot", "shell"], cwd=REPO_ROOT, env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def _applies(cluster: KubeCluster) -> Counter[str]:
    return Counter(s.path for s in cluster.requests() if s.kind == "apply")


def test_a_process_killed_between_merge_and_apply_applies_once_at_its_next_start(
        tmp_path: Path, cluster: tuple[HoldingCluster, Path]) -> None:
    dev, kubeconfig = cluster
    home = tmp_path / "home"
    env = {**os.environ, "GOVBOT_HOME": str(home), "GOVBOT_APPLY": "kubernetes",
           "GOVBOT_KUBECONFIG": str(kubeconfig), "GOVBOT_APPLY_BACKOFF_SECONDS": "0"}
    app = build(Settings.from_env(env))
    map_clusters(app, CONTEXTS)
    app.close()

    shell = _shell(env)
    assert shell.stdin is not None and shell.stdout is not None
    shell.stdin.write("/canary svc-user 20%\n")
    shell.stdin.flush()
    assert "change #1 opened" in shell.stdout.readline()
    shell.stdin.write("bob: /approve 1\n")
    shell.stdin.flush()
    assert dev.holding.held.wait(120), "the merge never reached its apply"
    log = subprocess.run(["git", "--git-dir", str(home / "policy.git"), "log", "--format=%s",
                          "main"], check=True, capture_output=True, text=True).stdout
    assert any(line.startswith("Merge change #1") for line in log.splitlines())
    shell.send_signal(signal.SIGKILL)
    shell.wait(timeout=30)
    dev.holding.released.set()
    assert dev.get("networking.istio.io", "v1", "virtualservices", "demo", "svc-user") is None

    dev.clear_requests()
    started = _shell(env).communicate("", timeout=120)[0]
    assert started.count("applied: ") == 1, started  # told once, at the start
    assert _applies(dev) == {f"{DEV}/destinationrules/svc-user": 1,
                             f"{DEV}/virtualservices/svc-user": 1}, started
    live = dev.get("networking.istio.io", "v1", "virtualservices", "demo", "svc-user")
    assert live is not None
    weights = {r["destination"]["subset"]: r["weight"]
               for r in live["spec"]["http"][-1]["route"]}
    assert weights == {"v1": 80, "v2": 20}

    dev.clear_requests()
    again = _shell(env).communicate("/changes\n", timeout=120)[0]
    assert "no open changes" in again
    assert _applies(dev) == Counter(), again
    assert sum(line.startswith("Merge change #1") for line in subprocess.run(
        ["git", "--git-dir", str(home / "policy.git"), "log", "--format=%s", "main"],
        check=True, capture_output=True, text=True).stdout.splitlines()) == 1
