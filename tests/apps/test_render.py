"""Rendering AppDeployments: every default app, at its defaults and at its bounds, gives
objects Kubernetes' own schemas accept; GitOps objects carry what Flux and Argo CD need."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import kubernetes_validate
import pytest
import yaml

from bot.core.errors import InvalidDocument
from policies.apps import catalog, deployment, render
from policies.apps.catalog import CatalogEntry
from policies.document import plain
from policies.rendering import MANAGED_BY, SOURCE, source_label
from tests.apps.catalogs import DEFAULT_APPS, default_catalog, document, entry_data

BUILT_IN = {"v1", "apps/v1", "policy/v1"}
KUBERNETES = "1.37"


def bounds(entry: CatalogEntry, which: str) -> list[tuple[str, str]]:
    """`set` pairs putting every bounded parameter at its minimum or maximum."""
    return [(name, str(p.low if which == "min" else p.high))
            for name, p in entry.parameters.items()
            if p.type in ("int", "quantity") and p.low is not None]


CASES = [(app, mode, which) for app in DEFAULT_APPS for mode in default_catalog()[app].modes
         for which in ("defaults", "min", "max")]


def rendered(app: str, mode: str = "manifests", which: str = "defaults",
             catalog_: Mapping[str, CatalogEntry] | None = None,
             **options: Any) -> list[dict[str, Any]]:
    entries = catalog_ or default_catalog()
    pairs = [] if which == "defaults" else bounds(entries[app], which)
    text = deployment.build(entries[app], "prod", "demo", "main", pairs=pairs,
                            mode=mode if mode != entries[app].mode else None, **options)
    return render.render(plain(text), "apps/prod/demo/main.yaml", entries)


@pytest.mark.parametrize(("app", "mode", "which"), CASES)
def test_every_app_renders_and_each_built_in_object_is_valid(app: str, mode: str,
                                                             which: str) -> None:
    objects = rendered(app, mode, which)
    assert objects
    for obj in objects:
        if obj["apiVersion"] in BUILT_IN:
            kubernetes_validate.validate(obj, KUBERNETES, strict=True)
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == app
        assert labels["app.kubernetes.io/instance"] == "main"
        assert labels["app.kubernetes.io/version"] == default_catalog()[app].versions[0].tag
        assert labels[MANAGED_BY] == "govbot"
        assert labels[SOURCE] == source_label("apps/prod/demo/main.yaml")
        assert obj["metadata"]["annotations"][SOURCE] == "apps/prod/demo/main.yaml"


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_a_workload_runs_the_pinned_image_with_probes_resources_and_a_safe_context(
        app: str) -> None:
    entry = default_catalog()[app]
    workload = by_kind(rendered(app), entry.spec["workload"])
    pod = workload["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == f"{entry.spec['image']}:{entry.versions[0].tag}"
    assert {"readinessProbe", "livenessProbe"} <= set(container)
    assert container["resources"]["requests"]["memory"] == entry.parameters["memory"].default
    assert container["resources"]["limits"]["memory"] == entry.parameters["memory"].default
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    non_root = entry.spec["security"].get("runAsNonRoot") is True
    assert pod["securityContext"].get("runAsNonRoot", False) is non_root
    selector = workload["spec"]["selector"]["matchLabels"]
    assert selector == {"app.kubernetes.io/name": app, "app.kubernetes.io/instance": "main"}
    assert all(workload["spec"]["template"]["metadata"]["labels"][k] == v
               for k, v in selector.items())


@pytest.mark.parametrize("app", [a for a in DEFAULT_APPS
                                 if default_catalog()[a].spec["workload"] == "StatefulSet"])
def test_a_data_app_keeps_its_volume_and_has_a_headless_service(app: str) -> None:
    objects = rendered(app, which="max")
    workload = by_kind(objects, "StatefulSet")
    claim = workload["spec"]["volumeClaimTemplates"][0]
    assert claim["spec"]["resources"]["requests"]["storage"] == \
        str(default_catalog()[app].parameters["storage"].high)
    assert workload["spec"]["persistentVolumeClaimRetentionPolicy"] == {
        "whenDeleted": "Retain", "whenScaled": "Retain"}
    services = {s["metadata"]["name"]: s for s in objects if s["kind"] == "Service"}
    assert services["main-headless"]["spec"]["clusterIP"] == "None"
    assert workload["spec"]["serviceName"] == "main-headless"
    assert "clusterIP" not in services["main"]["spec"]
    mounts = workload["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]
    assert {"name": "data", "mountPath": default_catalog()[app].spec["storage"]["mountPath"]} \
        in mounts


@pytest.mark.parametrize("app", ["nginx", "tomcat"])
def test_a_replicated_app_gets_a_disruption_budget_only_with_more_than_one_replica(
        app: str) -> None:
    objects = document_objects(app, [("replicas", "3")])
    assert by_kind(objects, "Deployment")["spec"]["replicas"] == 3
    budget = by_kind(objects, "PodDisruptionBudget")
    assert budget["spec"]["maxUnavailable"] == 1
    assert budget["spec"]["selector"]["matchLabels"]["app.kubernetes.io/instance"] == "main"
    single = document_objects(app, [("replicas", "1")])
    assert [o for o in single if o["kind"] == "PodDisruptionBudget"] == []


def test_config_keys_go_into_the_mounted_config_file() -> None:
    objects = document_objects("mysql", [("maxConnections", "800")])
    config = by_kind(objects, "ConfigMap")
    assert config["metadata"]["name"] == "main-config"
    assert config["data"]["govbot.cnf"] == ("[mysqld]\nskip-name-resolve = ON\n"
                                            "max_connections = 800\n")
    workload = by_kind(objects, "StatefulSet")
    container = workload["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "config", "mountPath": "/etc/mysql/conf.d/govbot.cnf",
            "subPath": "govbot.cnf", "readOnly": True} in container["volumeMounts"]
    assert workload["spec"]["template"]["spec"]["volumes"] == [
        {"name": "config", "configMap": {"name": "main-config"}}]
    other = by_kind(document_objects("mysql", [("maxConnections", "900")]), "StatefulSet")
    hash_key = "govbot.dev/config-hash"
    assert other["spec"]["template"]["metadata"]["annotations"][hash_key] != \
        workload["spec"]["template"]["metadata"]["annotations"][hash_key]


def test_env_parameters_and_placeholders_are_filled() -> None:
    env = container_env(document_objects("influxdb", [("org", "shop")]))
    assert env["DOCKER_INFLUXDB_INIT_ORG"] == {"name": "DOCKER_INFLUXDB_INIT_ORG", "value": "shop"}
    assert env["POD_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    es = container_env(rendered("elasticsearch"))
    assert es["cluster.name"]["value"] == "main"
    assert es["node.name"]["value"] == "$(POD_NAME)"


@pytest.mark.parametrize("app", [a for a in DEFAULT_APPS if default_catalog()[a].secret_keys])
def test_secret_keys_are_read_from_the_apps_secret_by_reference(app: str) -> None:
    entry = default_catalog()[app]
    keys = entry.spec["secret"]["keys"]
    for secret, name in ((None, "main-auth"),
                         (deployment.existing_secret("team-creds"), "team-creds")):
        objects = rendered(app, secret=secret)
        assert all(o["kind"] != "Secret" for o in objects)
        env = container_env(objects)
        for key, variable in keys.items():
            assert env[variable] == {"name": variable, "valueFrom": {
                "secretKeyRef": {"name": name, "key": key}}}


def test_an_external_secret_creates_the_apps_secret_from_the_store() -> None:
    objects = rendered("influxdb", secret=deployment.external_secret("vault", "prod/influx"))
    external = objects[0]
    assert external["apiVersion"] == "external-secrets.io/v1beta1"
    assert external["kind"] == "ExternalSecret"
    assert external["spec"]["secretStoreRef"] == {"kind": "ClusterSecretStore", "name": "vault"}
    assert external["spec"]["target"]["name"] == "main-auth"
    assert external["spec"]["data"] == [
        {"secretKey": "password", "remoteRef": {"key": "prod/influx", "property": "password"}},
        {"secretKey": "admin-token",
         "remoteRef": {"key": "prod/influx", "property": "admin-token"}}]
    env = container_env(objects)
    assert env["DOCKER_INFLUXDB_INIT_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == \
        "main-auth"


def test_gitops_with_flux_is_a_pinned_helm_release_with_the_parameters_as_values() -> None:
    entry = default_catalog()["postgresql"]
    objects = document_objects("postgresql", [("storage", "50Gi"), ("memory", "2Gi")],
                                mode="gitops")
    assert [o["kind"] for o in objects] == ["HelmRelease"]
    release = objects[0]
    assert release["apiVersion"] == "helm.toolkit.fluxcd.io/v2"
    assert release["metadata"]["namespace"] == "demo"
    chart = release["spec"]["chart"]["spec"]
    assert chart["chart"] == entry.spec["gitops"]["chart"]
    assert chart["version"] == entry.spec["gitops"]["version"]
    assert chart["sourceRef"] == {"kind": "HelmRepository", "name": "internal-charts",
                                  "namespace": "flux-system"}
    assert isinstance(release["spec"]["interval"], str)
    assert "chartRef" not in release["spec"]  # exactly one of chart and chartRef
    values = release["spec"]["values"]
    assert values["primary"]["persistence"] == {"enabled": True, "size": "50Gi"}
    assert values["primary"]["resources"]["limits"]["memory"] == "2Gi"
    assert values["auth"]["existingSecret"] == "main-auth"
    assert values["auth"]["database"] == "app"


def test_gitops_with_argocd_is_an_application_of_the_pinned_chart() -> None:
    data = entry_data("postgresql")
    data["spec"]["gitops"].update(kind="argocd")
    entries = {**default_catalog(),
               "postgresql": catalog.read(data, "catalog/postgresql.yaml")}
    objects = rendered("postgresql", "gitops", "max", entries,
                       secret=deployment.external_secret("vault", "db"))
    assert [o["kind"] for o in objects] == ["ExternalSecret", "Application"]
    app = objects[1]
    assert app["apiVersion"] == "argoproj.io/v1alpha1"
    assert app["metadata"] == {**app["metadata"], "name": "demo-main", "namespace": "argocd"}
    source = app["spec"]["source"]
    assert source["repoURL"] == data["spec"]["gitops"]["repo"]
    assert source["chart"] == "postgresql"
    assert source["targetRevision"] == data["spec"]["gitops"]["version"]
    assert source["helm"]["valuesObject"]["primary"]["persistence"]["size"] == "1Ti"
    assert source["helm"]["valuesObject"]["auth"]["existingSecret"] == "main-auth"
    assert app["spec"]["destination"] == {"server": "https://kubernetes.default.svc",
                                          "namespace": "demo"}
    assert app["spec"]["project"] == "default"


def test_a_document_that_does_not_fit_the_catalog_is_refused_with_its_problems() -> None:
    data, path = document("redis")
    data["spec"]["parameters"]["memory"] = "64Gi"
    with pytest.raises(InvalidDocument) as refused:
        render.render(data, path, default_catalog())
    assert refused.value.problems == ("spec.parameters.memory: '64Gi' is above the maximum 16Gi",)
    with pytest.raises(InvalidDocument):
        render.render(data, path, {})


def by_kind(objects: list[dict[str, Any]], kind: str) -> dict[str, Any]:
    found = [o for o in objects if o["kind"] == kind]
    assert len(found) == 1, [o["kind"] for o in objects]
    return found[0]


def document_objects(app: str, pairs: list[tuple[str, str]],
                     **options: Any) -> list[dict[str, Any]]:
    data, path = document(app, name="main", pairs=pairs, **options)
    return render.render(data, path, default_catalog())


def container_env(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    workload = next(o for o in objects if o["kind"] in ("StatefulSet", "Deployment"))
    return {e["name"]: e for e in workload["spec"]["template"]["spec"]["containers"][0]["env"]}


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_rendered_objects_share_nothing_so_yaml_writes_no_anchors(app: str) -> None:
    for mode in default_catalog()[app].modes:
        for obj in rendered(app, mode, "max", secret=deployment.external_secret("v", "k")
                            if default_catalog()[app].secret_keys else None):
            text = yaml.safe_dump(obj, sort_keys=False)
            assert "&id" not in text and "*id" not in text
