"""The Kubernetes apply target against a fake API server: every request it sends, the
dry run before anything is applied, server-side apply in order, pruning only govbot's
objects of the document, and what it does with each kind of failure."""

from __future__ import annotations

import copy
import socket
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from bot.apply import Rejected
from bot.apply.kube import Clusters
from bot.apply.kube.kinds import GOVERNED, resource_of
from bot.apply.kube.target import KubernetesTarget, Retry
from bot.core.errors import ConfigError, TransientError
from policies.document import new_document, plain
from policies.mesh import AMBIENT, EXPERIMENTAL, Mesh
from policies.plan import plan
from policies.render import RenderContext, render
from tests.policies.test_checks import valid
from tests.support.kube import KubeCluster, KubeClusters, Sent, write_kubeconfig
from tests.support.schemas import validate_object

PATH = "services/dev/demo/svc-user.yaml"
PROD = "services/prod/demo/svc-user.yaml"
ENVIRONMENTS = {"dev": {"cluster": {"context": "dev-ctx"}},
                "prod": {"cluster": {"context": "prod-ctx"}}}
APPLY = "application/apply-patch+yaml"
ISTIO = "/apis/networking.istio.io/v1/namespaces/demo"
FILTERS = "/apis/networking.istio.io/v1alpha3/namespaces/demo/envoyfilters"
VS = ("networking.istio.io", "v1", "virtualservices")
EF = ("networking.istio.io", "v1alpha3", "envoyfilters")
QUICK = Retry(attempts=3, first=0.0)


def canary(path: str = PATH, weight: int = 20, limit: bool = False) -> list[dict[str, Any]]:
    env = path.split("/")[1]
    document = plain(new_document(env, "demo", "svc-user"))
    document["spec"]["release"] = {"strategy": "canary", "canaryWeight": weight}
    if limit:
        document["spec"]["rateLimit"] = {"requests": 500, "per": "5s"}
    return plan(None, document, path)


def target_for(clusters: KubeClusters | Path, waits: list[float] | None = None,
               retry: Retry = QUICK) -> KubernetesTarget:
    kubeconfig = clusters if isinstance(clusters, Path) else clusters.kubeconfig
    target = KubernetesTarget(Clusters(str(kubeconfig)), retry,
                              sleep=(waits.append if waits is not None else lambda _s: None))
    target.prepare(ENVIRONMENTS)
    return target


def writes(cluster: KubeCluster) -> list[Sent]:
    return [s for s in cluster.requests() if s.method != "GET"]


def test_every_object_is_dry_run_then_applied_in_order(clusters: KubeClusters) -> None:
    objects = canary()
    applied = target_for(clusters).apply("dev", "demo", PATH, objects)

    assert applied.written == ("DestinationRule/svc-user", "VirtualService/svc-user")
    sent = clusters.dev.requests()
    lists = [s for s in sent if s.kind == "list"]
    assert {s.path.rsplit("/", 1)[-1] for s in lists} == {r.plural for r in GOVERNED}
    assert all(s.params["labelSelector"] == "app.kubernetes.io/managed-by=govbot,"
               "govbot.dev/source=dev.demo.svc-user" for s in lists)
    assert [(s.kind, s.path) for s in writes(clusters.dev)] == [
        ("dry-run", f"{ISTIO}/destinationrules/svc-user"),
        ("dry-run", f"{ISTIO}/virtualservices/svc-user"),
        ("apply", f"{ISTIO}/destinationrules/svc-user"),
        ("apply", f"{ISTIO}/virtualservices/svc-user"),
    ]
    for s in writes(clusters.dev):
        assert (s.method, s.content_type, s.field_manager, s.force) == \
            ("PATCH", APPLY, "govbot", False)
        assert s.params.get("dryRun") == ("All" if s.kind == "dry-run" else None)
        assert validate_object(s.body) == []
    live = clusters.dev.get(*VS, "demo", "svc-user")
    assert live is not None and live["spec"] == objects[1]["spec"]
    assert clusters.prod.requests() == []


def test_applying_the_same_objects_again_changes_nothing(clusters: KubeClusters) -> None:
    target = target_for(clusters)
    target.apply("dev", "demo", PATH, canary())
    again = target.apply("dev", "demo", PATH, canary())
    assert again.written == () and again.deleted == ()
    assert again.unchanged == ("DestinationRule/svc-user", "VirtualService/svc-user")


