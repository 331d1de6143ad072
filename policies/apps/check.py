"""The app store's part of `govbot check`: every catalog entry and AppDeployment of a
policy repository, given as texts by path; one line per problem, naming the file.

Example:
    >>> problems({"catalog/redis.yaml": "kind: CatalogEntry\\n"})[0]
    'catalog/redis.yaml: apiVersion: None is not govbot.dev/v1'
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core.errors import InvalidDocument
from policies.apps import catalog, render
from policies.document import plain


def problems(texts: Mapping[str, str]) -> list[str]:
    """Problems of the `catalog/**.yaml` and `apps/**.yaml` texts: an entry that does not
    validate, a document that does not fit the catalog or does not render."""
    entries, found = catalog.read_all({p: t for p, t in texts.items()
                                       if catalog.parse_catalog_path(p) is not None})
    found += [f"{path}: not at catalog/<app>.yaml" for path in sorted(texts)
              if path.startswith("catalog/") and catalog.parse_catalog_path(path) is None]
    for path, text in sorted(texts.items()):
        if not path.startswith("apps/"):
            continue
        try:
            render.render(plain(text, path), path, entries)
        except InvalidDocument as error:
            found += [f"{path}: {problem}" for problem in error.problems]
    return found

