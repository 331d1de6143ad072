"""Every reply built from rendered objects reads every shape the renderer produces:
`describe` over generated documents, as rendered and as planned from another one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policies import document, plan, render
from policies.edit import apply
from policies.intents import Route
from policies.mesh import AMBIENT, SIDECAR, Mesh
from tests.policies.test_render_properties import durations, header_names, sections, values

PATH = "services/prod/demo/svc-user.yaml"

limits = st.fixed_dictionaries(
    {"enabled": st.booleans(), "requests": st.integers(1, 10**6), "per": durations},
    optional={"match": st.builds(lambda n, v: {"headers": {n: {"exact": v}}},
                                 header_names, values)})
versions = st.sampled_from([{"stable": "v1", "canary": "v2"}, {"stable": "v1"}])


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    spec = draw(sections)
    spec["versions"] = draw(versions)
    if "canary" not in spec["versions"]:
        # one version: releases and routes name only it
        for route in spec.get("routes", []):
            route["to"] = "v1"
        if spec.get("release", {}).get("active") == "v2":
            spec["release"]["active"] = "v1"
    if draw(st.booleans()):
        spec["rateLimit"] = draw(limits)
    data["spec"].update(spec)
    return data


def _named(line: str, objects: list[dict[str, Any]]) -> None:
    for obj in objects:
        assert f"{obj['kind']} {obj['metadata']['name']}" in line


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=documents())
def test_describe_reads_every_rendering(data: dict[str, Any]) -> None:
    objects = render.render(data, PATH)
    line = render.describe(objects)
    _named(line, objects)
    assert line.count("VirtualService") <= 1


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(before=documents(), after=documents())
def test_describe_reads_every_plan(before: dict[str, Any], after: dict[str, Any]) -> None:
    objects = plan.plan(before, after, PATH)
    line = render.describe(objects)
    _named(line, objects)
    assert line.count("DestinationRule") <= 1


def test_a_route_on_a_service_without_a_release_is_described() -> None:
    text = apply(Route("svc-user", "cookie", "user", "w_shenyu", version="v2"), None,
                 "prod", "demo").after_text
    assert text is not None
    objects = render.render(document.plain(text), PATH)
    assert render.describe(objects) == (
        "VirtualService svc-user (all to v1, 1 match route), DestinationRule svc-user")


EXPOSED = {"hosts": ["user.example.com", "*.shop.example.com"], "gateway": "istio-system/public"}


def _exposed(mesh: str, release: bool) -> str:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"]["exposed"] = EXPOSED
    if release:
        data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 20}
    context = render.RenderContext(meshes={("prod", "demo"): Mesh(mesh)})
    return render.describe(render.render(data, PATH, context))


@pytest.mark.parametrize("mesh, route", [(SIDECAR, "VirtualService"), (AMBIENT, "HTTPRoute")])
def test_an_exposed_route_names_its_gateway_and_hosts(mesh: str, route: str) -> None:
    via = "via istio-system/public for user.example.com, *.shop.example.com"
    exposed = _exposed(mesh, release=False)
    assert exposed.startswith(f"{route} svc-user (all pods; {via})"), exposed
    canary = _exposed(mesh, release=True)
    assert f"20; {via})" in canary, canary


def test_a_route_only_the_mesh_serves_names_no_gateway() -> None:
    data = document.plain(document.new_document("prod", "demo", "svc-user"))
    data["spec"]["release"] = {"strategy": "canary", "canaryWeight": 20}
    for mesh in (SIDECAR, AMBIENT):
        context = render.RenderContext(meshes={("prod", "demo"): Mesh(mesh)})
        assert "via" not in render.describe(render.render(data, PATH, context))
