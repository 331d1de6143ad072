"""Stories with live reads (GOVBOT_APPLY=kubernetes, the kmock clusters): drift found and
synced away, controllers in the cluster refused what they own, and a service the cluster
runs onboarded from its Service and Deployments."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from kubernetes import client as k8s

from bot.core.events import ChangeMerged
from tests.conftest import Govbot
from tests.support.kube import KubeCluster, KubeClusters

VS = ("networking.istio.io", "v1", "virtualservices")
DR = ("networking.istio.io", "v1", "destinationrules")
SELECTOR = "app.kubernetes.io/managed-by=govbot,govbot.dev/source=dev.demo.svc-user"


@pytest.fixture
def govbot(kube_govbot: Govbot) -> Govbot:
    return kube_govbot


def merge(govbot: Govbot, text: str) -> None:
    opened = govbot.one(text)
    assert opened.ok and opened.change_id, opened.text
    events = govbot.say(f"/approve {opened.change_id}", user="bob")
    assert any(isinstance(e, ChangeMerged) and e.ok for e in events), events


def service(name: str, port: int, selector: dict[str, str] | None = None) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"selector": selector or {"app": name}, "ports": [{"port": port}]}}


def deployment(name: str, labels: dict[str, str], account: str | None = None
               ) -> dict[str, Any]:
    pod: dict[str, Any] = {"containers": [{"name": "app", "image": "registry/app:1"}]}
    if account is not None:
        pod["serviceAccountName"] = account
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels}, "spec": pod}}}


def canary(target: str) -> dict[str, Any]:
    return {"apiVersion": "flagger.app/v1beta1", "kind": "Canary",
            "metadata": {"name": target, "namespace": "demo"},
            "spec": {"targetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                   "name": target},
                     "service": {"port": 8080}, "analysis": {"stepWeight": 10}}}


def rollout(name: str, virtual_service: str) -> dict[str, Any]:
    return {"apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout",
            "metadata": {"name": name, "namespace": "demo"},
            "spec": {"selector": {"matchLabels": {"app": name}},
                     "strategy": {"canary": {"trafficRouting": {"istio": {
                         "virtualService": {"name": virtual_service}}}}}}}


def on_main(govbot: Govbot, name: str) -> dict[str, Any]:
    data = yaml.safe_load(govbot.git("show", f"main:services/dev/demo/{name}.yaml"))
    assert isinstance(data, dict)
    return data


# -- drift and sync ------------------------------------------------------------------------

def test_an_edited_live_virtualservice_is_drift_and_an_approved_sync_restores_it(
        govbot: Govbot, clusters: KubeClusters) -> None:
    merge(govbot, "/canary svc-user 20%")
    assert govbot.one("/drift svc-user").text == \
        "svc-user in dev/demo: no drift, the cluster holds what main renders"
    edited = clusters.dev.get(*VS, "demo", "svc-user")
    assert edited is not None
    for route, weight in zip(edited["spec"]["http"][-1]["route"], (50, 50), strict=True):
        route["weight"] = weight
    clusters.dev.seed(edited)  # someone ran `kubectl edit`
    clusters.dev.clear_requests()
    clusters.prod.clear_requests()

    answer = govbot.one("/drift svc-user")
    assert answer.ok
    assert answer.text.splitlines() == [
        "svc-user in dev/demo: 2 differences from main; /sync svc-user applies main again",
        "  VirtualService/svc-user .spec.http[0].route[0].weight: live 50, main 80",
        "  VirtualService/svc-user .spec.http[0].route[1].weight: live 50, main 20"]
    sent = clusters.dev.requests()
    assert {s.method for s in sent} == {"GET"} and {s.kind for s in sent} == {"list"}
    assert {s.params.get("labelSelector") for s in sent} == {SELECTOR}
    assert clusters.prod.requests() == []

    status = govbot.one("/status svc-user").text
    assert ("drift: the cluster shows 2 differences from main; /drift svc-user lists them, "
            "/sync svc-user restores main") in status
    everything = govbot.one("/drift").text.splitlines()
    assert everything[:2] == ["drift in dev/demo:",
                              "svc-user: 2 differences from main; /sync svc-user restores them"]
    assert everything[-1] == "no drift in 3 other services"

    opened = govbot.one("/sync svc-user")
    assert opened.ok and opened.change_id == 2, opened.text
    assert clusters.dev.get(*VS, "demo", "svc-user") == edited  # nothing before approval
    clusters.dev.clear_requests()
    events = govbot.say("/approve 2", user="bob")
    assert any(isinstance(e, ChangeMerged) and e.ok for e in events), events

    applied = [s for s in clusters.dev.requests() if s.kind == "apply"]
    assert [s.name for s in applied] == ["svc-user", "svc-user"]
    assert all(s.force and s.field_manager == "govbot" for s in applied)
    live = clusters.dev.get(*VS, "demo", "svc-user")
    assert live is not None
    assert [r["weight"] for r in live["spec"]["http"][-1]["route"]] == [80, 20]
    assert govbot.one("/drift svc-user").text.endswith("no drift, the cluster holds what "
                                                      "main renders")
    assert "drift" not in govbot.one("/status svc-user").text


def test_a_deleted_live_object_and_a_stray_labelled_one_are_drift(
        govbot: Govbot, clusters: KubeClusters) -> None:
    merge(govbot, "/canary svc-user 20%")
    dr = clusters.dev.get(*DR, "demo", "svc-user")
    assert dr is not None
    config = k8s.Configuration()
    config.host = clusters.dev.url
    k8s.CustomObjectsApi(k8s.ApiClient(config)).delete_namespaced_custom_object(
        *DR[:2], "demo", DR[2], "svc-user")  # someone ran `kubectl delete`
    assert "DestinationRule/svc-user: main renders it, the cluster has none" in \
        govbot.one("/drift svc-user").text
    stray = {**dr, "kind": "DestinationRule",
             "metadata": {**dr["metadata"], "name": "svc-user-old", "uid": "x"}}
    clusters.dev.seed(stray)
    answer = govbot.one("/drift svc-user").text
    assert ("DestinationRule/svc-user-old: in the cluster with govbot's labels, main renders "
            "none") in answer
    unlabelled = {**stray, "metadata": {"name": "hand-made", "namespace": "demo"}}
    clusters.dev.seed(unlabelled)
    assert "hand-made" not in govbot.one("/drift svc-user").text


def test_drift_of_a_service_without_a_document_says_did_you_mean(govbot: Govbot) -> None:
    answer = govbot.one("/drift svc-usr")
    assert not answer.ok and "Did you mean svc-user?" in answer.text


def test_a_cluster_that_cannot_be_read_is_told_not_crashed(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.dev.fail("list", 503, times=2)  # one for /drift, one for /status
    answer = govbot.one("/drift svc-user")
    assert not answer.ok and "please try again in a moment" in answer.text
    assert "virtualservices" in answer.text or "destinationrules" in answer.text
    status = govbot.one("/status svc-user")
    assert status.ok and "drift: unknown, reading" in status.text
    clusters.dev.fail("list", 403, times=20, message="virtualservices is forbidden")
    refused = govbot.one("/drift svc-user")
    assert not refused.ok and "configuration" in refused.text and "forbidden" in refused.text
    assert "Traceback" not in refused.text


# -- controllers in the cluster ------------------------------------------------------------

def test_a_flagger_canary_in_the_cluster_refuses_what_flagger_owns(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.dev.seed(canary("svc-user"))
    answer = govbot.one("/route svc-user header user=w_shenyu -> v2")
    assert not answer.ok
    assert answer.text.startswith("svc-user is managed by Flagger (a Flagger Canary in the "
                                  "cluster targets it)")
    assert "Edit the Flagger Canary resource of svc-user instead" in answer.text
    assert "spec.managedBy: flagger" in answer.text
    assert govbot.branches() == ["main"]
    assert govbot.one("/ratelimit svc-user 100/1s").ok  # Flagger leaves rate limits alone
    assert govbot.one("/route svc-user header user=w_shenyu -> v2 --env prod").ok  # no Canary


def test_a_flagger_canary_is_found_through_the_services_deployment(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.dev.seed(service("svc-user", 8080, {"app": "svc-user-primary"}))
    clusters.dev.seed(deployment("user-api-primary", {"app": "svc-user-primary"}))
    clusters.dev.seed(canary("user-api"))
    answer = govbot.one("/timeout svc-user 3s")
    assert not answer.ok and "a Flagger Canary in the cluster targets it" in answer.text


def test_an_argo_rollout_refuses_only_the_weights(govbot: Govbot,
                                                  clusters: KubeClusters) -> None:
    clusters.dev.seed(rollout("user-rollout", "svc-user"))
    answer = govbot.one("/canary svc-user 20%")
    assert not answer.ok
    assert "an Argo Rollout in the cluster steers it" in answer.text
    assert "kubectl argo rollouts promote <rollout>" in answer.text
    assert govbot.one("/route svc-user header user=w_shenyu -> v2").ok


def test_a_controller_in_another_cluster_or_namespace_does_not_count(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.prod.seed(canary("svc-user"))
    clusters.dev.seed({**canary("svc-user"), "metadata": {"name": "svc-user",
                                                          "namespace": "other"}})
    assert govbot.one("/route svc-user header user=w_shenyu -> v2").ok


# -- onboarding from the cluster -----------------------------------------------------------

def seed_svc_new(cluster: KubeCluster, *versions: str, account: str = "svc-new") -> None:
    cluster.seed(service("svc-new", 9090))
    for version in versions:
        cluster.seed(deployment(f"svc-new-{version}", {"app": "svc-new", "version": version},
                                account))


def test_a_canary_on_a_service_the_cluster_runs_onboards_it_from_the_cluster(
        govbot: Govbot, clusters: KubeClusters) -> None:
    seed_svc_new(clusters.dev, "v4", "v3")
    clusters.dev.seed(deployment("other", {"app": "other", "version": "v9"}))
    opened = govbot.one("/canary svc-new 10%")
    assert opened.ok and opened.change_id == 1, opened.text
    assert ("canary svc-new 0% → 10%; onboard svc-new: port 9090, stable version v3, "
            "canary v4, service account svc-new, read from the cluster") in opened.text
    events = govbot.say("/approve 1", user="bob")
    assert any(isinstance(e, ChangeMerged) and e.ok for e in events), events

    spec = on_main(govbot, "svc-new")["spec"]
    assert spec["port"] == 9090
    assert spec["versions"] == {"stable": "v3", "canary": "v4"}
    assert spec["serviceAccount"] == "svc-new"
    assert spec["release"] == {"strategy": "canary", "canaryWeight": 10}
    dr = clusters.dev.get(*DR, "demo", "svc-new")
    assert dr is not None
    assert [s["labels"] for s in dr["spec"]["subsets"]] == [{"version": "v3"},
                                                            {"version": "v4"}]


def test_onboard_reads_what_it_is_not_told_from_the_cluster(
        govbot: Govbot, clusters: KubeClusters) -> None:
    seed_svc_new(clusters.dev, "v3", account="default-runner")
    opened = govbot.one("/onboard svc-new account new-sa")
    assert opened.ok, opened.text
    assert ("onboard svc-new: port 9090, stable version v3, no canary, service account "
            "new-sa") in opened.text


@pytest.mark.parametrize(("target", "written"), [(8080, 8080), ("http", "http"), (80, None)])
def test_onboard_keeps_the_pods_port_when_it_is_not_the_services(
        govbot: Govbot, clusters: KubeClusters, target: int | str,
        written: int | str | None) -> None:
    web = service("svc-new", 80)
    web["spec"]["ports"][0]["targetPort"] = target
    clusters.dev.seed(web)
    clusters.dev.seed(deployment("svc-new-v1", {"app": "svc-new", "version": "v1"}))
    merge(govbot, "/onboard svc-new")
    spec = on_main(govbot, "svc-new")["spec"]
    assert spec["port"] == 80
    assert spec.get("targetPort") == written
    assert list(spec)[:2] == (["port", "targetPort"] if written else ["port", "selector"])


def test_pods_without_a_service_account_run_as_default(govbot: Govbot,
                                                       clusters: KubeClusters) -> None:
    clusters.dev.seed(service("svc-new", 9090))
    clusters.dev.seed(deployment("svc-new", {"app": "svc-new", "version": "v1"}))
    opened = govbot.one("/ratelimit svc-new 100/1s")
    assert opened.ok and "service account default" in opened.text, opened.text


@pytest.mark.parametrize(("versions", "accounts", "expected"), [
    (("v1", "v2", "v3"), ("svc-new",), "/onboard svc-new port 9090 versions v2,v3"),
    (("v1", "v2"), ("a", "b"), "/onboard svc-new port 9090 account a"),
    ((), ("svc-new",), "carry no `version` label"),
    (("V1.0",), ("svc-new",), "a subset name is a DNS-1123 label"),
])
def test_what_does_not_fit_a_document_is_refused_with_what_to_do(
        govbot: Govbot, clusters: KubeClusters, versions: tuple[str, ...],
        accounts: tuple[str, ...], expected: str) -> None:
    clusters.dev.seed(service("svc-new", 9090))
    for number, version in enumerate(versions or ("",)):
        labels = {"app": "svc-new", **({"version": version} if version else {})}
        clusters.dev.seed(deployment(f"svc-new-{number}", labels,
                                     accounts[min(number, len(accounts) - 1)]))
    answer = govbot.one("/canary svc-new 10%")
    assert not answer.ok and expected in answer.text, answer.text
    assert govbot.branches() == ["main"]


def test_a_service_in_neither_the_repository_nor_the_cluster_is_refused(
        govbot: Govbot, clusters: KubeClusters) -> None:
    typo = govbot.one("/canary svc-usr 10%")
    assert not typo.ok
    assert typo.text.startswith("svc-usr is not governed in dev/demo (and dev's cluster has "
                                "no Service svc-usr in demo). Did you mean svc-user?")
    unknown = govbot.one("/canary billing 10%")
    assert unknown.text.startswith("billing is not governed in dev/demo yet (and dev's "
                                   "cluster has no Service billing in demo); start governing")
    assert govbot.branches() == ["main"]
    assert [s.path for s in clusters.dev.requests()] == [
        "/api/v1/namespaces/demo/services/svc-usr", "/api/v1/namespaces/demo/services/billing"]


def test_a_change_made_from_the_cluster_replays_as_it_was_when_main_moves(
        govbot: Govbot, clusters: KubeClusters) -> None:
    seed_svc_new(clusters.dev, "v3", "v4")
    first = govbot.one("/canary svc-new 10%")
    assert first.change_id == 1
    made = govbot.git("show", "change/1-svc-new:services/dev/demo/svc-new.yaml")
    merge(govbot, "/ratelimit svc-pay 100/1s")  # main moves
    clusters.dev.seed(service("svc-new", 7070))  # and so does the cluster: it is not asked
    events = govbot.say("/approve 1", user="bob")
    assert any(isinstance(e, ChangeMerged) and e.ok for e in events), events
    assert govbot.git("show", "main:services/dev/demo/svc-new.yaml") == made


def test_sync_and_rollback_never_take_what_a_controller_in_the_cluster_owns(
        govbot: Govbot, clusters: KubeClusters) -> None:
    merge(govbot, "/canary svc-user 20%")
    clusters.dev.seed(canary("svc-user"))
    refused = govbot.one("/sync svc-user")
    assert not refused.ok and "would overwrite what flagger owns" in refused.text
    refused = govbot.one("/rollback svc-user")
    assert not refused.ok and "Flagger" in refused.text
    assert govbot.app.store.changes("open") == []


def test_a_service_without_a_port_is_not_onboarded_with_a_guessed_one(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.dev.seed({"apiVersion": "v1", "kind": "Service",
                       "metadata": {"name": "svc-ext", "namespace": "demo"},
                       "spec": {"type": "ExternalName", "externalName": "ext.example.com"}})
    answer = govbot.one("/ratelimit svc-ext 10/1s")
    assert not answer.ok and "has no port" in answer.text
    assert "/onboard svc-ext port" in answer.text
    assert govbot.branches() == ["main"]
