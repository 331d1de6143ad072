"""Rollout: render what main changed and hand it to the apply target.

The store remembers the last commit of main each target applied completely; `sync`
renders only the service documents that changed since then (the whole `services/` tree
only the first time), so a merge re-renders just the services it touched, and a merge
whose apply failed is caught up by the next `sync` (at start-up or after the next merge).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.apply import ApplyTarget
from bot.config import RepoConfig
from bot.repo.git import PolicyRepo
from bot.store.sql import SqlStore
from policies.document import parse_service_path, plain
from policies.render import describe, render

log = logging.getLogger("govbot.rollout")


@dataclass(frozen=True)
class Rolled:
    """The outcome of one sync: a line per service, and the services that failed."""

    lines: tuple[str, ...]
    failed: tuple[str, ...]


class Rollout:
    def __init__(self, repo: PolicyRepo, store: SqlStore, target: ApplyTarget) -> None:
        self._repo = repo
        self._store = store
        self._target = target

    def sync(self, main: str, config: RepoConfig) -> Rolled:
        last = self._store.applied(self._target.name)
        if last == main:
            return Rolled((), ())
        paths = self._paths_since(last, main)
        lines: list[str] = []
        failed: list[str] = []
        for path in paths:
            where = parse_service_path(path)
            if where is None:
                continue
            env, namespace, _service = where
            try:
                text = self._repo.read(main, path)
                objects = render(plain(text), path, config.cluster_domain) if text else []
                self._target.apply(env, namespace, path, objects)
            except Exception as error:  # one broken document must not block the others
                log.exception("applying %s at %s", path, main[:12])
                failed.append(f"{path}: {error}")
                continue
            lines.append(describe(objects) if objects else f"removed what {path} rendered")
        if not failed:
            self._store.set_applied(self._target.name, main)
        return Rolled(tuple(lines), tuple(failed))

    def _paths_since(self, last: str | None, main: str) -> list[str]:
        """Documents changed since `last`; all of them when `last` is unknown or not an
        ancestor of main (a first start, or history rewritten under us)."""
        if last is not None:
            try:
                if self._repo.is_ancestor(last, main):
                    return self._repo.changed_paths(last, main)
            except Exception:
                log.warning("last applied commit %s is unknown; rendering all of main", last[:12])
        return self._repo.list_files(main, "services/")
