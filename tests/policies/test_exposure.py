"""The exposure (`spec.exposed`): its checks, /expose and /unexpose on documents, and
the intents' round trip through the store's JSON."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.errors import InvalidDocument, UserError
from policies import document, hosts
from policies.checks.service import exposed
from policies.edit import apply
from policies.intents import Expose, Unexpose, from_json, to_json

PATH = "services/prod/demo/svc-user.yaml"
PUBLIC = "istio-system/public"
FIELD = "spec.exposed"


def _with_spec(extra: str) -> str:
    return document.new_document("prod", "demo", "svc-user") + extra


def _exposed(text: str | None) -> Any:
    assert text is not None
    return document.plain(text, PATH)["spec"].get("exposed")


@pytest.mark.parametrize("value", [
    True, False,
    {"hosts": ["user.example.com"], "gateway": PUBLIC},
    {"hosts": ["*.example.com", "api.example.com", "a-1.b2.example.io"], "gateway": "gw/edge"},
    {"hosts": ["0ops.example.com"], "gateway": "1ns/2gw"},
])
def test_good_exposures_pass(value: Any) -> None:
    assert exposed(value, FIELD) == []


@pytest.mark.parametrize(("value", "expected"), [
    ("yes", "spec.exposed: 'yes' is not true, false or a mapping"),
    ({"gateway": PUBLIC}, "spec.exposed.hosts: required"),
    ({"hosts": ["a.example.com"]}, "spec.exposed.gateway: required"),
    ({"hosts": [], "gateway": PUBLIC}, "spec.exposed.hosts: must be a non-empty list"),
    ({"hosts": "a.example.com", "gateway": PUBLIC}, "spec.exposed.hosts: must be"),
    ({"hosts": ["https://a.example.com"], "gateway": PUBLIC}, "'https://a.example.com' is a URL"),
    ({"hosts": ["a.example.com:8443"], "gateway": PUBLIC}, "'a.example.com:8443' has a port"),
    ({"hosts": ["a.example.com/api"], "gateway": PUBLIC}, "'a.example.com/api' has a path"),
    ({"hosts": ["A.example.com"], "gateway": PUBLIC}, "has capital letters"),
    ({"hosts": ["a..example.com"], "gateway": PUBLIC}, "is not a host name"),
    ({"hosts": ["-a.example.com"], "gateway": PUBLIC}, "is not a host name"),
    ({"hosts": ["a.*.example.com"], "gateway": PUBLIC}, "wildcard that does not lead"),
    ({"hosts": ["*"], "gateway": PUBLIC}, "wildcard that does not lead"),
    ({"hosts": ["10.1.2.3"], "gateway": PUBLIC}, "is an IP address"),
    ({"hosts": ["svc-user.demo.svc.cluster.local"], "gateway": PUBLIC}, "inside the mesh"),
    ({"hosts": ["svc-user.demo.svc"], "gateway": PUBLIC}, "inside the mesh"),
    ({"hosts": ["a.example.com", "a.example.com"], "gateway": PUBLIC},
     "spec.exposed.hosts[1]: 'a.example.com' is listed twice"),
    ({"hosts": [7], "gateway": PUBLIC}, "hosts[0]: 7 is not a host name"),
    ({"hosts": ["a.example.com"], "gateway": "public"}, "gateway: 'public' has no namespace"),
    ({"hosts": ["a.example.com"], "gateway": "Istio/Public"}, "is not <namespace>/<name>"),
    ({"hosts": ["a.example.com"], "gateway": 3}, "gateway: 3 is not <namespace>/<name>"),
    ({"hosts": ["a.example.com"], "gateway": PUBLIC, "port": 443},
     "spec.exposed.port: unknown field"),
])
def test_each_mistake_is_named_with_its_field(value: Any, expected: str) -> None:
    problems = exposed(value, FIELD)
    assert any(expected in problem for problem in problems), problems
    assert all(problem.startswith(FIELD) for problem in problems)


def test_a_host_longer_than_dns_allows_is_refused() -> None:
    long = ".".join(["a" * 63] * 4) + ".com"
    assert hosts.host_problem(long) is not None
    assert hosts.host_problem("a" * 63 + ".com") is None


def test_expose_writes_the_mapping_at_the_end_of_the_spec() -> None:
    edit = apply(Expose("svc-user", ("user.example.com",), PUBLIC), _with_spec(""), "prod",
                 "demo")
    assert edit.summary == "expose svc-user: user.example.com via istio-system/public"
    assert _exposed(edit.after_text) == {"hosts": ["user.example.com"], "gateway": PUBLIC}
    assert edit.after_text is not None
    assert edit.after_text.endswith(
        "  exposed:\n    hosts:\n      - user.example.com\n    gateway: istio-system/public\n")


def test_expose_adds_hosts_and_keeps_the_gateway_it_has() -> None:
    before = _with_spec("  exposed:\n    hosts: [user.example.com]   # the shop\n"
                        "    gateway: edge/public\n")
    intent = Expose("svc-user", ("api.example.com", "user.example.com"), None, PUBLIC)
    edit = apply(intent, before, "prod", "demo")
    assert _exposed(edit.after_text) == {"hosts": ["user.example.com", "api.example.com"],
                                         "gateway": "edge/public"}
    assert edit.after_text is not None and "# the shop" in edit.after_text
    again = apply(intent, edit.after_text, "prod", "demo")
    assert again.after_text == edit.after_text
    assert again.summary.startswith("svc-user already exposes")


def test_naming_another_gateway_moves_the_exposure() -> None:
    before = _with_spec("  exposed:\n    hosts:\n    - user.example.com\n"
                        "    gateway: edge/public\n")
    edit = apply(Expose("svc-user", ("user.example.com",), PUBLIC), before, "prod", "demo")
    assert _exposed(edit.after_text)["gateway"] == PUBLIC
    assert "moved from edge/public" in edit.summary


def test_a_legacy_true_becomes_the_mapping() -> None:
    edit = apply(Expose("svc-user", ("user.example.com",), None, PUBLIC),
                 _with_spec("  exposed: true\n"), "prod", "demo")
    assert _exposed(edit.after_text) == {"hosts": ["user.example.com"], "gateway": PUBLIC}


def test_without_any_gateway_expose_says_how_to_name_one() -> None:
    with pytest.raises(UserError, match=r"no gateway .* ingressGateway\.gateway"):
        apply(Expose("svc-user", ("user.example.com",)), _with_spec(""), "prod", "demo")


def test_a_bad_host_in_an_intent_is_refused_by_the_document_check() -> None:
    with pytest.raises(InvalidDocument) as caught:
        apply(Expose("svc-user", ("user.example.com:80",), PUBLIC), _with_spec(""), "prod",
              "demo")
    assert any("has a port" in p for p in caught.value.problems)


@pytest.mark.parametrize("exposure", [
    "  exposed: true\n",
    "  exposed:\n    hosts:\n    - user.example.com\n    gateway: istio-system/public\n",
])
def test_unexpose_removes_the_exposure_whatever_its_form(exposure: str) -> None:
    edit = apply(Unexpose("svc-user"), _with_spec(exposure), "prod", "demo")
    assert edit.after_text == _with_spec("")
    assert edit.summary.startswith("unexpose svc-user")


def test_unexpose_keeps_the_whitelist_as_it_is() -> None:
    whitelist = ("  allowFrom:\n    enabled: true\n    callers:\n"
                 "    - istio-system/istio-ingressgateway\n")
    before = _with_spec("  exposed:\n    hosts: [a.example.com]\n    gateway: gw/edge\n"
                        + whitelist)
    edit = apply(Unexpose("svc-user"), before, "prod", "demo")
    assert edit.after_text == _with_spec(whitelist)


@pytest.mark.parametrize("exposure", ["", "  exposed: false\n"])
def test_unexposing_what_is_not_exposed_is_refused(exposure: str) -> None:
    with pytest.raises(UserError, match="svc-user is not exposed"):
        apply(Unexpose("svc-user"), _with_spec(exposure), "prod", "demo")


@pytest.mark.parametrize("intent", [
    Expose("svc-user", ("user.example.com", "*.example.com"), "edge/public"),
    Expose("svc-user", ("user.example.com",), None, PUBLIC),
    Unexpose("svc-user"),
])
def test_the_intents_round_trip_through_json(intent: Expose | Unexpose) -> None:
    data = to_json(intent)
    assert data["action"] in ("expose", "unexpose")
    assert from_json(data) == intent
