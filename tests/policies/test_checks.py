"""Validation of the spec fields of issue #3: each rule fails with its field's name."""

from __future__ import annotations

import copy
import doctest
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from policies import document, kinds, units
from policies.checks import fields, resilience, service, traffic
from policies.edits import access, faults, keep, owners, release, routing, section
from policies.edits import resilience as resilience_edits

PATH = "services/prod/demo/svc-user.yaml"


def valid() -> dict[str, Any]:
    """The document of the issue's shape, every section set."""
    return {
        "apiVersion": "govbot.dev/v1",
        "kind": "ServicePolicy",
        "metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
        "spec": {
            "port": 80,
            "targetPort": "http",
            "selector": {"app": "svc-user"},
            "serviceAccount": "svc-user",
            "exposed": True,
            "managedBy": "govbot",
            "versions": {"stable": "v1", "canary": "v2"},
            "release": {"strategy": "blueGreen", "canaryWeight": 20, "active": "v2"},
            "routes": [
                {"match": {"headers": {"user": {"exact": "w_shenyu"}}}, "to": "v2"},
                {"match": {"headers": {"x-team": {"regex": "^(qa|dev)-[0-9]+$"}}}, "to": "v1"},
                {"match": {"cookie": {"name": "user", "value": "w_shenyu"}}, "to": "v2"},
            ],
            "rateLimit": {"enabled": True, "requests": 500, "per": "5s",
                          "match": {"headers": {"user": {"exact": "w_shenyu"}}}},
            "circuitBreaker": {"enabled": True, "consecutive5xxErrors": 5, "interval": "30s",
                               "baseEjectionTime": "30s", "maxEjectionPercent": 50,
                               "maxConnections": 100, "maxPendingRequests": 10},
            "allowFrom": {"enabled": True,
                          "callers": ["svc-index", "istio-system/istio-ingressgateway"]},
            "fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 10},
                      "delay": {"fixed": "2s", "percent": 0.5},
                      "expires": "2026-11-27T12:00:00Z"},
            "timeout": "3s",
            "retries": {"attempts": 2, "perTryTimeout": "1s",
                        "retryOn": "5xx,reset,connect-failure,503"},
            "autoscale": {"enabled": True, "min": 2, "max": 10, "cpuPercent": 70},
        },
    }


def test_the_full_document_is_valid() -> None:
    assert document.validate(valid(), PATH) == []


def test_a_human_written_unquoted_expiry_is_valid_too() -> None:
    text = document.dump(document.load(document.new_document("prod", "demo", "svc-user")))
    text += "  fault:\n    abort:\n      httpStatus: 503\n      percent: 1\n"
    text += "    expires: 2026-11-27T12:00:00Z\n"
    assert document.validate(document.plain(text), PATH) == []


Mutation = Callable[[dict[str, Any]], None]