def test_each_environment_goes_to_its_own_cluster(clusters: KubeClusters) -> None:
    target = target_for(clusters)
    target.apply("prod", "demo", PROD, canary(PROD))
    assert clusters.dev.requests() == []
    assert clusters.prod.get(*VS, "demo", "svc-user") is not None
    assert target.sources() == [PROD]
    target.apply("dev", "demo", PATH, canary())
    assert target.sources() == [PATH, PROD]


def test_a_refused_dry_run_applies_nothing(clusters: KubeClusters) -> None:
    clusters.dev.fail("dry-run", 422, plural="virtualservices", message=(
        'admission webhook "validation.istio.io" denied the request: configuration is '
        "invalid: total destination weight 120 != 100"))
    with pytest.raises(Rejected) as refused:
        target_for(clusters).apply("dev", "demo", PATH, canary())
    (problem,) = refused.value.problems
    assert problem.startswith("VirtualService/svc-user in dev-ctx: admission webhook "
                              '"validation.istio.io" denied the request')
    assert "weight 120" in problem
    assert [s.kind for s in writes(clusters.dev)] == ["dry-run", "dry-run"]
    assert clusters.dev.objects(*VS) == []


def test_a_field_another_manager_holds_is_not_forced(clusters: KubeClusters) -> None:
    clusters.dev.fail("ssa", 409, plural="virtualservices", manager="kubectl-edit",
                      fields=(".spec.http",), api_version="networking.istio.io/v1")
    with pytest.raises(Rejected) as refused:
        target_for(clusters).apply("dev", "demo", PATH, canary())
    (problem,) = refused.value.problems
    assert problem.startswith('VirtualService/svc-user in dev-ctx: "kubectl-edit" holds '
                              ".spec.http")
    assert "/sync svc-user" in problem
    assert not any(s.force for s in clusters.dev.requests())
    assert all(s.kind == "dry-run" for s in writes(clusters.dev))


def test_force_takes_the_fields_back_in_the_dry_run_and_the_apply(
        clusters: KubeClusters) -> None:
    target_for(clusters).apply("dev", "demo", PATH, canary(), force=True)
    assert [s.force for s in writes(clusters.dev)] == [True] * 4


def test_a_policy_turned_off_is_pruned_and_nothing_else(clusters: KubeClusters) -> None:
    target = target_for(clusters)
    with_limit = canary(limit=True)
    assert [o["kind"] for o in with_limit] == ["DestinationRule", "VirtualService",
                                               "EnvoyFilter"]
    target.apply("dev", "demo", PATH, with_limit)
    stranger = copy.deepcopy(with_limit[2])
    stranger["metadata"] = {"name": "svc-user-hand-made", "namespace": "demo"}
    neighbour = copy.deepcopy(with_limit[2])
    neighbour["metadata"]["name"] = "svc-pay"
    neighbour["metadata"]["labels"]["govbot.dev/source"] = "dev.demo.svc-pay"
    clusters.dev.seed(stranger)
    clusters.dev.seed(neighbour)
    clusters.dev.clear_requests()

    applied = target.apply("dev", "demo", PATH, canary())

    assert applied.deleted == ("EnvoyFilter/svc-user-local-ratelimit",)
    assert [(s.method, s.kind, s.path) for s in writes(clusters.dev) if s.method == "DELETE"] \
        == [("DELETE", "dry-run", f"{FILTERS}/svc-user-local-ratelimit"),
            ("DELETE", "delete", f"{FILTERS}/svc-user-local-ratelimit")]
    assert [o["metadata"]["name"] for o in clusters.dev.objects(*EF)] == [
        "svc-pay", "svc-user-hand-made"]


def test_every_deletion_is_dry_run_before_anything_is_applied(
        clusters: KubeClusters) -> None:
    target = target_for(clusters)
    target.apply("dev", "demo", PATH, canary(limit=True))
    clusters.dev.clear_requests()
    clusters.dev.fail("dry-run", 403, plural="envoyfilters", message=(
        'envoyfilters.networking.istio.io "svc-user" is forbidden: User '
        '"system:serviceaccount:govbot:govbot" cannot delete resource "envoyfilters"'))
    with pytest.raises(Rejected) as refused:
        target.apply("dev", "demo", PATH, canary(weight=30))
    assert "cannot delete" in refused.value.problems[0]
    assert all(s.kind == "dry-run" for s in writes(clusters.dev))
    assert clusters.dev.objects(*EF) != []


