"""Two `govbot serve` processes electing their leader with a Kubernetes Lease (a local
Lease API, reached through a kubeconfig): only the Lease's holder asks Prometheus; SIGKILL
it and, since a killed leader cannot free its Lease, the other takes the Lease once it
expires, within the lease and one retry."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.test_replica_serve import FakePrometheus, Served, _wait
from tests.scheduler.lease_api import LeaseApi
from tests.support.kube import write_kubeconfig

LEASE_SECONDS = 2.0


@pytest.fixture
def prometheus() -> Iterator[FakePrometheus]:
    fake = FakePrometheus()
    yield fake
    fake.close()


def test_the_lease_holder_runs_the_jobs_and_a_survivor_takes_the_expired_lease(
        tmp_path: Path, prometheus: FakePrometheus) -> None:
    with LeaseApi() as api:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"here": api.url})
        started: list[Served] = []
        try:
            for name in ("a", "b"):
                env = {**os.environ, "GOVBOT_HOME": str(tmp_path / f"home-{name}"),
                       "GOVBOT_LEADER": "kubernetes", "GOVBOT_LEASE_NAMESPACE": "govbot",
                       "GOVBOT_KUBECONFIG": str(kubeconfig),
                       "GOVBOT_LEASE_SECONDS": f"{LEASE_SECONDS:g}",
                       "GOVBOT_PROMETHEUS_INTERVAL_SECONDS": "0.2",
                       "GOVBOT_PROMETHEUS_URL": f"{prometheus.url}/{name}"}
                started.append(Served(name, env, tmp_path / f"serve-{name}.log"))
                if name == "a":
                    _wait(started[0].leads)
            first, second = started
            _wait(lambda: prometheus.asked["a"] >= 10)
            holder = api.lease("govbot", "govbot-leader")["spec"]["holderIdentity"]
            assert f"-{first.process.pid}-" in holder
            assert not second.leads() and prometheus.asked["b"] == 0

            first.process.send_signal(signal.SIGKILL)
            first.process.wait(timeout=30)
            took = _wait(second.leads, timeout=LEASE_SECONDS * 10, poll=0.02)
            assert took <= LEASE_SECONDS * 4 / 3 + 1, f"took over after {took:.2f}s"
            spec = api.lease("govbot", "govbot-leader")["spec"]
            assert f"-{second.process.pid}-" in spec["holderIdentity"]
            assert spec["leaseTransitions"] == 1
            asked = prometheus.asked["b"]
            _wait(lambda: prometheus.asked["b"] >= asked + 5)
        finally:
            for served in started:
                served.stop()
