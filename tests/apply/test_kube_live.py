"""KubeLive against a fake API server: the requests it sends (reads only), govbot's
objects by their labels, who steers a service, and what the cluster says of a workload."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from bot.apply import NoLive, Workload, build_live
from bot.apply.kube import Clusters
from bot.apply.kube.kinds import GOVERNED
from bot.apply.kube.live import KubeLive
from bot.core.errors import ConfigError, Refused, TransientError
from bot.settings import Settings
from tests.support.kube import KubeClusters, write_kubeconfig

ENVIRONMENTS = {"dev": {"cluster": {"context": "dev-ctx"}},
                "prod": {"cluster": {"context": "prod-ctx"}}}
GOVBOT = {"app.kubernetes.io/managed-by": "govbot", "govbot.dev/source": "dev.demo.svc-user"}


def live_for(kubeconfig: Path, environments: dict[str, Any] | None = None) -> KubeLive:
    return KubeLive(Clusters(str(kubeconfig)), lambda: environments or ENVIRONMENTS)


def vs(name: str, labels: dict[str, str], namespace: str = "demo") -> dict[str, Any]:
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": namespace, "labels": labels},
            "spec": {"hosts": [name]}}


def deployment(name: str, labels: dict[str, str], account: str = "") -> dict[str, Any]:
    pod: dict[str, Any] = {"containers": [{"name": "app", "image": "app:1"}]}
    if account:
        pod["serviceAccountName"] = account
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"template": {"metadata": {"labels": labels}, "spec": pod}}}


def service(name: str, selector: dict[str, str], ports: list[dict[str, Any]] | None = None
            ) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"selector": selector, "ports": ports if ports is not None
                     else [{"port": 9090, "name": "http"}, {"port": 9091}]}}


def test_objects_lists_each_governed_kind_by_govbots_labels(clusters: KubeClusters) -> None:
    clusters.dev.seed(vs("svc-user", GOVBOT))
    clusters.dev.seed(vs("svc-pay", {**GOVBOT, "govbot.dev/source": "dev.demo.svc-pay"}))
    clusters.dev.seed(vs("hand-made", {}))
    clusters.dev.seed(vs("svc-user", GOVBOT, namespace="other"))
    live = live_for(clusters.kubeconfig)

    found = live.objects("dev", "demo", "dev.demo.svc-user")
    assert [(o["kind"], o["apiVersion"], o["metadata"]["name"]) for o in found] == [
        ("VirtualService", "networking.istio.io/v1", "svc-user")]
    sent = clusters.dev.requests()
    assert [(s.method, s.kind, s.path) for s in sent] == [
        ("GET", "list", f"/apis/{r.group}/{r.version}/namespaces/demo/{r.plural}")
        for r in GOVERNED]
    assert {s.params["labelSelector"] for s in sent} == {
        "app.kubernetes.io/managed-by=govbot,govbot.dev/source=dev.demo.svc-user"}
    assert {o["metadata"]["name"] for o in live.objects("dev", "demo", None)} == {
        "svc-user", "svc-pay"}
    assert clusters.prod.requests() == []


def test_each_environment_reads_its_own_cluster(clusters: KubeClusters) -> None:
    clusters.prod.seed(vs("svc-user", {**GOVBOT, "govbot.dev/source": "prod.demo.svc-user"}))
    live = live_for(clusters.kubeconfig)
    assert live.objects("dev", "demo", None) == []
    assert len(live.objects("prod", "demo", None)) == 1


def test_workload_reads_the_services_first_port_and_its_deployments(
        clusters: KubeClusters) -> None:
    clusters.dev.seed(service("svc-new", {"app": "svc-new"}))
    for version in ("v10", "v2"):
        clusters.dev.seed(deployment(f"svc-new-{version}",
                                     {"app": "svc-new", "version": version}, "runner"))
    clusters.dev.seed(deployment("svc-new-canary", {"app": "svc-new", "track": "x"}))
    clusters.dev.seed(deployment("other", {"app": "other", "version": "v9"}, "other"))
    live = live_for(clusters.kubeconfig)

    # three Deployments select it, none setting replicas (Kubernetes' default is 1)
    assert live.workload("dev", "demo", "svc-new") == Workload(9090, ("v2", "v10"),
                                                              ("default", "runner"), 3)
    assert live.workload("dev", "demo", "svc-gone") is None
    assert [(s.method, s.path) for s in clusters.dev.requests()] == [
        ("GET", "/api/v1/namespaces/demo/services/svc-new"),
        ("GET", "/apis/apps/v1/namespaces/demo/deployments"),
        ("GET", "/api/v1/namespaces/demo/services/svc-gone")]


@pytest.mark.parametrize(("target", "read"), [(8080, 8080), ("http", "http"), (None, None)])
def test_workload_reads_the_first_ports_target_port(
        clusters: KubeClusters, target: int | str | None, read: int | str | None) -> None:
    first: dict[str, Any] = {"port": 80, "name": "web"}
    if target is not None:
        first["targetPort"] = target
    clusters.dev.seed(service("svc-new", {"app": "svc-new"}, [first, {"port": 81,
                                                                      "targetPort": 9}]))
    found = live_for(clusters.kubeconfig).workload("dev", "demo", "svc-new")
    assert found is not None and (found.port, found.target_port) == (80, read)


def test_a_service_without_selector_or_ports_has_no_versions_and_no_port(
        clusters: KubeClusters) -> None:
    clusters.dev.seed(service("external", {}, ports=[]))
    clusters.dev.seed(deployment("anything", {"version": "v1"}))
    assert live_for(clusters.kubeconfig).workload("dev", "demo", "external") == Workload(None)


@pytest.mark.parametrize("spec", [
    {"targetRef": {"kind": "Deployment", "name": "svc-user"}},
    {"targetRef": {"kind": "Deployment", "name": "user-api"}},          # the service's Deployment
    {"targetRef": {"kind": "Deployment", "name": "x"}, "service": {"name": "svc-user"}},
])
def test_owner_finds_a_flagger_canary_targeting_the_service(
        clusters: KubeClusters, spec: dict[str, Any]) -> None:
    clusters.dev.seed(service("svc-user", {"app": "user-api-primary"}))
    clusters.dev.seed(deployment("user-api-primary", {"app": "user-api-primary"}))
    clusters.dev.seed({"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
                       "metadata": {"name": "c", "namespace": "demo"}, "spec": spec})
    assert live_for(clusters.kubeconfig).owner("dev", "demo", "svc-user") == "flagger"


@pytest.mark.parametrize("rollout", [
    {"metadata": {"name": "svc-user"}, "spec": {}},
    {"metadata": {"name": "r"}, "spec": {"strategy": {"canary": {"trafficRouting": {
        "istio": {"virtualServices": [{"name": "other"}, {"name": "svc-user"}]}}}}}},
    {"metadata": {"name": "r"}, "spec": {"strategy": {"canary": {"stableService": "svc-user"}}}},
    {"metadata": {"name": "r"}, "spec": {"strategy": {"blueGreen": {"activeService": "svc-user"}}}},
    {"metadata": {"name": "r"},
     "spec": {"template": {"metadata": {"labels": {"app": "svc-user"}}}}},
])
def test_owner_finds_an_argo_rollout_steering_the_service(
        clusters: KubeClusters, rollout: dict[str, Any]) -> None:
    clusters.dev.seed(service("svc-user", {"app": "svc-user"}))
    rollout["metadata"]["namespace"] = "demo"
    clusters.dev.seed({"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout", **rollout})
    assert live_for(clusters.kubeconfig).owner("dev", "demo", "svc-user") == "argo-rollouts"


def test_no_controller_and_no_such_kinds_mean_no_owner(clusters: KubeClusters) -> None:
    live = live_for(clusters.kubeconfig)
    assert live.owner("dev", "demo", "svc-user") is None  # Flagger and Argo not installed
    clusters.dev.seed({"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
                       "metadata": {"name": "c", "namespace": "demo"},
                       "spec": {"targetRef": {"name": "svc-pay"}}})
    assert live.owner("dev", "demo", "svc-user") is None
    assert all(s.method == "GET" for s in clusters.dev.requests())


def test_failures_say_what_was_read_and_whether_to_try_again(clusters: KubeClusters) -> None:
    live = live_for(clusters.kubeconfig)
    clusters.dev.fail("list", 503)
    with pytest.raises(TransientError, match=r"^reading destinationrules in dev/demo: "):
        live.objects("dev", "demo", None)
    clusters.dev.fail("get", 403, message='services "svc-new" is forbidden')
    with pytest.raises(ConfigError, match="forbidden; govbot's account needs get and list"):
        live.workload("dev", "demo", "svc-new")
    clusters.dev.fail("list", 400, message="unable to parse requirement")
    with pytest.raises(Refused, match="unable to parse requirement"):
        live.objects("dev", "demo", None)


def test_an_api_server_that_does_not_answer_is_temporary(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {"dev-ctx": f"http://127.0.0.1:{port}"})
    with pytest.raises(TransientError, match="did not answer"):
        live_for(kubeconfig).objects("dev", "demo", None)


def test_a_context_missing_from_the_kubeconfig_is_configuration(clusters: KubeClusters) -> None:
    live = live_for(clusters.kubeconfig, {"dev": {"cluster": {"context": "nowhere"}}})
    with pytest.raises(ConfigError, match="nowhere"):
        live.owner("dev", "demo", "svc-user")


def test_the_directory_target_reads_nothing(tmp_path: Path) -> None:
    live = build_live(Settings.from_env({"GOVBOT_HOME": str(tmp_path)}).apply_target,
                      lambda: {})
    assert isinstance(live, NoLive) and not live.reads_cluster
    assert (live.objects("dev", "demo", None), live.owner("dev", "demo", "x"),
            live.workload("dev", "demo", "x")) == ([], None, None)
    kube = build_live(Settings.from_env({"GOVBOT_HOME": str(tmp_path),
                                         "GOVBOT_APPLY": "kubernetes"}).apply_target, dict)
    assert isinstance(kube, KubeLive) and kube.reads_cluster
