"""The mesh guardrails agree with rendering's capability table: over many documents in
every data plane, `[mesh.unsupported]` (rego/rules/mesh.rego) names exactly the sections
`policies.mesh.unsupported` refuses, with the same reason and alternatives; and a switch
of govbot.yaml is denied for exactly the sections the new plane cannot carry."""

from __future__ import annotations

import re
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.types import RuleSet
from bot.guard.embedded import EmbeddedGuard
from bot.runners.switches import plane
from policies import mesh

from .inputs import rego_modules, template_yaml

ENGINE = EmbeddedGuard()
_SECTION = re.compile(r": spec\.([A-Za-z]+): ")
PLANES = [mesh.Mesh(mode, channel, alpha) for mode in mesh.MODES for channel in mesh.CHANNELS
          for alpha in (False, True)]


def _rules(of: mesh.Mesh) -> RuleSet:
    config = template_yaml("govbot.yaml")
    config["environments"]["dev"]["namespaces"]["demo"]["mesh"] = of.mode
    config["gatewayApi"] = {"channel": of.channel}
    config["ambient"] = {"faultInjection": "alpha" if of.alpha_faults else "off"}
    key = f"mesh-{of.mode}-{of.channel}-{of.alpha_faults}"
    return RuleSet(key=key, modules=rego_modules(), config=config,
                   access=template_yaml("access.yaml"))


RULES = {of: _rules(of) for of in PLANES}

_ENABLED = st.sampled_from([True, False, "yes", None, "absent"])
_PARTS: st.SearchStrategy[dict[str, Any]] = st.sampled_from([
    {}, {"abort": {"httpStatus": 503, "percent": 10}}, {"delay": {"fixed": "2s", "percent": 5}},
    {"abort": {"httpStatus": 500, "percent": 1}, "delay": {"fixed": "1s", "percent": 1}},
    {"expires": "2026-11-27T10:10:00Z"}])
_RETRIES: st.SearchStrategy[Any] = st.sampled_from(
    [{"attempts": 3}, {}, 0, 2, None, "", [], True, False, {"attempts": 0}])


def _section(enabled: Any, body: dict[str, Any]) -> dict[str, Any]:
    return body if enabled == "absent" else {**body, "enabled": enabled}


@st.composite
def specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {"port": 8080, "selector": {"app": "svc-user"},
                            "versions": {"stable": "v1", "canary": "v2"}}
    if draw(st.booleans()):
        spec["fault"] = _section(draw(_ENABLED), dict(draw(_PARTS)))
    if draw(st.booleans()):
        spec["rateLimit"] = draw(st.one_of(
            st.just("on"), st.builds(_section, _ENABLED,
                                     st.just({"requests": 100, "per": "1s"}))))
    if draw(st.booleans()):
        spec["retries"] = draw(_RETRIES)
    if draw(st.booleans()):
        spec["timeout"] = "2s"
    return spec


def _refused(spec: dict[str, Any], of: mesh.Mesh) -> set[str]:
    """The sections `[mesh.unsupported]` names when alice creates the document."""
    document = {"apiVersion": "govbot.dev/v1", "kind": "ServicePolicy",
                "metadata": {"name": "svc-user", "namespace": "demo", "env": "dev"},
                "spec": spec}
    decision = ENGINE.decide(RULES[of], {
        "action": "edit", "actor": {"id": "alice", "groups": ["team"]}, "env": "dev",
        "namespace": "demo", "target": "svc-user", "path": "services/dev/demo/svc-user.yaml",
        "before": None, "after": document, "approvals": [], "now": "2026-11-27T10:00:00Z"})
    found = set()
    for message in decision.deny:
        if message.startswith("[mesh.unsupported]"):
            match = _SECTION.search(message)
            assert match, message
            found.add(match[1])
    by_python = {r.section: r for r in mesh.unsupported(spec, of)}
    for section, refusal in by_python.items():
        assert any(refusal.text() in m for m in decision.deny), (section, decision.deny)
    return found


@settings(max_examples=300, deadline=None)
@given(specs(), st.sampled_from(PLANES))
def test_rego_and_python_refuse_the_same_sections(spec: dict[str, Any], of: mesh.Mesh) -> None:
    expected = {r.section for r in mesh.unsupported(spec, of)}
    assert _refused(spec, of) == expected, (spec, of)


def test_every_refusal_occurs_somewhere() -> None:
    """The property above is not vacuous: each section is refused in some plane."""
    spec = {"fault": {"abort": {"httpStatus": 503, "percent": 10}},
            "rateLimit": {"requests": 1, "per": "1s"}, "retries": {"attempts": 2}}
    assert _refused(spec, mesh.Mesh(mesh.AMBIENT)) == {"fault", "rateLimit", "retries"}
    assert _refused(spec, mesh.Mesh(mesh.AMBIENT, mesh.EXPERIMENTAL, True)) == {"rateLimit"}
    assert _refused(spec, mesh.Mesh()) == set()


@given(st.sampled_from(PLANES), st.sampled_from(PLANES))
@settings(max_examples=64, deadline=None)
def test_a_switch_is_denied_for_what_the_new_plane_loses(was: mesh.Mesh,
                                                          becomes: mesh.Mesh) -> None:
    everything = {"fault": {"abort": {"httpStatus": 503, "percent": 10}},
                  "rateLimit": {"requests": 1, "per": "1s"}, "retries": {"attempts": 2}}
    held = [r.section for r in mesh.unsupported(everything, mesh.Mesh(mesh.AMBIENT))]
    decision = ENGINE.decide(RULES[mesh.Mesh()], {
        "action": "edit", "actor": {"id": "bob", "groups": ["sre"]}, "env": "",
        "namespace": "", "target": "", "path": "govbot.yaml", "before": None, "after": None,
        "approvals": [], "now": "2026-11-27T10:00:00Z",
        "mesh": {"switches": [{"env": "prod", "namespace": "demo", "from": plane(was),
                               "to": plane(becomes), "services": {"svc-user": held}}]}})
    lost = sorted({r.section for r in mesh.unsupported(everything, becomes)}
                  - {r.section for r in mesh.unsupported(everything, was)})
    messages = [m for m in decision.deny if m.startswith("[mesh.unsupported]")]
    if not lost:
        assert messages == []
        return
    assert len(messages) == 1, messages
    assert f"svc-user holds {', '.join(lost)}" in messages[0]
