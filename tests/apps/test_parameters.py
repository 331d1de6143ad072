"""Parameters read from `set <k>=<v>`: each type, its bounds, and what the store shows."""

from __future__ import annotations

import pytest

from policies.apps.parameters import Parameter, parse

REPLICAS = Parameter("replicas", "int", 2, low=1, high=5, to=("replicas",))
MEMORY = Parameter("memory", "quantity", "512Mi", low="256Mi", high="16Gi")
TLS = Parameter("tls", "bool", False, to=("env.TLS",))
POLICY = Parameter("policy", "enum", "lru", values=("lru", "lfu"))
NAME = Parameter("database", "string", "app")


@pytest.mark.parametrize(("parameter", "text", "value"), [
    (REPLICAS, "5", 5), (REPLICAS, "1", 1), (MEMORY, "16Gi", "16Gi"), (MEMORY, "0.5Gi", "0.5Gi"),
    (MEMORY, "268435456", "268435456"), (TLS, "true", True), (TLS, "Off", False),
    (TLS, "yes", True), (POLICY, "lfu", "lfu"), (NAME, "orders", "orders")])
def test_a_value_is_read_by_its_type(parameter: Parameter, text: str, value: object) -> None:
    assert parameter.read(text) == value


@pytest.mark.parametrize(("parameter", "text", "problem"), [
    (REPLICAS, "0", "is below the minimum 1"), (REPLICAS, "2.5", "is not a whole number"),
    (MEMORY, "17Gi", "is above the maximum 16Gi"), (MEMORY, "255Mi", "is below the minimum 256Mi"),
    (MEMORY, "lots", "is not a quantity like 500m, 2, 512Mi or 1.5Gi"),
    (TLS, "maybe", "is not true or false"), (POLICY, "fifo", "is not one of lru, lfu"),
    (NAME, "a\x07b", "is not a text of 1-253 characters without control characters")])
def test_a_value_that_does_not_fit_says_why(parameter: Parameter, text: str,
                                            problem: str) -> None:
    with pytest.raises(ValueError, match=problem.replace(".", r"\.")):
        parameter.read(text)


def test_the_example_is_the_bound_crossed_else_the_default() -> None:
    assert MEMORY.example("is above the maximum 16Gi") == "16Gi"
    assert MEMORY.example("is below the minimum 256Mi") == "256Mi"
    assert MEMORY.example() == "512Mi"
    assert TLS.example() == "false"


def test_the_store_shows_the_bounds() -> None:
    assert [p.bounds() for p in (REPLICAS, MEMORY, TLS, POLICY, NAME)] == [
        "1-5", "256Mi-16Gi", "true or false", "one of lru, lfu", "text"]


def test_a_definition_is_checked_with_its_field() -> None:
    assert parse("memory", {"type": "quantity", "default": "1Gi", "min": "2Gi", "max": "1Gi"},
                 "parameters.memory")[1] == ["parameters.memory.min: 2Gi is above max 1Gi"]
    assert parse("tls", {"type": "bool", "default": "no"}, "parameters.tls")[1] == [
        "parameters.tls.default: 'no' is not true or false"]
    assert parse("tls", {"type": "bool", "default": True, "min": 1}, "parameters.tls")[1] == [
        "parameters.tls.min: only int and quantity parameters have bounds"]
    assert parse("x", {"type": "int"}, "parameters.x")[1] == ["parameters.x.default: required"]
    assert parse("x", {"type": "int", "default": 1, "colour": 2}, "parameters.x")[1] == [
        "parameters.x.colour: unknown field; known fields: type, description, default, min, "
        "max, values, to, helm"]