def put(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data["spec"]
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        node[last] = value
    return mutate


def drop(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = data["spec"]
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]
    return mutate


def header(rule: Any) -> Any:
    return {"headers": {"user": rule}}


RULES: list[tuple[str, Mutation, str]] = [
    ("serviceAccount", put("serviceAccount", "Svc_User"), "spec.serviceAccount: 'Svc_User'"),
    ("exposed", put("exposed", "yes"), "spec.exposed: 'yes'"),
    ("managedBy", put("managedBy", "helm"), "spec.managedBy: 'helm'"),
    ("strategy", put("release.strategy", "linear"), "spec.release.strategy: 'linear'"),
    ("active missing", drop("release.active"), "spec.release.active: required"),
    ("active unknown", put("release.active", "v9"), "spec.release.active: 'v9'"),
    ("active with canary", put("release.strategy", "canary"), "spec.release.active: only"),
    ("routes not a list", put("routes", {"to": "v2"}), "spec.routes: must be"),
    ("routes empty", put("routes", []), "spec.routes: must be"),
    ("route no match", drop("routes.0.match"), "spec.routes[0].match: required"),
    ("route no to", drop("routes.0.to"), "spec.routes[0].to: required"),
    ("route to unknown", put("routes.0.to", "v3"), "spec.routes[0].to: 'v3'"),
    ("route two matches", put("routes.2.match", {**header({"exact": "a"}),
                                                 "cookie": {"name": "a", "value": "b"}}),
     "spec.routes[2].match: must have exactly one of headers, cookie"),
    ("route two headers", put("routes.0.match", {"headers": {"a": {"exact": "x"},
                                                             "b": {"exact": "y"}}}),
     "spec.routes[0].match.headers: must name exactly one header"),
    ("header uppercase", put("routes.0.match", {"headers": {"User": {"exact": "x"}}}),
     "spec.routes[0].match.headers.User: not a lowercase"),
    ("header two kinds", put("routes.0.match", header({"exact": "a", "prefix": "b"})),
     "spec.routes[0].match.headers.user: must be {exact: <value>} or {prefix"),
    ("header empty prefix", put("routes.0.match", header({"prefix": ""})),
     "spec.routes[0].match.headers.user.prefix: ''"),
    ("header lookahead", put("routes.0.match", header({"regex": "a(?!b)"})),
     "spec.routes[0].match.headers.user.regex: 'a(?!b)': RE2 has no negative lookahead"),
    ("header backreference", put("routes.0.match", header({"regex": r"(a)\1"})),
     "spec.routes[0].match.headers.user.regex:"),
    ("header bad regex", put("routes.0.match", header({"regex": "(a"})),
     "spec.routes[0].match.headers.user.regex: '(a': not a regular expression"),
    ("cookie name", put("routes.2.match.cookie.name", "a b"), "spec.routes[2].match.cookie.name:"),
    ("cookie value", put("routes.2.match.cookie.value", "a;b"),
     "spec.routes[2].match.cookie.value:"),
    ("cookie missing value", drop("routes.2.match.cookie.value"),
     "spec.routes[2].match.cookie.value: required"),
    ("5xx zero", put("circuitBreaker.consecutive5xxErrors", 0),
     "spec.circuitBreaker.consecutive5xxErrors: 0"),
    ("interval missing", drop("circuitBreaker.interval"), "spec.circuitBreaker.interval: required"),
    ("interval 0", put("circuitBreaker.interval", "0s"), "spec.circuitBreaker.interval: 0s"),
    ("ejection fraction", put("circuitBreaker.baseEjectionTime", "1.5ms"),
     "spec.circuitBreaker.baseEjectionTime: 1.5ms"),
    ("maxeject 101", put("circuitBreaker.maxEjectionPercent", 101),
     "spec.circuitBreaker.maxEjectionPercent: 101"),
    ("maxconn negative", put("circuitBreaker.maxConnections", -1),
     "spec.circuitBreaker.maxConnections: -1"),
    ("pending text", put("circuitBreaker.maxPendingRequests", "10"),
     "spec.circuitBreaker.maxPendingRequests: '10'"),
    ("breaker enabled", put("circuitBreaker.enabled", "on"), "spec.circuitBreaker.enabled:"),
    ("callers empty", put("allowFrom.callers", []), "spec.allowFrom.callers: must be"),
    ("caller bad", put("allowFrom.callers", ["a/b/c"]), "spec.allowFrom.callers[0]: 'a/b/c'"),
    ("caller upper", put("allowFrom.callers", ["Svc"]), "spec.allowFrom.callers[0]: 'Svc'"),
    ("caller twice", put("allowFrom.callers", ["a", "a"]), "spec.allowFrom.callers[1]: 'a'"),
    ("fault empty", put("fault", {"enabled": True}), "spec.fault: needs abort, delay or both"),
    ("status 600", put("fault.abort.httpStatus", 600), "spec.fault.abort.httpStatus: 600"),
    ("status 199", put("fault.abort.httpStatus", 199), "spec.fault.abort.httpStatus: 199"),
    ("percent 101", put("fault.abort.percent", 101), "spec.fault.abort.percent: 101"),
    ("percent tiny", put("fault.delay.percent", 0.00001), "spec.fault.delay.percent:"),
    ("percent missing", drop("fault.delay.percent"), "spec.fault.delay.percent: required"),
    ("delay fixed", put("fault.delay.fixed", "soon"), "spec.fault.delay.fixed: 'soon'"),
    ("delay zero", put("fault.delay.fixed", "0ms"), "spec.fault.delay.fixed: 0ms"),
    ("expires text", put("fault.expires", "tomorrow"), "spec.fault.expires: 'tomorrow'"),
    ("expires no zone", put("fault.expires", "2026-11-27T12:00:00"),
     "spec.fault.expires: '2026-11-27T12:00:00' has no offset"),
    ("timeout", put("timeout", "3"), "spec.timeout: '3'"),
    ("timeout zero", put("timeout", "0s"), "spec.timeout: 0s"),
    ("attempts negative", put("retries.attempts", -1), "spec.retries.attempts: -1"),
    ("attempts missing", drop("retries.attempts"), "spec.retries.attempts: required"),
    ("attempts 0 with more", put("retries.attempts", 0), "spec.retries.attempts: 0 turns"),
    ("per try", put("retries.perTryTimeout", "1 s"), "spec.retries.perTryTimeout: '1 s'"),
    ("retry on", put("retries.retryOn", "5xx,teapot"), "spec.retries.retryOn: 'teapot'"),
    ("retry on code", put("retries.retryOn", "999"), "spec.retries.retryOn: '999'"),
    ("min zero", put("autoscale.min", 0), "spec.autoscale.min: 0"),
    ("max below min", put("autoscale.max", 1), "spec.autoscale.max: 1 is below min 2"),
    ("cpu 0", put("autoscale.cpuPercent", 0), "spec.autoscale.cpuPercent: 0"),
    ("cpu 101", put("autoscale.cpuPercent", 101), "spec.autoscale.cpuPercent: 101"),
    ("max missing", drop("autoscale.max"), "spec.autoscale.max: required"),
    ("unknown key", put("autoscale.memory", 5), "spec.autoscale.memory: unknown field"),
]


@pytest.mark.parametrize(("mutate", "field"), [(m, f) for _, m, f in RULES],
                         ids=[name for name, _, _ in RULES])
def test_each_rule_names_its_field(mutate: Mutation, field: str) -> None:
    data = copy.deepcopy(valid())
    mutate(data)
    problems = document.validate(data, PATH)
    assert any(problem.startswith(field) for problem in problems), problems


def test_every_spec_field_has_a_check_and_the_example_order() -> None:
    assert list(kinds.SPEC_FIELDS) == list(valid()["spec"])
    assert set(kinds.REQUIRED_SPEC_FIELDS) <= set(kinds.SPEC_FIELDS)


@pytest.mark.parametrize("value", [8080, 1, 65535, "http", "grpc-web", "h2c", "a1"])
def test_a_target_port_is_a_number_or_a_port_name(value: Any) -> None:
    assert service.target_port(value, "spec.targetPort") == []


@pytest.mark.parametrize("value", [0, 65536, True, "", "HTTP", "-http", "http-", "a--b",
                                   "1234", "a-very-long-port-name", 8.5, None])
def test_a_target_port_that_names_no_port_is_refused_with_an_example(value: Any) -> None:
    (problem,) = service.target_port(value, "spec.targetPort")
    assert problem.startswith(f"spec.targetPort: {value!r} is neither")
    assert "e.g. targetPort: 8080" in problem


def test_numeric_retry_codes_and_every_named_condition_are_accepted() -> None:
    every = ",".join([*traffic.RETRY_ON, "503", "429"])
    assert traffic.retries({"attempts": 1, "retryOn": every}, "r") == []


@pytest.mark.parametrize(("pattern", "problem"), [
    ("^w_.*$", None), ("(?i)shen[yu]+", None), ("[(?=]", None), (r"\(?=", None),
    ("(?<=a)b", "lookbehind"), ("(?<!a)b", "negative lookbehind"), ("(?>a)", "atomic"),
    ("a*+", "possessive"), (r"(?P<x>a)(?P=x)", "named backreference"), (r"\k<x>", "backref"),
])
def test_re2_syntax(pattern: str, problem: str | None) -> None:
    found = units.re2_problem(pattern)
    if problem is None:
        assert found is None
    else:
        assert found is not None and problem in found


def test_durations_need_whole_milliseconds() -> None:
    assert units.is_whole_ms("1.5s") and units.is_whole_ms("250ms")
    assert not units.is_whole_ms("1.5ms") and not units.is_whole_ms("x")
    assert fields.duration("1ms", "f") == []


@pytest.mark.parametrize("module", [
    kinds, fields, service, traffic, resilience, access, faults, keep, owners, release,
    routing, section, resilience_edits])
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
