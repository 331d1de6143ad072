"""Stories with GOVBOT_APPLY=kubernetes: a merged change reaches its environment's cluster
through a dry run and server-side apply; refusals are told once, busy clusters retried."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.app import build
from bot.core.errors import ConfigError
from bot.core.events import Answer, ApplyFailed, ChangeMerged, Event
from tests.conftest import FIXED_NOW, SEEDER, Govbot
from tests.support.kube import KubeCluster, KubeClusters, Sent
from tests.support.kube_story import map_clusters, settings
from tests.support.schemas import validate_object

APPLY = "application/apply-patch+yaml"
DEV = "/apis/networking.istio.io/v1/namespaces/demo"
VS = ("networking.istio.io", "v1", "virtualservices")
EF = ("networking.istio.io", "v1alpha3", "envoyfilters")


@pytest.fixture
def govbot(kube_govbot: Govbot) -> Govbot:
    return kube_govbot


def writes(cluster: KubeCluster) -> list[Sent]:
    return [s for s in cluster.requests() if s.method != "GET"]


def merged(events: list[Event]) -> ChangeMerged:
    (event,) = [e for e in events if isinstance(e, ChangeMerged)]
    return event


def failures(events: list[Event]) -> list[ApplyFailed]:
    return [e for e in events if isinstance(e, ApplyFailed)]


def test_an_approved_canary_is_dry_run_then_applied_to_dev(govbot: Govbot,
                                                           clusters: KubeClusters) -> None:
    assert govbot.one("/canary svc-user 20%").change_id == 1
    events = govbot.say("/approve 1", user="bob")

    assert merged(events).ok and "applied" in merged(events).text
    assert failures(events) == []
    assert [(s.method, s.kind, s.path) for s in writes(clusters.dev)] == [
        ("PATCH", "dry-run", f"{DEV}/destinationrules/svc-user"),
        ("PATCH", "dry-run", f"{DEV}/virtualservices/svc-user"),
        ("PATCH", "apply", f"{DEV}/destinationrules/svc-user"),
        ("PATCH", "apply", f"{DEV}/virtualservices/svc-user"),
    ]
    for sent in writes(clusters.dev):
        assert (sent.content_type, sent.field_manager, sent.force) == (APPLY, "govbot", False)
        assert sent.params.get("dryRun") == ("All" if sent.kind == "dry-run" else None)
        assert validate_object(sent.body) == []
    live = clusters.dev.get(*VS, "demo", "svc-user")
    assert live is not None
    weights = {d["destination"]["subset"]: d["weight"] for d in live["spec"]["http"][-1]["route"]}
    assert weights == {"v1": 80, "v2": 20}
    assert live["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "govbot",
                                          "govbot.dev/source": "dev.demo.svc-user"}
    assert writes(clusters.prod) == []


def test_a_prod_change_goes_to_prods_context(govbot: Govbot, clusters: KubeClusters) -> None:
    assert govbot.one("/canary svc-user 20% --env prod").change_id == 1
    assert not any(isinstance(e, ChangeMerged) for e in govbot.say("/approve 1", user="bob"))
    events = govbot.say("/approve 1", user="carol")

    assert merged(events).ok and failures(events) == []
    assert [s.path.rsplit("/", 2)[-2] for s in writes(clusters.prod)] == [
        "destinationrules", "virtualservices", "destinationrules", "virtualservices"]
    assert clusters.prod.get(*VS, "demo", "svc-user") is not None
    assert writes(clusters.dev) == [] and clusters.dev.objects(*VS) == []


def test_a_refused_dry_run_applies_nothing_and_is_told_once(govbot: Govbot,
                                                            clusters: KubeClusters) -> None:
    clusters.dev.fail("dry-run", 422, plural="virtualservices", message=(
        'admission webhook "validation.istio.io" denied the request: configuration is '
        "invalid: total destination weight 120 != 100"))
    govbot.one("/canary svc-user 20%")
    events = govbot.say("/approve 1", user="bob")

    (failed,) = failures(events)
    assert failed.permanent and failed.change_id == 1
    assert failed.text.startswith("not applied: VirtualService/svc-user in dev-ctx: "
                                  'admission webhook "validation.istio.io" denied the request')
    assert "total destination weight 120" in failed.text
    assert all(s.kind == "dry-run" for s in writes(clusters.dev))
    assert clusters.dev.objects(*VS) == []
    assert not any(isinstance(e, ApplyFailed) for e in govbot.app.workflow.sync())


def test_a_field_another_manager_holds_stops_the_apply(govbot: Govbot,
                                                       clusters: KubeClusters) -> None:
    clusters.dev.fail("ssa", 409, plural="virtualservices", manager="kubectl-edit",
                      fields=(".spec.http",), api_version="networking.istio.io/v1")
    govbot.one("/canary svc-user 20%")
    (failed,) = failures(govbot.say("/approve 1", user="bob"))

    assert '"kubectl-edit" holds .spec.http' in failed.text
    assert "/sync svc-user" in failed.text
    assert not any(s.force for s in clusters.dev.requests())
    assert all(s.kind == "dry-run" for s in writes(clusters.dev))


def test_a_policy_turned_off_is_pruned_and_a_stranger_is_kept(govbot: Govbot,
                                                              clusters: KubeClusters) -> None:
    govbot.one("/ratelimit svc-user 500/5s")
    assert merged(govbot.say("/approve 1", user="bob")).ok
    (limit,) = clusters.dev.objects(*EF, "demo")
    hand_made = {**limit, "metadata": {"name": "svc-user-by-hand", "namespace": "demo",
                                       "labels": {"app": "svc-user"}}}
    clusters.dev.seed(hand_made)
    clusters.dev.clear_requests()

    govbot.one("/ratelimit svc-user off")
    assert merged(govbot.say("/approve 2", user="bob")).ok

    deletes = [(s.kind, s.name) for s in writes(clusters.dev) if s.method == "DELETE"]
    assert deletes == [("dry-run", limit["metadata"]["name"]),
                       ("delete", limit["metadata"]["name"])]
    assert [o["metadata"]["name"] for o in clusters.dev.objects(*EF)] == ["svc-user-by-hand"]


def test_a_busy_cluster_leaves_the_apply_pending_until_the_next_sync(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.dev.fail("apply", 429, retry_after=0, times=4)
    govbot.one("/canary svc-user 20%")
    events = govbot.say("/approve 1", user="bob")
    assert "apply pending" in merged(events).text, merged(events).text
    assert clusters.dev.objects(*VS) == []

    # the full listing of what govbot holds gives up on the busy cluster (its orphans
    # wait), and the document's own listing leaves it pending
    clusters.dev.fail("list", 503, times=8)
    later = govbot.app.workflow.sync()
    assert [e.permanent for e in later if isinstance(e, ApplyFailed)] == [False]
    assert clusters.dev.objects(*VS) == []

    applied = govbot.app.workflow.sync()
    assert any(isinstance(e, Answer) and "VirtualService svc-user" in e.text for e in applied)
    assert clusters.dev.get(*VS, "demo", "svc-user") is not None


def test_an_approved_sync_annotation_applies_with_force(govbot: Govbot,
                                                        clusters: KubeClusters) -> None:
    govbot.one("/canary svc-user 20%")
    govbot.say("/approve 1", user="bob")
    clusters.dev.clear_requests()
    repo, old = govbot.app.repo, govbot.app.repo.head("main")
    path = "services/dev/demo/svc-user.yaml"
    document = yaml.safe_load(repo.read_many(old, [path])[path] or "")
    document["metadata"]["annotations"] = {"govbot.dev/sync": "change-2"}
    repo.set_ref("main", repo.commit(old, {path: yaml.safe_dump(document, sort_keys=False)},
                                     SEEDER, "sync svc-user"), old=old)

    govbot.app.workflow.sync()

    assert [s.force for s in writes(clusters.dev)] == [True] * 4
    clusters.dev.clear_requests()
    govbot.app.workflow.sync(full=True)
    assert writes(clusters.dev) and not any(s.force for s in writes(clusters.dev))


def test_start_up_fails_when_a_context_is_not_in_the_kubeconfig(
        tmp_path: Path, clusters: KubeClusters) -> None:
    home = tmp_path / "home"
    first = build(settings(home, clusters.kubeconfig), clock=lambda: FIXED_NOW)
    map_clusters(first, {"dev": "dev-ctx", "prod": "prod-east"})
    first.close()
    with pytest.raises(ConfigError, match="environment prod: context 'prod-east' is not in"):
        build(settings(home, clusters.kubeconfig), clock=lambda: FIXED_NOW)


def test_a_cluster_that_cannot_be_listed_does_not_hold_back_the_others(
        govbot: Govbot, clusters: KubeClusters) -> None:
    clusters.prod.fail("list", 403, times=50)   # a namespace-scoped Role, or prod down
    govbot.one("/canary svc-user 20%")
    events = govbot.say("/approve 1", user="bob")
    assert merged(events).ok and "pending" not in merged(events).text, merged(events).text
    assert clusters.dev.get(*VS, "demo", "svc-user") is not None


def test_someone_elses_object_of_the_same_name_is_never_taken_over(
        govbot: Govbot, clusters: KubeClusters) -> None:
    theirs = {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
              "metadata": {"name": "svc-pay", "namespace": "demo",
                           "labels": {"team": "payments"}},
              "spec": {"hosts": ["pay.example.com"], "gateways": ["public"],
                       "http": [{"route": [{"destination": {"host": "svc-pay"}}]}]}}
    clusters.dev.seed(theirs)
    govbot.one("/canary svc-pay 20%")
    events = govbot.say("/approve 1", user="bob")
    [failure] = failures(events)
    assert "VirtualService/svc-pay" in failure.text and "not govbot's" in failure.text
    live = clusters.dev.get(*VS, "demo", "svc-pay")
    assert live is not None and live["spec"]["hosts"] == ["pay.example.com"]
    assert not [s for s in writes(clusters.dev) if s.kind == "apply"]


def test_a_removed_route_goes_before_the_subsets_it_used(govbot: Govbot,
                                                         clusters: KubeClusters) -> None:
    govbot.one("/canary svc-user 20%")
    assert merged(govbot.say("/approve 1", user="bob")).ok
    app = govbot.app
    old = app.repo.head("main")
    app.repo.set_ref("main", app.repo.commit(
        old, {"services/dev/demo/svc-user.yaml": None}, SEEDER, "retire svc-user"), old=old)
    clusters.dev.clear_requests()
    app.workflow.sync()
    kinds = [s.path.split("/")[-2] for s in writes(clusters.dev) if s.kind == "delete"]
    assert kinds.index("virtualservices") < kinds.index("destinationrules"), kinds


def test_the_sweep_applies_what_a_busy_cluster_left_pending(govbot: Govbot,
                                                            clusters: KubeClusters) -> None:
    clusters.dev.fail("apply", 503, times=4)
    govbot.one("/canary svc-user 20%")
    assert "apply pending" in merged(govbot.say("/approve 1", user="bob")).text
    assert clusters.dev.get(*VS, "demo", "svc-user") is None
    swept = govbot.app.workflow.sweep()
    assert any(isinstance(e, Answer) and "svc-user" in e.text for e in swept), swept
    assert clusters.dev.get(*VS, "demo", "svc-user") is not None
