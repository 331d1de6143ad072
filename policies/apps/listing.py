"""What `/store` shows: the apps and their versions, and one app's parameters with their
defaults and bounds. Lines of text; the chat layer decides how to post them.

Example:
    >>> from policies.apps import catalog
    >>> from policies.apps.render import EXAMPLE
    >>> entry = catalog.read(EXAMPLE, "catalog/echo.yaml")
    >>> overview({"echo": entry})
    ['echo 1.27.3 (manifests)']
"""

from __future__ import annotations

from collections.abc import Mapping

from policies.apps.catalog import CatalogEntry


def overview(entries: Mapping[str, CatalogEntry]) -> list[str]:
    """One line per app, by name: its versions (the default first) and its modes, then
    its description."""
    lines = []
    for name in sorted(entries):
        entry = entries[name]
        versions = ", ".join(v.tag for v in entry.versions)
        about = str(entry.spec.get("description", ""))
        lines.append(f"{name} {versions} ({', '.join(entry.modes)})"
                     + (f" — {about}" if about else ""))
    return lines


def details(entry: CatalogEntry) -> list[str]:
    """The app's versions, then one line per parameter: default, bounds, description."""
    lines = [f"{entry.name}: versions {', '.join(v.tag for v in entry.versions)} "
             f"(default {entry.versions[0].tag}); modes {', '.join(entry.modes)}"]
    for name, parameter in entry.parameters.items():
        about = f" — {parameter.description}" if parameter.description else ""
        default = str(parameter.default).lower() if isinstance(parameter.default, bool) \
            else parameter.default
        lines.append(f"{name}: {parameter.type}, default {default}, {parameter.bounds()}{about}")
    if entry.secret_keys:
        lines.append(f"secret: {', '.join(entry.secret_keys)} (generated at apply time or "
                     "read from a Secret you name; never set in chat)")
    return lines
