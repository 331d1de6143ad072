"""Any policy of the p3 shape renders objects that the real schemas and istiod accept, and
the module examples hold."""

from __future__ import annotations

import doctest
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import (
    document,
    plan,
    render,
    render_ratelimit,
    render_scale,
    render_security,
    render_traffic,
    webhook,
)
from tests.policies.objects import unknown_subsets
from tests.support.schemas import validate_object

PATH = "services/prod/demo/svc-user.yaml"
HOST = "svc-user.demo.svc.cluster.local"

names = st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True)
header_names = st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)
values = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7e, exclude_characters=";"),
                 min_size=1, max_size=15)
durations = st.sampled_from(["1ms", "250ms", "1s", "1.5s", "30s", "1m", "1m30s", "1h"])
versions = st.sampled_from(["v1", "v2"])
header_rule = st.one_of(
    st.builds(lambda v: {"exact": v}, values),
    st.builds(lambda v: {"prefix": v}, values),
    st.sampled_from([{"regex": "^w_.*$"}, {"regex": "(?i)^beta"}, {"regex": r"^\d+$"}]))
routes = st.lists(st.one_of(
    st.builds(lambda n, r, to: {"match": {"headers": {n: r}}, "to": to},
              header_names, header_rule, versions),
    st.builds(lambda n, v, to: {"match": {"cookie": {"name": n, "value": v}}, "to": to},
              names, values, versions)), max_size=4)
release = st.one_of(
    st.builds(lambda w: {"strategy": "canary", "canaryWeight": w}, st.integers(0, 100)),
    st.builds(lambda a: {"strategy": "blueGreen", "active": a}, versions))
breaker = st.fixed_dictionaries(
    {"enabled": st.booleans(), "consecutive5xxErrors": st.integers(0, 100),
     "interval": durations, "baseEjectionTime": durations},
    optional={"maxEjectionPercent": st.integers(0, 100), "maxConnections": st.integers(1, 10**6),
              "maxPendingRequests": st.integers(1, 10**6)})
fault = st.fixed_dictionaries(
    {"enabled": st.booleans()},
    optional={"abort": st.fixed_dictionaries({"httpStatus": st.integers(200, 599),
                                              "percent": st.integers(0, 100)}),
              "delay": st.fixed_dictionaries({"fixed": durations,
                                              "percent": st.integers(0, 100)})})
retries = st.fixed_dictionaries(
    {"attempts": st.integers(1, 5)},
    optional={"perTryTimeout": durations,
              "retryOn": st.lists(st.sampled_from([*sorted(webhook.RETRY_ON), "503"]),
                                  min_size=1, max_size=4, unique=True).map(",".join)})
autoscale = st.integers(1, 10).flatmap(lambda low: st.fixed_dictionaries(
    {"enabled": st.booleans(), "min": st.just(low), "max": st.integers(low, 50)},
    optional={"cpuPercent": st.integers(1, 100)}))
callers = st.lists(st.one_of(names, st.builds(lambda a, b: f"{a}/{b}", names, names)),
                   max_size=4)
sections = st.fixed_dictionaries({}, optional={
    "routes": routes, "release": release, "circuitBreaker": breaker, "fault": fault,
    "timeout": durations, "retries": retries, "autoscale": autoscale,
    "allowFrom": st.builds(lambda on, c: {"enabled": on, "callers": c}, st.booleans(), callers),
    "managedBy": st.sampled_from(["govbot", "flagger", "argo-rollouts"]),
})


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=sections)
def test_any_policy_renders_objects_the_cluster_accepts(spec: dict[str, Any]) -> None:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"].update(spec)
    objects = plan.plan(None, data, PATH)
    for obj in objects:
        assert validate_object(obj) == [], obj
    kinds = {obj["kind"]: obj for obj in objects}
    manager = spec.get("managedBy", "govbot")
    if "VirtualService" in kinds:
        assert unknown_subsets(kinds["VirtualService"], kinds["DestinationRule"]) == []
        http = kinds["VirtualService"]["spec"]["http"]
        assert len(http) == len(spec.get("routes", [])) + 1
        if "release" in spec or manager == "argo-rollouts":
            assert sum(d["weight"] for d in http[-1]["route"]) == 100
        elif spec.get("routes"):  # routes need version labels: the rest goes to stable
            assert http[-1]["route"] == [{"destination": {"host": HOST, "subset": "v1"}}]
        else:  # no release: the whole service, no subset a pod may lack
            assert http[-1]["route"] == [{"destination": {"host": HOST}}]
    fault_on = spec.get("fault", {}).get("enabled") and (
        "abort" in spec["fault"] or "delay" in spec["fault"])
    routes_something = any(spec.get(key) for key in ("release", "routes", "timeout", "retries"))
    wants_vs = manager == "argo-rollouts" or routes_something or bool(fault_on)
    assert ("VirtualService" in kinds) == (manager != "flagger" and wants_vs)
    breaker_on = spec.get("circuitBreaker", {}).get("enabled", False)
    wants_dr = wants_vs or breaker_on
    assert ("DestinationRule" in kinds) == (manager != "flagger" and wants_dr)


@pytest.mark.parametrize("module", [
    render, render_traffic, render_security, render_scale, render_ratelimit, webhook, plan])
def test_docstring_examples_hold(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"{module.__name__} has no example"
    assert result.failed == 0