def test_busy_and_broken_servers_are_retried_then_pending(clusters: KubeClusters) -> None:
    waits: list[float] = []
    target = target_for(clusters, waits, Retry(attempts=3, first=0.5))
    clusters.dev.fail("apply", 429, retry_after=3)
    clusters.dev.fail("dry-run", 503)
    target.apply("dev", "demo", PATH, canary())
    assert waits == [0.5, 3.0]
    assert clusters.dev.get(*VS, "demo", "svc-user") is not None

    clusters.dev.fail("list", 500, times=3)
    with pytest.raises(TransientError, match="Internal error"):
        target.apply("dev", "demo", PATH, canary())
    assert waits[2:] == [0.5, 1.0]


def test_an_unreachable_cluster_is_temporary(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", {
        "dev-ctx": f"http://127.0.0.1:{port}", "prod-ctx": f"http://127.0.0.1:{port}"})
    with pytest.raises(TransientError, match="did not answer"):
        target_for(kubeconfig).apply("dev", "demo", PATH, canary())


def test_a_server_that_does_not_create_on_apply_gets_a_create(tmp_path: Path) -> None:
    with KubeCluster(apply_creates=False) as cluster:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig",
                                      {"dev-ctx": cluster.url, "prod-ctx": cluster.url})
        target_for(kubeconfig).apply("dev", "demo", PATH, canary()[1:])
        assert [(s.method, s.kind, s.field_manager) for s in writes(cluster)] == [
            ("PATCH", "dry-run", "govbot"), ("POST", "dry-run", "govbot"),
            ("PATCH", "apply", "govbot"), ("POST", "create", "govbot")]
        assert cluster.get(*VS, "demo", "svc-user") is not None


def test_a_kind_the_cluster_does_not_serve_is_refused(tmp_path: Path) -> None:
    with KubeCluster(apply_creates=False) as cluster:
        kubeconfig = write_kubeconfig(tmp_path / "kubeconfig",
                                      {"dev-ctx": cluster.url, "prod-ctx": cluster.url})
        cluster.fail("dry-run", 404, times=2, message='the server could not find the '
                     "requested resource")
        with pytest.raises(Rejected, match="CRD installed"):
            target_for(kubeconfig).apply("dev", "demo", PATH, canary()[1:])


def test_a_context_missing_from_the_kubeconfig_is_a_config_error(
        clusters: KubeClusters) -> None:
    target = KubernetesTarget(Clusters(str(clusters.kubeconfig)))
    with pytest.raises(ConfigError, match="'staging-ctx' is not in"):
        target.prepare({**ENVIRONMENTS, "staging": {"cluster": {"context": "staging-ctx"}}})


def test_every_kind_goes_to_its_own_api_path(clusters: KubeClusters) -> None:
    objects = plan(None, valid(), PROD)
    target_for(clusters).apply("prod", "demo", PROD, objects)
    applied = [s for s in writes(clusters.prod) if s.kind == "apply"]
    assert [s.path for s in applied] == [
        f"/apis/{resource_of(o).api_version}/namespaces/demo/{resource_of(o).plural}/"
        f"{o['metadata']['name']}" for o in objects]
    assert "/apis/autoscaling/v2/namespaces/demo/horizontalpodautoscalers/svc-user" in \
        [s.path for s in applied]
    for sent in applied:
        assert validate_object(sent.body) == []
        if sent.body["kind"] == "HorizontalPodAutoscaler":  # a built-in kind
            kubernetes_validate.validate(sent.body, "1.37", strict=True)


def test_the_governed_kinds_are_every_kind_govbot_renders() -> None:
    kinds = {(r.group, r.version, r.kind) for r in GOVERNED}
    path = "services/prod/demo/svc-user.yaml"
    rendered = render(valid(), path)
    # an ambient namespace renders the route and the version Services instead; it refuses
    # the rate limit and takes retries from the experimental channel only
    ambient = valid()
    for section in ("rateLimit", "fault"):
        del ambient["spec"][section]
    ambient["spec"]["retries"]["retryOn"] = "5xx,connect-failure,503"
    context = RenderContext(meshes={("prod", "demo"): Mesh(AMBIENT, EXPERIMENTAL)})
    rendered += render(ambient, path, context)
    assert {(resource_of(o).group, resource_of(o).version, o["kind"]) for o in rendered} \
        == kinds
