"""istiod's semantic rules: for each, a deliberately broken object fails and a good one
passes (the good ones also pass the real CRD schemas)."""

from __future__ import annotations

from typing import Any

import pytest

from policies import units, webhook
from tests.support.schemas import validate_object

HOST = "svc-user.demo.svc.cluster.local"
META = {"name": "svc-user", "namespace": "demo"}


def virtual_service(**http: Any) -> dict[str, Any]:
    route = {"name": "default", "route": [
        {"destination": {"host": HOST, "subset": "v1"}, "weight": 80},
        {"destination": {"host": HOST, "subset": "v2"}, "weight": 20}], **http}
    return {"apiVersion": "networking.istio.io/v1", "kind": "VirtualService",
            "metadata": dict(META), "spec": {"hosts": [HOST], "http": [route]}}


def destination_rule(**spec: Any) -> dict[str, Any]:
    subsets = [{"name": "v1", "labels": {"version": "v1"}},
               {"name": "v2", "labels": {"version": "v2"}}]
    return {"apiVersion": "networking.istio.io/v1", "kind": "DestinationRule",
            "metadata": dict(META), "spec": {"host": HOST, "subsets": subsets, **spec}}


def authorization(*principals: str) -> dict[str, Any]:
    return {"apiVersion": "security.istio.io/v1", "kind": "AuthorizationPolicy",
            "metadata": dict(META), "spec": {
                "selector": {"matchLabels": {"app": "svc-user"}}, "action": "ALLOW",
                "rules": [{"from": [{"source": {"principals": list(principals)}}]}]}}


def autoscaler(low: int, high: int, cpu: int = 70) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": cpu}
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
            "metadata": dict(META), "spec": {
                "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment",
                                   "name": "svc-user"},
                "minReplicas": low, "maxReplicas": high,
                "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]}}


def weighted(*values: int) -> dict[str, Any]:
    obj = virtual_service()
    obj["spec"]["http"][0]["route"] = [
        {"destination": {"host": HOST, "subset": f"v{n + 1}"}, "weight": w}
        for n, w in enumerate(values)]
    return obj


def header(name: str, rule: dict[str, Any]) -> dict[str, Any]:
    return virtual_service(match=[{"headers": {name: rule}}])


def fault(**parts: Any) -> dict[str, Any]:
    return virtual_service(fault=parts)


def breaker(**outlier: Any) -> dict[str, Any]:
    return destination_rule(trafficPolicy={"outlierDetection": outlier})


def pool(**parts: Any) -> dict[str, Any]:
    return destination_rule(trafficPolicy={"connectionPool": parts})


