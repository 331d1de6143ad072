"""The fake Kubernetes API behaves as a real API server where govbot relies on it."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from tests.support.kube import KubeCluster, KubeClusters, write_kubeconfig

VS = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
      "metadata": {"name": "svc-user", "namespace": "demo",
                   "labels": {"app.kubernetes.io/managed-by": "govbot"}},
      "spec": {"hosts": ["svc-user"]}}
ISTIO = ("networking.istio.io", "v1", "virtualservices")


def custom_objects(kubeconfig: Path, context: str) -> client.CustomObjectsApi:
    return client.CustomObjectsApi(
        config.new_client_from_config(config_file=str(kubeconfig), context=context))


def apply(api: client.CustomObjectsApi, body: dict[str, object], **query: object) -> None:
    api.patch_namespaced_custom_object(*ISTIO[:2], "demo", ISTIO[2], "svc-user", body,
                                       _content_type="application/apply-patch+yaml", **query)


def test_apply_creates_and_a_dry_run_changes_nothing(clusters: KubeClusters) -> None:
    api = custom_objects(clusters.kubeconfig, "dev-ctx")
    apply(api, VS, field_manager="govbot", dry_run="All")
    assert clusters.dev.get(*ISTIO, "demo", "svc-user") is None
    apply(api, VS, field_manager="govbot")
    live = clusters.dev.get(*ISTIO, "demo", "svc-user")
    assert live is not None and live["spec"] == VS["spec"]
    assert clusters.prod.objects(*ISTIO) == []
    sent = [(s.kind, s.method, s.content_type, s.field_manager, s.dry_run)
            for s in clusters.dev.requests()]
    assert sent == [("dry-run", "PATCH", "application/apply-patch+yaml", "govbot", True),
                    ("apply", "PATCH", "application/apply-patch+yaml", "govbot", False)]


def test_apply_without_a_field_manager_is_a_bad_request(clusters: KubeClusters) -> None:
    with pytest.raises(ApiException) as caught:
        apply(custom_objects(clusters.kubeconfig, "dev-ctx"), VS)
    assert caught.value.status == 400


def test_lists_honour_label_selectors(clusters: KubeClusters) -> None:
    clusters.dev.seed({**VS, "metadata": {"name": "other", "namespace": "demo"}})
    clusters.dev.seed(VS)
    api = custom_objects(clusters.kubeconfig, "dev-ctx")
    found = api.list_namespaced_custom_object(*ISTIO[:2], "demo", ISTIO[2],
                                              label_selector="app.kubernetes.io/managed-by=govbot")
    assert [o["metadata"]["name"] for o in found["items"]] == ["svc-user"]


def test_failures_answer_as_a_real_api_server(clusters: KubeClusters) -> None:
    api = custom_objects(clusters.kubeconfig, "dev-ctx")
    clusters.dev.fail("ssa", 409, manager="kubectl-edit", fields=(".spec.http",),
                      api_version="networking.istio.io/v1")
    clusters.dev.fail("apply", 429, retry_after=3)
    with pytest.raises(ApiException) as conflict:
        apply(api, VS, field_manager="govbot", dry_run="All")
    assert conflict.value.status == 409 and "kubectl-edit" in str(conflict.value.body)
    with pytest.raises(ApiException) as busy:
        apply(api, VS, field_manager="govbot")
    assert busy.value.status == 429 and busy.value.headers["Retry-After"] == "3"
    apply(api, VS, field_manager="govbot")
    assert clusters.dev.get(*ISTIO, "demo", "svc-user") is not None


def test_seeded_core_objects_read_back(tmp_path: Path) -> None:
    with KubeCluster() as cluster:
        cluster.seed({"apiVersion": "v1", "kind": "Service",
                      "metadata": {"name": "svc-new", "namespace": "demo"},
                      "spec": {"ports": [{"port": 9090}]}})
        cluster.seed({"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
                      "metadata": {"name": "svc-user", "namespace": "demo"}, "spec": {}})
        path = write_kubeconfig(tmp_path / "kubeconfig", {"only": cluster.url})
        core = client.CoreV1Api(config.new_client_from_config(config_file=str(path)))
        assert core.read_namespaced_service("svc-new", "demo").spec.ports[0].port == 9090
        assert [c["metadata"]["name"] for c in cluster.objects("flagger.app", "v1beta1",
                                                               "canaries")] == ["svc-user"]
        assert cluster.requests()[0].kind == "get"
