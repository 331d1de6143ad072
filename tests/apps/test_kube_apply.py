"""Store apps through the Kubernetes target against a fake API server: core kinds reach
/api/v1, an Argo CD Application lands in Argo CD's namespace and is pruned from there."""

from __future__ import annotations

import kubernetes_validate

from bot.apply.kube import Clusters
from bot.apply.kube.target import KubernetesTarget, Retry
from policies.apps import catalog, deployment, render
from policies.document import plain
from tests.apps.catalogs import default_catalog, entry_data
from tests.support.kube import KubeClusters

ENVIRONMENTS = {"dev": {"cluster": {"context": "dev-ctx"}},
                "prod": {"cluster": {"context": "prod-ctx"}}}


def target(clusters: KubeClusters) -> KubernetesTarget:
    found = KubernetesTarget(Clusters(str(clusters.kubeconfig)), Retry(attempts=2, first=0.0))
    found.prepare(ENVIRONMENTS)
    return found


def test_manifests_go_to_the_core_and_apps_groups_and_are_pruned_with_the_document(
        clusters: KubeClusters) -> None:
    path = deployment.app_path("dev", "demo", "cache")
    data = plain(deployment.build(default_catalog()["redis"], "dev", "demo", "cache"), path)
    objects = render.render(data, path, default_catalog())
    applied = target(clusters).apply("dev", "demo", path, objects)
    assert set(applied.written) == {"ConfigMap/cache-config", "Service/cache-headless",
                                    "Service/cache", "StatefulSet/cache"}
    paths = {s.path for s in clusters.dev.requests() if s.kind == "apply"}
    assert "/api/v1/namespaces/demo/services/cache" in paths
    assert "/apis/apps/v1/namespaces/demo/statefulsets/cache" in paths
    live = clusters.dev.get("apps", "v1", "statefulsets", "demo", "cache")
    assert live is not None
    kubernetes_validate.validate(live, "1.37", strict=True)
    removed = target(clusters).apply("dev", "demo", path, [])
    assert set(removed.deleted) == set(applied.written)
    assert clusters.dev.objects("", "v1", "services", "demo") == []


def test_an_argo_application_lives_in_argocd_and_is_pruned_from_there(
        clusters: KubeClusters) -> None:
    data = entry_data("postgresql")
    data["spec"]["gitops"].update(kind="argocd")
    entries = {**default_catalog(), "postgresql": catalog.read(data, "catalog/postgresql.yaml")}
    path = deployment.app_path("dev", "demo", "orders")
    text = deployment.build(entries["postgresql"], "dev", "demo", "orders", mode="gitops",
                            secret=deployment.existing_secret("orders-db"))
    objects = render.render(plain(text, path), path, entries)
    assert [o["metadata"]["namespace"] for o in objects] == ["argocd"]
    target(clusters).apply("dev", "demo", path, objects)
    application = ("argoproj.io", "v1alpha1", "applications")
    assert clusters.dev.get(*application, "argocd", "demo-orders") is not None
    assert clusters.dev.get(*application, "demo", "demo-orders") is None
    assert path in target(clusters).sources()
    removed = target(clusters).apply("dev", "demo", path, [])
    assert removed.deleted == ("Application/demo-orders",)
    assert clusters.dev.get(*application, "argocd", "demo-orders") is None
