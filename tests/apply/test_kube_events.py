"""KubeEvents against a fake API server: the lists and gets it sends, what becomes a
governance event (autoscaler decisions, warnings about govbot's objects), what does not
(history, other people's objects, normal chatter), and repeats that update one key."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.apply import ApplySettings, build_events
from bot.apply.kube import Clusters
from bot.apply.kube.events import KubeEvents, selector
from bot.apply.kube.kinds import GOVERNED
from tests.support.kube import KubeClusters

START = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
ENVIRONMENTS = {"dev": {"cluster": {"context": "dev-ctx"}, "namespaces": {"demo": {}}},
                "prod": {"cluster": {"context": "prod-ctx"},
                         "namespaces": {"demo": {}, "shop": {}}}}


def source(kubeconfig: Any, environments: dict[str, Any] | None = None) -> KubeEvents:
    return KubeEvents(Clusters(str(kubeconfig)), lambda: environments or ENVIRONMENTS,
                      now=lambda: START)


def stamp(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def event(uid: str, kind: str, name: str, reason: str, message: str, *, minutes: float = 1,
          type_: str = "Warning", count: int = 1, version: str = "10",
          namespace: str = "demo") -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": f"{name}.{uid}", "namespace": namespace, "uid": uid,
                         "resourceVersion": version},
            "involvedObject": {"kind": kind, "name": name, "namespace": namespace},
            "reason": reason, "message": message, "type": type_, "count": count,
            "firstTimestamp": stamp(minutes), "lastTimestamp": stamp(minutes)}


def autoscaler(name: str, env: str = "dev", namespace: str = "demo",
               managed: bool = True) -> dict[str, Any]:
    labels = {"app.kubernetes.io/managed-by": "govbot",
              "govbot.dev/source": f"{env}.{namespace}.{name}"} if managed else {}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": {"name": name, "namespace": namespace, "labels": labels,
                         "annotations": {"govbot.dev/source":
                                         f"services/{env}/{namespace}/{name}.yaml"}
                         if managed else {}},
            "spec": {"minReplicas": 2, "maxReplicas": 10}}


def virtual_service(name: str, managed: bool) -> dict[str, Any]:
    labels = {"app.kubernetes.io/managed-by": "govbot",
              "govbot.dev/source": f"dev.demo.{name}"} if managed else {}
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": {"name": name, "namespace": "demo", "labels": labels},
            "spec": {"hosts": [name]}}


RESCALE = "New size: 4; reason: cpu resource utilization (percentage of request) above target"


def test_an_autoscaler_decision_becomes_one_event_keyed_by_the_events_uid(
        clusters: KubeClusters) -> None:
    clusters.dev.seed(autoscaler("svc-user"))
    clusters.dev.seed(event("u-1", "HorizontalPodAutoscaler", "svc-user",
                            "SuccessfulRescale", RESCALE, type_="Normal"))
    [told] = source(clusters.kubeconfig).poll()
    assert (told.kind, told.env, told.namespace, told.service, told.severity) == (
        "kubernetes", "dev", "demo", "svc-user", "info")
    assert (told.key, told.count, told.at) == ("u-1", 1, START + timedelta(minutes=1))
    assert "SuccessfulRescale" in told.title and "New size: 4" in told.title

    sent = clusters.dev.requests()
    lists = [s for s in sent if s.kind == "list"]
    assert {s.path for s in lists} == {"/api/v1/namespaces/demo/events"}
    assert [s.params["fieldSelector"] for s in lists] == [selector(r.kind) for r in GOVERNED]
    assert "involvedObject.kind=VirtualService,type=Warning" in {
        s.params["fieldSelector"] for s in lists}
    assert [(s.kind, s.path) for s in sent if s.kind != "list"] == [
        ("get", "/apis/autoscaling/v2/namespaces/demo/horizontalpodautoscalers/svc-user")]
    assert {s.method for s in sent} == {"GET"}
    assert {s.path for s in clusters.prod.requests()} == {
        "/api/v1/namespaces/demo/events", "/api/v1/namespaces/shop/events"}


def test_a_repeat_updates_the_same_key_with_the_repeats_since_the_last_poll(
        clusters: KubeClusters) -> None:
    clusters.dev.seed(autoscaler("svc-user"))
    clusters.dev.seed(event("u-1", "HorizontalPodAutoscaler", "svc-user",
                            "FailedGetResourceMetric", "missing request for cpu"))
    events = source(clusters.kubeconfig)
    assert [e.key for e in events.poll()] == ["u-1"]
    clusters.dev.clear_requests()
    assert events.poll() == []                      # nothing moved: nothing told, no gets
    assert {s.kind for s in clusters.dev.requests()} == {"list"}

    clusters.dev.seed(event("u-1", "HorizontalPodAutoscaler", "svc-user",
                            "FailedGetResourceMetric", "missing request for cpu",
                            minutes=3, count=4, version="11"))
    [again] = events.poll()
    assert (again.key, again.count, again.severity, again.at) == (
        "u-1", 3, "warning", START + timedelta(minutes=3))


def test_history_other_peoples_objects_and_normal_chatter_are_not_told(
        clusters: KubeClusters) -> None:
    clusters.dev.seed(autoscaler("svc-user"))
    clusters.dev.seed(autoscaler("hand-made", managed=False))
    clusters.dev.seed(virtual_service("svc-user", managed=True))
    clusters.dev.seed(event("old", "HorizontalPodAutoscaler", "svc-user",
                            "SuccessfulRescale", RESCALE, minutes=-5, type_="Normal"))
    clusters.dev.seed(event("theirs", "HorizontalPodAutoscaler", "hand-made",
                            "SuccessfulRescale", RESCALE, type_="Normal"))
    clusters.dev.seed(event("normal", "VirtualService", "svc-user", "Synced", "ok",
                            type_="Normal"))  # the fake ignores field selectors
    clusters.dev.seed(event("pod", "Pod", "svc-user-5d8f", "BackOff", "restarting"))
    assert source(clusters.kubeconfig).poll() == []


def test_a_warning_about_an_object_that_is_gone_names_it_by_the_event(
        clusters: KubeClusters) -> None:
    clusters.dev.seed(event("w-1", "EnvoyFilter", "svc-user-ratelimit", "FailedApply",
                            "  the filter\n  is invalid "))
    [told] = source(clusters.kubeconfig).poll()
    assert (told.service, told.severity, told.env) == ("svc-user-ratelimit", "warning", "dev")
    assert told.title == "FailedApply on EnvoyFilter/svc-user-ratelimit: the filter is invalid"


def test_a_namespace_that_cannot_be_read_does_not_stop_the_others(
        clusters: KubeClusters) -> None:
    clusters.prod.seed(autoscaler("svc-pay", env="prod", namespace="shop"))
    clusters.prod.seed(event("p-1", "HorizontalPodAutoscaler", "svc-pay",
                             "SuccessfulRescale", RESCALE, type_="Normal", namespace="shop"))
    clusters.dev.fail("list", 403, message='events is forbidden: User "govbot" cannot list '
                      'resource "events"', times=10)
    clusters.prod.fail("list", 503, times=1)
    events = source(clusters.kubeconfig)
    assert [(e.env, e.namespace, e.service) for e in events.poll()] == [
        ("prod", "shop", "svc-pay")]


def test_a_namespace_environments_share_on_one_cluster_is_read_once(
        clusters: KubeClusters) -> None:
    shared = {"dev": {"cluster": {"context": "dev-ctx"}, "namespaces": {"demo": {}}},
              "staging": {"cluster": {"context": "dev-ctx"}, "namespaces": ["demo"]}}
    clusters.dev.seed(autoscaler("svc-user", env="staging"))
    clusters.dev.seed(event("s-1", "HorizontalPodAutoscaler", "svc-user",
                            "SuccessfulRescale", RESCALE, type_="Normal"))
    clusters.dev.seed(event("s-2", "DestinationRule", "gone", "Invalid", "bad subset"))
    told = source(clusters.kubeconfig, shared).poll()
    assert sorted((e.key, e.env) for e in told) == [("s-1", "staging"), ("s-2", "")]
    assert len([s for s in clusters.dev.requests() if s.kind == "list"]) == len(GOVERNED)


def test_the_factory_reads_events_only_with_a_cluster(tmp_path: Any) -> None:
    assert build_events(ApplySettings("directory", tmp_path), dict) is None
    assert isinstance(build_events(ApplySettings("kubernetes", tmp_path), dict), KubeEvents)
    with pytest.raises(Exception, match="unknown apply target"):
        build_events(ApplySettings("nowhere", tmp_path), dict)
