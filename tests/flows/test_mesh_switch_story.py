"""Switching `demo` from sidecar to ambient end to end (issue #14): `/mesh demo ambient`
through the console opens one change whose rendered diff removes the VirtualService and
the subsets and adds the HTTPRoute and the version Services; once approved and merged it
is applied make-before-break to the cluster (kmock), and the directory target ends with
exactly the ambient files.

The order the cluster must see (docs/ambient.md): the version Services exist before the
VirtualService is deleted, the HTTPRoute is created only once the VirtualService is gone
(a VirtualService and an HTTPRoute on one host is undefined), and the subsets leave the
DestinationRule after that.
"""

from __future__ import annotations

import itertools

from bot.core.events import Answer, ChangeMerged, ChangeOpened, Event
from tests.conftest import Govbot
from tests.support.kube import KubeClusters, Sent

CORE = "/api/v1/namespaces/demo/services"
ISTIO = "/apis/networking.istio.io/v1/namespaces/demo"
ROUTES = "/apis/gateway.networking.k8s.io/v1/namespaces/demo/httproutes"
SOURCE = "services/dev/demo/svc-user.yaml:"




def _merge(govbot: Govbot, text: str, *approvers: str) -> list[Event]:
    opened = govbot.one(text)
    assert isinstance(opened, ChangeOpened), opened
    events: list[Event] = []
    for person in approvers:
        events = govbot.say(f"/approve {opened.change_id}", user=person)
    assert any(isinstance(e, ChangeMerged) for e in events), events
    return events


def _canary_with_a_circuit_breaker(govbot: Govbot) -> None:
    _merge(govbot, "/canary svc-user 20%", "bob")
    _merge(govbot, "/circuitbreak svc-user 5xx=5 interval=30s eject=30s", "bob")


def _switch(govbot: Govbot) -> str:
    """/mesh demo ambient: one change; its manifest diff as /show tells it, after merge."""
    opened = govbot.one("/mesh demo ambient --env dev")
    assert isinstance(opened, ChangeOpened), opened
    assert govbot.app.store.changes("open")[0].path == "govbot.yaml"
    shown = govbot.one(f"/show {opened.change_id}")
    assert isinstance(shown, Answer)
    _approve_all(govbot, opened.change_id)
    return shown.text.split("manifest diff:", 1)[1]


def _approve_all(govbot: Govbot, change_id: int) -> None:
    govbot.say(f"/approve {change_id}", user="bob")
    events = govbot.say(f"/approve {change_id}", user="carol")  # governance: 2 from sre
    (merged,) = [e for e in events if isinstance(e, ChangeMerged)]
    assert merged.ok and "applied" in merged.text, merged.text


def _objects_in(diff: str) -> tuple[set[str], set[str]]:
    """(objects the diff removes, objects it adds), by their `Kind/name`."""
    lines = diff.splitlines()
    removed = {old.removeprefix(f"--- a/{SOURCE}") for old, new in itertools.pairwise(lines)
               if old.startswith("--- a/") and new == "+++ /dev/null"}
    added = {new.removeprefix(f"+++ b/{SOURCE}") for old, new in itertools.pairwise(lines)
             if old == "--- /dev/null" and new.startswith("+++ b/")}
    return removed, added


def test_the_switch_is_one_change_whose_diff_shows_what_goes_and_what_comes(
        kube_govbot: Govbot) -> None:
    _canary_with_a_circuit_breaker(kube_govbot)
    diff = _switch(kube_govbot)

    removed, added = _objects_in(diff)
    assert removed == {"VirtualService/svc-user"}
    assert added == {"HTTPRoute/svc-user", "Service/svc-user-v1", "Service/svc-user-v2"}
    rule = diff.split(f"--- a/{SOURCE}DestinationRule/svc-user", 1)[1].split("\n--- ", 1)[0]
    assert "-  subsets:" in rule and "+  subsets:" not in rule
    assert "outlierDetection" in rule  # the circuit breaker stays, without subsets


