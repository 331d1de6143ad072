"""The Kubernetes leader against a local Lease API: acquire, renew, refuse while held,
take over after expiry, lose the race on a stale resourceVersion, resign; and the one
GOVBOT_LEADER=kubernetes builds from the settings."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import build, build_leader
from bot.apply.kube.lease import KubeLease
from bot.settings import Settings
from tests.scheduler.lease_api import LeaseApi
from tests.support.kube import write_kubeconfig

NS, NAME = "govbot", "govbot-leader"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def api() -> Iterator[LeaseApi]:
    with LeaseApi() as served:
        yield served


def _lease(api: LeaseApi, holder: str, clock: Clock) -> KubeLease:
    return KubeLease(api.client(), NS, NAME, holder, 15, clock=clock)


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_the_first_contender_creates_the_lease_and_the_second_is_refused(
        api: LeaseApi) -> None:
    clock = Clock()
    first, second = _lease(api, "pod-a", clock), _lease(api, "pod-b", clock)
    assert first.try_lead()
    spec = api.lease(NS, NAME)["spec"]
    assert spec["holderIdentity"] == "pod-a" and spec["leaseDurationSeconds"] == 15
    assert _time(spec["renewTime"]) == clock.now
    assert not second.try_lead()
    assert api.lease(NS, NAME)["spec"]["holderIdentity"] == "pod-a"


def test_the_leader_renews_and_keeps_the_lease(api: LeaseApi) -> None:
    clock = Clock()
    first, second = _lease(api, "pod-a", clock), _lease(api, "pod-b", clock)
    assert first.try_lead()
    version = api.lease(NS, NAME)["metadata"]["resourceVersion"]
    clock.now += timedelta(seconds=10)
    assert first.still_leading()
    renewed = api.lease(NS, NAME)
    assert _time(renewed["spec"]["renewTime"]) == clock.now
    assert renewed["metadata"]["resourceVersion"] != version
    clock.now += timedelta(seconds=10)  # 20 s after acquiring, 10 s after renewing
    assert not second.try_lead()


def test_an_expired_lease_is_taken_over_and_its_old_holder_steps_down(api: LeaseApi) -> None:
    clock = Clock()
    first, second = _lease(api, "pod-a", clock), _lease(api, "pod-b", clock)
    assert first.try_lead()
    clock.now += timedelta(seconds=16)
    assert second.try_lead()
    spec = api.lease(NS, NAME)["spec"]
    assert spec["holderIdentity"] == "pod-b" and spec["leaseTransitions"] == 1
    assert _time(spec["acquireTime"]) == clock.now
    assert not first.still_leading()
    assert api.lease(NS, NAME)["spec"]["holderIdentity"] == "pod-b"


def test_a_write_on_a_stale_resource_version_loses(api: LeaseApi) -> None:
    clock = Clock()
    first, second = _lease(api, "pod-a", clock), _lease(api, "pod-b", clock)
    assert first.try_lead()
    clock.now += timedelta(seconds=16)
    # pod-c takes the expired Lease between pod-b's read and pod-b's write
    api.between = lambda: api.write(NS, NAME, {"holderIdentity": "pod-c",
                                               "renewTime": "2026-12-01T09:00:16.000000Z"})
    assert not second.try_lead()
    assert ("PUT", f"/apis/coordination.k8s.io/v1/namespaces/{NS}/leases/{NAME}") \
        in api.requests
    assert api.lease(NS, NAME)["spec"]["holderIdentity"] == "pod-c"


def test_resigning_frees_the_lease_for_the_next_contender(api: LeaseApi) -> None:
    clock = Clock()
    first, second = _lease(api, "pod-a", clock), _lease(api, "pod-b", clock)
    assert first.try_lead()
    first.resign()
    assert api.lease(NS, NAME)["spec"]["holderIdentity"] == ""
    clock.now += timedelta(seconds=1)
    assert second.try_lead()
    assert not first.still_leading()


def test_govbot_leader_kubernetes_takes_the_lease_named_by_the_settings(
        api: LeaseApi, tmp_path: Path) -> None:
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"outside": api.url})
    settings = Settings.from_env({
        "GOVBOT_HOME": str(tmp_path / "home"), "GOVBOT_LEADER": "kubernetes",
        "GOVBOT_LEASE_NAMESPACE": "platform", "GOVBOT_LEASE_NAME": "govbot-prod",
        "GOVBOT_KUBECONFIG": str(kubeconfig)})
    app = build(settings)
    try:
        leader = build_leader(app)
        assert isinstance(leader, KubeLease)
        assert leader.try_lead()
        spec = api.lease("platform", "govbot-prod")["spec"]
        assert spec["holderIdentity"] == leader.holder
        assert leader.holder.startswith(socket.gethostname())
        leader.resign()
        assert api.lease("platform", "govbot-prod")["spec"]["holderIdentity"] == ""
    finally:
        app.close()