ABORT = {"percentage": {"value": 10.0}}
# rule: (a good object, a broken one)
RULES: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "weights non-negative": (weighted(100, 0), weighted(110, -10)),
    "weights not all zero": (weighted(0, 100), weighted(0, 0)),
    "weights add up to 100": (weighted(50, 50), weighted(50, 40)),
    "header names lowercase": (header("x-user", {"exact": "a"}), header("X-User", {"exact": "a"})),
    "prefix non-empty": (header("user", {"prefix": "w"}), header("user", {"prefix": ""})),
    "regex non-empty": (header("user", {"regex": "^w"}), header("user", {"regex": ""})),
    "regex compiles": (header("user", {"regex": "^(a|b)+$"}), header("user", {"regex": "(a"})),
    "regex has no lookahead": (header("user", {"regex": "^a(?:b)"}),
                               header("user", {"regex": "^a(?=b)"})),
    "regex has no backreference": (header("user", {"regex": r"(a)\.b"}),
                                   header("user", {"regex": r"(a)\1"})),
    "retryOn conditions": (virtual_service(retries={"attempts": 2, "retryOn": "5xx,503,reset"}),
                           virtual_service(retries={"attempts": 2, "retryOn": "5xx,sometimes"})),
    "retryOn no empty element": (virtual_service(retries={"attempts": 1, "retryOn": "reset"}),
                                 virtual_service(retries={"attempts": 1, "retryOn": "reset,"})),
    "retries need attempts": (virtual_service(retries={"attempts": 1, "perTryTimeout": "1s"}),
                              virtual_service(retries={"attempts": 0, "perTryTimeout": "1s"})),
    "perTryTimeout format": (virtual_service(retries={"attempts": 1, "perTryTimeout": "1m30s"}),
                             virtual_service(retries={"attempts": 1, "perTryTimeout": "1 s"})),
    "timeout format": (virtual_service(timeout="1.5s"), virtual_service(timeout="3 seconds")),
    "timeout at least 1ms": (virtual_service(timeout="1ms"), virtual_service(timeout="0s")),
    "timeout whole milliseconds": (virtual_service(timeout="0.001s"),
                                   virtual_service(timeout="0.0005s")),
    "fault has delay or abort": (fault(abort={"httpStatus": 503, **ABORT}), fault()),
    "abort status 200-599": (fault(abort={"httpStatus": 599, **ABORT}),
                             fault(abort={"httpStatus": 199, **ABORT})),
    "abort percentage 0-100": (fault(abort={"httpStatus": 503, "percentage": {"value": 100}}),
                               fault(abort={"httpStatus": 503, "percentage": {"value": 100.5}})),
    "tiny percentage": (fault(abort={"httpStatus": 503, "percentage": {"value": 0.0001}}),
                        fault(abort={"httpStatus": 503, "percentage": {"value": 0.00001}})),
    "delay duration": (fault(delay={"fixedDelay": "2s", **ABORT}),
                       fault(delay={"fixedDelay": "2 s", **ABORT})),
    "subset names DNS-1123": (destination_rule(),
                              destination_rule(subsets=[{"name": "V_1",
                                                         "labels": {"version": "v1"}}])),
    "interval format": (breaker(consecutive5xxErrors=5, interval="10s"),
                        breaker(consecutive5xxErrors=5, interval="10")),
    "baseEjectionTime format": (breaker(baseEjectionTime="30s"), breaker(baseEjectionTime="-1s")),
    "maxEjectionPercent 0-100": (breaker(maxEjectionPercent=100), breaker(maxEjectionPercent=101)),
    "outlier counts non-negative": (breaker(consecutive5xxErrors=0),
                                    breaker(consecutive5xxErrors=-1)),
    "connection pool counts": (pool(tcp={"maxConnections": 1}), pool(tcp={"maxConnections": -1})),
    "connection pool http or tcp": (pool(http={"http1MaxPendingRequests": 10}), pool()),
    "traffic policy not empty": (breaker(interval="1s"), destination_rule(trafficPolicy={})),
    "principal shape": (authorization("cluster.local/ns/demo/sa/svc-index"),
                        authorization("svc-index")),
    "principal without scheme": (authorization("*/ns/demo/sa/svc-index"),
                                 authorization("spiffe://cluster.local/ns/demo/sa/a")),
    "principal wildcard at an end": (authorization("cluster.local/ns/demo/sa/*"),
                                     authorization("cluster.local/ns/*/sa/a")),
    "min replicas at most max": (autoscaler(2, 2), autoscaler(3, 2)),
    "min replicas at least 1": (autoscaler(1, 2), autoscaler(0, 2)),
    "cpu target at least 1": (autoscaler(1, 2, cpu=1), autoscaler(1, 2, cpu=0)),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_good_object_passes_the_rule(rule: str) -> None:
    good, _ = RULES[rule]
    assert webhook.check(good) == []
    assert validate_object(good) == []


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_broken_object_fails_the_rule(rule: str) -> None:
    _, broken = RULES[rule]
    problems = webhook.check(broken)
    assert problems != []
    assert validate_object(broken) != []


@pytest.mark.parametrize(("pattern", "ok"), [
    (r"^\d+$", True), (r"(?i)^user$", True), (r"\pL+", True), (r"a\z", True),
    (r"(?P<name>a)", True), (r"(?<=a)b", False), (r"(?!a)", False), (r"(?P<n>a)(?P=n)", False),
    (r"a++", False), (r"(?>a)", False), (r"[a-", False),
])
def test_regexes_are_judged_as_re2_would(pattern: str, ok: bool) -> None:
    assert (units.re2_problem(pattern) is None) is ok


def test_objects_of_other_kinds_and_without_spec_have_no_semantic_rules() -> None:
    assert webhook.check({"kind": "ConfigMap", "data": {}}) == []
    assert webhook.check({"kind": "VirtualService"}) == []
