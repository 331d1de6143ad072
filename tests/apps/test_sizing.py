"""Quantities and the requests an app adds to its namespace, checked with numbers worked
out by hand."""

from __future__ import annotations

from fractions import Fraction

import pytest

from policies.apps import quantity, render, sizing
from tests.apps.catalogs import DEFAULT_APPS, default_catalog, document

GI, MI = 2**30, 2**20


@pytest.mark.parametrize(("text", "amount"), [
    ("500m", Fraction(1, 2)), ("2", Fraction(2)), ("1.5Gi", Fraction(3 * 2**29)),
    ("256Mi", Fraction(256 * MI)), ("1Ti", Fraction(2**40)), ("1e3", Fraction(1000)),
    ("1k", Fraction(1000)), ("100M", Fraction(10**8)), ("0.1", Fraction(1, 10)),
    (".5", Fraction(1, 2)), (3, Fraction(3)), (0.25, Fraction(1, 4)), ("250u", Fraction(1, 4000)),
])
def test_a_quantity_parses_exactly(text: object, amount: Fraction) -> None:
    assert quantity.parse(text) == amount


@pytest.mark.parametrize("text", ["16Gx", "", "Gi", "1.5.1", "1 Gi", "-", True, None, "1Gib"])
def test_what_is_not_a_quantity_is_refused(text: object) -> None:
    assert not quantity.is_quantity(text)
    with pytest.raises(ValueError, match="is not a quantity"):
        quantity.parse(text)


def test_a_negative_quantity_is_not_a_size() -> None:
    assert quantity.parse("-1Gi") == -GI
    assert not quantity.is_quantity("-1Gi")


@pytest.mark.parametrize(("amount", "cpu"), [
    (Fraction(3, 2), "1500m"), (Fraction(2), "2"), (Fraction(1, 10), "100m"),
    (Fraction(1, 3), "334m"), (Fraction(0), "0")])
def test_cpu_is_written_in_cores_or_millicores(amount: Fraction, cpu: str) -> None:
    assert quantity.cpu(amount) == cpu


@pytest.mark.parametrize(("amount", "size"), [
    (Fraction(3 * 512 * MI), "1536Mi"), (Fraction(2 * GI), "2Gi"), (Fraction(2**40), "1Ti"),
    (Fraction(1000), "1000"), (Fraction(5 * 1024), "5Ki"), (Fraction(0), "0")])
def test_sizes_take_the_largest_whole_binary_suffix(amount: Fraction, size: str) -> None:
    assert quantity.size(amount) == size


def test_requests_of_a_replicated_app_multiply_the_pod() -> None:
    data, path = document("nginx", pairs=[("replicas", "3"), ("cpu", "250m"),
                                          ("memory", "384Mi")])
    entry = default_catalog()["nginx"]
    # 3 × 250m = 750m; 3 × 384Mi = 1152Mi; no volume
    expected = sizing.Requests(Fraction(3, 4), Fraction(1152 * MI), Fraction(0))
    assert sizing.app_requests(entry, data) == expected
    assert sizing.rendered_requests(render.render(data, path, default_catalog())) == expected
    assert expected.describe() == "cpu 750m, memory 1152Mi, storage 0"


def test_requests_of_a_data_app_count_its_volume() -> None:
    data, path = document("mysql", pairs=[("cpu", "1.5"), ("memory", "1.5Gi"),
                                          ("storage", "500Gi")])
    expected = sizing.Requests(Fraction(3, 2), Fraction(3 * 2**29), Fraction(500 * GI))
    assert sizing.app_requests(default_catalog()["mysql"], data) == expected
    assert sizing.rendered_requests(render.render(data, path, default_catalog())) == expected
    assert expected.as_text() == {"cpu": "1500m", "memory": "1536Mi", "storage": "500Gi"}


def test_requests_add_up_across_apps() -> None:
    redis, _ = document("redis")  # 250m, 512Mi, 8Gi
    postgres, _ = document("postgresql", mode="gitops")  # 500m, 1Gi, 20Gi (a chart's pods)
    total = sizing.app_requests(default_catalog()["redis"], redis) + \
        sizing.app_requests(default_catalog()["postgresql"], postgres)
    assert total.as_text() == {"cpu": "750m", "memory": "1536Mi", "storage": "28Gi"}


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_the_documents_requests_are_the_rendered_ones(app: str) -> None:
    data, path = document(app, pairs=[(n, str(p.high)) for n, p in
                                      default_catalog()[app].parameters.items()
                                      if p.type in ("int", "quantity")])
    assert sizing.app_requests(default_catalog()[app], data) == \
        sizing.rendered_requests(render.render(data, path, default_catalog()))
