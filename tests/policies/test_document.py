"""Policy documents: paths, the new document, round trips and every validation rule."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from bot.core.errors import InvalidDocument, UserError
from policies import document

PATH = "services/prod/demo/svc-user.yaml"


def valid() -> dict[str, Any]:
    return {
        "apiVersion": "govbot.dev/v1",
        "kind": "ServicePolicy",
        "metadata": {"name": "svc-user", "namespace": "demo", "env": "prod"},
        "spec": {
            "port": 8080,
            "selector": {"app": "svc-user", "app.kubernetes.io/part-of": "shop"},
            "versions": {"stable": "v1", "canary": "v2"},
            "release": {"strategy": "canary", "canaryWeight": 20},
            "rateLimit": {
                "enabled": True,
                "requests": 500,
                "per": "5s",
                "match": {"headers": {"user": {"exact": "w_shenyu"}}},
            },
        },
    }


def test_paths_round_trip() -> None:
    assert document.service_path("prod", "demo", "svc-user") == PATH
    assert document.parse_service_path(PATH) == ("prod", "demo", "svc-user")
    for other in ("services/prod/svc-user.yaml", "apps/prod/demo/x.yaml", PATH + ".bak",
                  "services/prod/demo/deep/svc-user.yaml", "services/prod/demo/.yaml"):
        assert document.parse_service_path(other) is None, other


def test_new_document_has_the_defaults_and_is_valid() -> None:
    text = document.new_document("prod", "demo", "svc-user")
    data = document.plain(text)
    assert data["metadata"] == {"name": "svc-user", "namespace": "demo", "env": "prod"}
    assert data["spec"] == {
        "port": 8080,
        "selector": {"app": "svc-user"},
        "versions": {"stable": "v1", "canary": "v2"},
    }  # no release: a new document routes no traffic until /canary or /bluegreen
    assert text.startswith("#")
    assert "{" not in text and "[" not in text  # block style only
    assert document.validate(data, PATH) == []


def test_new_document_refuses_a_name_that_is_not_a_label() -> None:
    with pytest.raises(UserError, match="service 'Svc_User'"):
        document.new_document("prod", "demo", "Svc_User")


def test_valid_document_has_no_problems() -> None:
    assert document.validate(valid(), PATH) == []


def test_round_trip_without_changes_is_byte_identical() -> None:
    text = (
        "# heading comment\n"
        "---\n"
        "kind: ServicePolicy  # kind first\n"
        "apiVersion: 'govbot.dev/v1'\n"
        "metadata: {name: svc-user, namespace: demo, env: prod}\n"
        "spec:\n"
        "    selector:\n"
        "        app: \"svc-user\"\n"
        "    port: 8080\n"
        "    list:\n"
        "    - a\n"
        "    - b   # b\n"
        "\n"
        "# the end\n"
    )
    assert document.dump(document.load(text), like=text) == text
    assert document.dump(document.load(text.replace("\n", "\r\n")), like=text.replace(
        "\n", "\r\n")) == text.replace("\n", "\r\n")


def test_plain_gives_builtin_types() -> None:
    data = document.plain("a: true\nb: yes\nc: 0x10\nd: 1.5\ne: 2026-01-02\nf: [x]\n")
    assert data == {"a": True, "b": "yes", "c": 16, "d": 1.5, "e": "2026-01-02", "f": ["x"]}
    assert [type(v) for v in data.values()] == [bool, str, int, float, str, list]


def test_a_yaml_error_says_where() -> None:
    with pytest.raises(InvalidDocument) as raised:
        document.load("# head\n---\nkind: x\nkind: y\n", PATH)
    assert raised.value.problems == (
        'not valid YAML: line 4 column 1: found duplicate key "kind" with value "y" '
        '(original value: "x")',)


@pytest.mark.parametrize("text", ["a: [1\n", "- a\n- b\n", "just text\n", "a: 1\na: 2\n"])
def test_load_refuses_what_is_not_a_yaml_mapping(text: str) -> None:
    with pytest.raises(InvalidDocument) as raised:
        document.load(text, PATH)
    assert raised.value.path == PATH and raised.value.problems


Mutation = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        node[last] = value
    return mutate


def _drop(path: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        del node[last]
    return mutate


RULES: list[tuple[str, Mutation, str]] = [
    ("apiVersion", _set("apiVersion", "govbot.dev/v2"), "apiVersion:"),
    ("kind", _set("kind", "Service"), "kind:"),
    ("unknown top-level field", _set("sepc", {}), "sepc: unknown field"),
    ("metadata missing", _drop("metadata"), "metadata:"),
    ("name missing", _drop("metadata.name"), "metadata.name: required"),
    ("name disagrees with path", _set("metadata.name", "svc-order"), "metadata.name:"),
    ("namespace disagrees", _set("metadata.namespace", "shop"), "metadata.namespace:"),
    ("env disagrees", _set("metadata.env", "dev"), "metadata.env:"),
    ("spec missing", _drop("spec"), "spec: required"),
    ("unknown spec field", _set("spec.relase", {}), "spec.relase: unknown field; known fields:"),
    ("port missing", _drop("spec.port"), "spec.port: required"),
    ("port zero", _set("spec.port", 0), "spec.port: 0"),
    ("port too big", _set("spec.port", 70000), "spec.port: 70000"),
    ("port text", _set("spec.port", "8080"), "spec.port: '8080'"),
    ("selector missing", _drop("spec.selector"), "spec.selector: required"),
    ("selector empty", _set("spec.selector", {}), "spec.selector: must be a non-empty map"),
    ("selector list", _set("spec.selector", ["app"]), "spec.selector: must be"),
    ("selector value int", _set("spec.selector.app", 5), "spec.selector.app: 5"),
    ("selector value bad", _set("spec.selector.app", "-x-"), "spec.selector.app: '-x-'"),
    ("selector key bad", _set("spec.selector.bad key", "x"), "spec.selector.bad key:"),
    ("versions missing", _drop("spec.versions"), "spec.versions: required"),
    ("stable missing", _drop("spec.versions.stable"), "spec.versions.stable: required"),
    ("stable not a label", _set("spec.versions.stable", "V1"), "spec.versions.stable: 'V1'"),
    ("canary not a label", _set("spec.versions.canary", "2"), "spec.versions.canary: '2'"),
    ("canary same as stable", _set("spec.versions.canary", "v1"), "spec.versions.canary:"),
    ("unknown version key", _set("spec.versions.beta", "v3"), "spec.versions.beta: unknown"),
    ("strategy", _set("spec.release.strategy", "linear"), "spec.release.strategy:"),
    ("weight 120", _set("spec.release.canaryWeight", 120),
     "spec.release.canaryWeight: 120 is not a whole percentage 0-100"),
    ("weight negative", _set("spec.release.canaryWeight", -1), "spec.release.canaryWeight: -1"),
    ("weight float", _set("spec.release.canaryWeight", 2.5), "spec.release.canaryWeight: 2.5"),
    ("weight bool", _set("spec.release.canaryWeight", True), "spec.release.canaryWeight: True"),
    ("weight without canary", _drop("spec.versions.canary"),
     "spec.release.canaryWeight: 20% needs spec.versions.canary"),
    ("release not a map", _set("spec.release", 20), "spec.release: must be a mapping"),
    ("enabled text", _set("spec.rateLimit.enabled", "yes"), "spec.rateLimit.enabled: 'yes'"),
    ("requests zero", _set("spec.rateLimit.requests", 0), "spec.rateLimit.requests: 0"),
    ("requests missing", _drop("spec.rateLimit.requests"), "spec.rateLimit.requests: required"),
    ("per missing", _drop("spec.rateLimit.per"), "spec.rateLimit.per: required"),
    ("requests text", _set("spec.rateLimit.requests", "500"), "spec.rateLimit.requests: '500'"),
    ("per not a duration", _set("spec.rateLimit.per", "5 seconds"), "spec.rateLimit.per:"),
    ("per a number", _set("spec.rateLimit.per", 5), "spec.rateLimit.per: 5"),
    ("per too short", _set("spec.rateLimit.per", "10ms"), "spec.rateLimit.per: 10ms"),
    ("unknown limit key", _set("spec.rateLimit.burst", 5), "spec.rateLimit.burst: unknown"),
    ("two headers", _set("spec.rateLimit.match.headers.team", {"exact": "a"}),
     "spec.rateLimit.match.headers: must name exactly one header"),
    ("no headers", _set("spec.rateLimit.match", {}), "spec.rateLimit.match.headers:"),
    ("header uppercase", _set("spec.rateLimit.match.headers", {"User": {"exact": "a"}}),
     "spec.rateLimit.match.headers.User:"),
    ("header prefix", _set("spec.rateLimit.match.headers.user", {"prefix": "w"}),
     "spec.rateLimit.match.headers.user: must be {exact: <value>}"),
    ("header value empty", _set("spec.rateLimit.match.headers.user.exact", ""),
     "spec.rateLimit.match.headers.user.exact:"),
    ("header value control", _set("spec.rateLimit.match.headers.user.exact", "a\nb"),
     "spec.rateLimit.match.headers.user.exact:"),
]


@pytest.mark.parametrize(("mutate", "field"), [(m, f) for _, m, f in RULES],
                         ids=[name for name, _, _ in RULES])
def test_each_rule_names_its_field(mutate: Mutation, field: str) -> None:
    data = copy.deepcopy(valid())
    mutate(data)
    problems = document.validate(data, PATH)
    assert any(problem.startswith(field) for problem in problems), problems


def test_a_disagreement_with_the_path_says_the_path_decides() -> None:
    problems = document.validate(valid(), "services/dev/demo/svc-user.yaml")
    assert problems == [
        "metadata.env: 'prod' disagrees with the path services/dev/demo/svc-user.yaml, "
        "which says 'dev'; the path decides"
    ]


@pytest.mark.parametrize("path", ["services/prod/demo/Svc.yaml", "services/p_d/demo/svc.yaml",
                                  "services/prod/demo/1svc.yaml", "svc-user.yaml"])
def test_a_path_that_is_not_a_service_path_is_a_problem(path: str) -> None:
    problems = document.validate(valid(), path)
    assert any(problem.startswith("path:") for problem in problems), problems


def test_every_problem_is_reported_at_once() -> None:
    data = valid()
    data["spec"]["port"] = 0
    data["spec"]["release"]["canaryWeight"] = 120
    data["spec"]["rateLimit"]["per"] = "1ms"
    fields = [p.split(":")[0] for p in document.validate(data, PATH)]
    assert fields == ["spec.port", "spec.release.canaryWeight", "spec.rateLimit.per"]


def test_optional_fields_may_be_left_out() -> None:
    data = valid()
    del data["spec"]["release"], data["spec"]["rateLimit"], data["spec"]["versions"]["canary"]
    assert document.validate(data, PATH) == []
    data["spec"]["rateLimit"] = {"requests": 1, "per": "50ms"}  # enabled defaults to true
    assert document.validate(data, PATH) == []
