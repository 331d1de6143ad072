"""Invariants of rendered objects that several policy tests assert.

`unknown_subsets` is what Envoy answers 503 for: a VirtualService destination naming a
subset its host's DestinationRule does not define. `stopped` is what a change makes a
document stop rendering, as (kind, name).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from policies import render


def unknown_subsets(vs: Mapping[str, Any], dr: Mapping[str, Any]) -> list[str]:
    """The subsets `vs` routes to on the host of `dr` that `dr` does not define."""
    host = dr["spec"]["host"]
    defined = {subset["name"] for subset in dr["spec"].get("subsets") or []}
    return [
        dest["subset"]
        for http in vs["spec"].get("http") or []
        for route in http.get("route") or []
        if (dest := route["destination"]).get("host") == host
        and "subset" in dest and dest["subset"] not in defined
    ]


def stopped(before: Mapping[str, Any], after: Mapping[str, Any] | None,
            path: str) -> set[tuple[str, str]]:
    """(kind, name) of the objects `before` renders and `after` (None: deleted) does not."""
    def keys(data: Mapping[str, Any] | None) -> set[tuple[str, str]]:
        objects = render.render(data, path) if data is not None else []
        return {(obj["kind"], obj["metadata"]["name"]) for obj in objects}
    return keys(before) - keys(after)