def _writes(sent: list[Sent]) -> list[tuple[str, str, Sent]]:
    """(kind of request, path, request) of what changed the cluster, oldest first."""
    return [(s.kind, s.path, s) for s in sent
            if s.method in ("PATCH", "DELETE", "POST") and not s.dry_run]


def _first(writes: list[tuple[str, str, Sent]], kind: str, path: str) -> int:
    return next(i for i, (k, p, _s) in enumerate(writes) if k == kind and p == path)


def test_the_merged_switch_reaches_the_cluster_make_before_break(
        kube_govbot: Govbot, clusters: KubeClusters) -> None:
    _canary_with_a_circuit_breaker(kube_govbot)
    clusters.dev.clear_requests()
    _switch(kube_govbot)

    writes = _writes(clusters.dev.requests())
    services = [_first(writes, "apply", f"{CORE}/svc-user-v{n}") for n in (1, 2)]
    gone = _first(writes, "delete", f"{ISTIO}/virtualservices/svc-user")
    route = _first(writes, "apply", f"{ROUTES}/svc-user")
    without_subsets = next(i for i, (k, p, s) in enumerate(writes)
                           if k == "apply" and p == f"{ISTIO}/destinationrules/svc-user"
                           and not s.body["spec"].get("subsets"))
    assert max(services) < gone < route
    assert gone < without_subsets

    assert clusters.dev.get("networking.istio.io", "v1", "virtualservices", "demo",
                            "svc-user") is None
    live = clusters.dev.get("gateway.networking.k8s.io", "v1", "httproutes", "demo",
                            "svc-user")
    assert live is not None
    backends = {b["name"]: b.get("weight") for rule in live["spec"]["rules"]
                for b in rule.get("backendRefs") or ()}
    assert backends == {"svc-user-v1": 80, "svc-user-v2": 20}
    rule = clusters.dev.get("networking.istio.io", "v1", "destinationrules", "demo",
                            "svc-user")
    assert rule is not None and not rule["spec"].get("subsets")
    assert rule["spec"]["trafficPolicy"]["outlierDetection"]["consecutive5xxErrors"] == 5


def test_the_directory_target_ends_with_exactly_the_ambient_files(govbot: Govbot) -> None:
    _canary_with_a_circuit_breaker(govbot)
    assert sorted(p.name for p in govbot.rendered().iterdir()) == [
        "destinationrule-svc-user.yaml", "virtualservice-svc-user.yaml"]
    _switch(govbot)

    assert sorted(p.name for p in govbot.rendered().iterdir()) == [
        "destinationrule-svc-user.yaml", "httproute-svc-user.yaml",
        "service-svc-user-v1.yaml", "service-svc-user-v2.yaml"]


def test_an_exposed_service_keeps_its_ingress_route_through_the_switch(
        kube_govbot: Govbot, clusters: KubeClusters) -> None:
    _canary_with_a_circuit_breaker(kube_govbot)
    _merge(kube_govbot, "/expose svc-user host user.example.com gateway istio-system/public",
           "bob")
    clusters.dev.clear_requests()
    _switch(kube_govbot)

    writes = _writes(clusters.dev.requests())
    service = f"{ISTIO}/virtualservices/svc-user"
    ingress_only = next(i for i, (k, p, s) in enumerate(writes)
                        if k == "apply" and p == service)
    body = writes[ingress_only][2].body["spec"]
    assert body["gateways"] == ["istio-system/public"] and body["hosts"] == ["user.example.com"]
    route = _first(writes, "apply", f"{ROUTES}/svc-user")
    gone = _first(writes, "delete", service)
    # the gateway keeps a route all along: the VirtualService goes after the HTTPRoute came
    assert ingress_only < route < gone
    live = clusters.dev.get("gateway.networking.k8s.io", "v1", "httproutes", "demo",
                            "svc-user")
    assert live is not None
    assert [ref["kind"] for ref in live["spec"]["parentRefs"]] == ["Service", "Gateway"]
