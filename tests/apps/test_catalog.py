"""Catalog entries: the nine defaults validate; a wrong entry is named field by field."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.errors import InvalidDocument
from policies.apps import catalog
from policies.document import plain
from tests.apps.catalogs import DEFAULT_APPS, default_catalog, entry_data, texts

PATH = "catalog/redis.yaml"


def problems_of(data: Any, path: str = PATH) -> list[str]:
    return catalog.validate(data, path)


def test_the_template_catalog_holds_the_nine_apps_and_each_validates() -> None:
    assert sorted(default_catalog()) == sorted(DEFAULT_APPS)
    assert sorted(texts()) == sorted(f"catalog/{app}.yaml" for app in DEFAULT_APPS)
    for app in DEFAULT_APPS:
        assert problems_of(entry_data(app), f"catalog/{app}.yaml") == []


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_every_default_has_production_defaults(app: str) -> None:
    entry = default_catalog()[app]
    spec = entry.spec
    assert {"readiness", "liveness"} <= set(spec["probes"])
    assert entry.parameter_for("requests.memory") is not None
    assert entry.parameter_for("limits.memory") is not None
    assert entry.parameter_for("requests.cpu") is not None
    assert all(v.tag != "latest" and v.tag[0].isdigit() for v in entry.versions)
    if spec["workload"] == "StatefulSet":  # a data app keeps its data
        assert "storage" in spec and entry.parameter_for("storage") is not None
    if spec.get("replicated"):
        replicas = entry.parameter_for("replicas")
        assert replicas is not None and replicas.high > 1
    if spec["security"].get("runAsNonRoot") is not True:  # a comment says why it cannot
        comments = [line for line in texts()[entry.path].splitlines()
                    if line.strip().startswith("#")]
        assert any("root" in line for line in comments)


def test_a_bad_bound_is_named_with_its_path_and_field() -> None:
    data = entry_data("redis")
    data["spec"]["parameters"]["memory"]["max"] = "16Gx"
    assert problems_of(data) == [
        "catalog/redis.yaml: parameters.memory.max: '16Gx' is not a quantity like 500m, 2, "
        "512Mi or 1.5Gi"]


@pytest.mark.parametrize(("change", "field"), [
    (lambda s: s["versions"].append({"tag": "latest"}), "versions[2].tag"),
    (lambda s: s["versions"].append({"tag": "7.4.2"}), "versions"),
    (lambda s: s["versions"][0].update(digest="sha256:abc"), "versions[0].digest"),
    (lambda s: s.update(image="docker.io/library/redis:7"), "image"),
    (lambda s: s["probes"].pop("liveness"), "probes.liveness"),
    (lambda s: s["probes"]["readiness"].update(exec=["true"]), "probes.readiness"),
    (lambda s: s["parameters"]["memory"].update(default="32Gi"), "parameters.memory.default"),
    (lambda s: s["parameters"]["memory"].update(min="32Gi"), "parameters.memory.min"),
    (lambda s: s["parameters"]["cpu"].update(type="float"), "parameters.cpu.type"),
    (lambda s: s["parameters"]["cpu"].update(to="requests.gpu"), "parameters.cpu.to"),
    (lambda s: s["parameters"]["storage"].update(to="requests.cpu"), "parameters"),
    (lambda s: s["parameters"]["maxmemoryPolicy"].update(values=[]),
     "parameters.maxmemoryPolicy.values"),
    (lambda s: s["parameters"].update(replicas={"type": "int", "default": 1, "min": 1,
                                                "max": 3, "to": "replicas"}),
     "parameters.replicas.max"),
    (lambda s: s["parameters"].pop("memory"), "resources.requests.memory"),
    (lambda s: s["security"].update(runAsUser=None), "security.runAsUser"),
    (lambda s: s.update(workload="Deployment"), "storage"),
    (lambda s: s.update(mode="gitops"), "gitops"),
    (lambda s: s["secret"].update(keys={"password": "not a variable"}), "secret.keys.password"),
    (lambda s: s.update(replicas=3), "replicas"),
])
def test_each_problem_names_its_field(change: Any, field: str) -> None:
    data = entry_data("redis")
    change(data["spec"])
    problems = problems_of(data)
    assert problems, "the change should be refused"
    assert any(p.startswith(f"{PATH}: {field}: ") for p in problems), problems


@pytest.mark.parametrize(("gitops", "field"), [
    ({"version": "^16.0.0"}, "gitops.version"),
    ({"version": 16}, "gitops.version"),
    ({"kind": "helmfile"}, "gitops.kind"),
    ({"repo": "http://charts.example.com"}, "gitops.repo"),
    ({"source": None}, "gitops.source"),
])
def test_a_gitops_chart_must_be_pinned_and_sourced(gitops: dict[str, Any], field: str) -> None:
    data = entry_data("postgresql")
    data["spec"]["gitops"].update(gitops)
    problems = catalog.validate(data, "catalog/postgresql.yaml")
    assert any(p.startswith(f"catalog/postgresql.yaml: {field}: ") for p in problems), problems


def test_a_gitops_entry_maps_every_parameter_to_a_chart_value() -> None:
    data = entry_data("postgresql")
    del data["spec"]["parameters"]["database"]["helm"]
    assert catalog.validate(data, "catalog/postgresql.yaml") == [
        "catalog/postgresql.yaml: parameters.database.helm: required when the entry offers "
        "gitops (the chart value it sets)"]


def test_an_argocd_chart_needs_no_flux_source() -> None:
    data = entry_data("postgresql")
    data["spec"]["gitops"].update(kind="argocd")
    del data["spec"]["gitops"]["source"]
    assert catalog.validate(data, "catalog/postgresql.yaml") == []


def test_the_path_decides_the_name() -> None:
    problems = problems_of(entry_data("mysql"))
    assert problems == ["catalog/redis.yaml: metadata.name: 'mysql' disagrees with the path "
                        "catalog/redis.yaml, which says 'redis'; the path decides"]
    assert problems_of(entry_data("redis"), "catalog/sub/redis.yaml")[0].startswith(
        "catalog/sub/redis.yaml: path: ")


def test_read_refuses_an_invalid_entry_and_read_all_keeps_the_others() -> None:
    bad = texts()["catalog/redis.yaml"].replace("max: 16Gi", "max: 16Gx")
    with pytest.raises(InvalidDocument) as refused:
        catalog.read(plain(bad, PATH), PATH)
    assert refused.value.problems == (
        "parameters.memory.max: '16Gx' is not a quantity like 500m, 2, 512Mi or 1.5Gi",)
    entries, problems = catalog.read_all({**texts(), PATH: bad})
    assert "redis" not in entries and len(entries) == len(DEFAULT_APPS) - 1
    assert problems == [f"{PATH}: parameters.memory.max: '16Gx' is not a quantity like 500m, "
                        "2, 512Mi or 1.5Gi"]


def test_entries_answer_what_the_store_shows() -> None:
    mysql = default_catalog()["mysql"]
    assert [v.tag for v in mysql.versions] == ["8.4.3", "8.0.40"]
    assert mysql.parameters["storage"].bounds() == "1Gi-1Ti"
    assert mysql.parameters["maxConnections"].bounds() == "10-5000"
    assert default_catalog()["redis"].parameters["maxmemoryPolicy"].bounds().startswith(
        "one of noeviction, ")
    assert mysql.secret_keys == ("root-password",)
    assert default_catalog()["nginx"].secret_keys == ()
    assert default_catalog()["postgresql"].modes == ("manifests", "gitops")
    assert default_catalog()["redis"].modes == ("manifests",)


@pytest.mark.parametrize(("helm", "field"), [
    ("primary.persistence", "parameters.database.helm"),      # would replace a values subtree
    ("primary.persistence.size", "parameters.database.helm"),  # storage sets it already
    ("architecture.name", "parameters.database.helm"),         # through a chart value
    ("auth..database", "parameters.database.helm"),
])
def test_a_chart_value_is_set_by_one_parameter_through_mappings(helm: str, field: str) -> None:
    data = entry_data("postgresql")
    data["spec"]["parameters"]["database"]["helm"] = helm
    problems = catalog.validate(data, "catalog/postgresql.yaml")
    assert [p.split(": ")[1] for p in problems] == [field], problems
