"""A catalog entry or a document of any shape is answered with problems, never a crash;
an entry that validates always renders."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from bot.core.errors import InvalidDocument, UsageError
from policies.apps import catalog, deployment, render
from policies.document import plain
from tests.apps.catalogs import DEFAULT_APPS, default_catalog, document, entry_data

ODD: tuple[Any, ...] = (None, True, 0, -1, "x", "", [], {}, ["x"], {"x": 1})


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path into a nest of dicts and lists."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key)
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for number, item in enumerate(value):
            yield (*prefix, number)
            yield from paths(item, (*prefix, number))


def replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    changed = copy.deepcopy(data)
    parent = changed
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return changed


@pytest.mark.parametrize("app", ["redis", "postgresql", "nginx"])
def test_any_odd_value_anywhere_in_an_entry_is_a_problem_or_renders(app: str) -> None:
    data = entry_data(app)
    path = f"catalog/{app}.yaml"
    for where in paths(data):
        for odd in ODD:
            changed = replaced(data, where, odd)
            if catalog.validate(changed, path):
                continue
            entry = catalog.read(changed, path)
            for mode in entry.modes:
                try:
                    text = deployment.build(entry, "prod", "demo", "x", mode=mode)
                except UsageError:
                    continue
                render.render(plain(text), "apps/prod/demo/x.yaml", {app: entry})


@pytest.mark.parametrize("app", DEFAULT_APPS)
def test_any_odd_value_anywhere_in_a_document_is_a_problem_or_renders(app: str) -> None:
    data, path = document(app)
    for where in paths(data):
        for odd in ODD:
            changed = replaced(data, where, odd)
            try:
                render.render(changed, path, default_catalog())
            except InvalidDocument as error:
                assert error.problems
