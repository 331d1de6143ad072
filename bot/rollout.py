"""Rollout: render what main changed and hand it to the apply target.

The store remembers the last commit of main each target applied completely; `sync`
renders only the service documents that changed since then (the whole `services/` tree
only the first time), so a merge re-renders just the services it touched, and a merge
whose apply failed is caught up by the next `sync` (at start-up or after the next merge).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.apply import ApplyTarget
from bot.config import RepoConfig
from bot.core.errors import InvalidDocument
from bot.repo.git import PolicyRepo
from bot.store.sql import SqlStore
from policies.document import parse_service_path, plain, validate
from policies.plan import plan
from policies.render import RenderContext, describe

log = logging.getLogger("govbot.rollout")
BATCH = 500  # documents read per `cat-file --batch`


@dataclass(frozen=True)
class Rolled:
    """The outcome of one sync: a line per service, and the services that failed."""

    lines: tuple[str, ...]
    failed: tuple[str, ...]


def _plain_or_none(text: str | None) -> dict[str, Any] | None:
    return plain(text) if text is not None else None


def render_context(config: RepoConfig, now: datetime) -> RenderContext:
    """How govbot.yaml shapes rendering: cluster and trust domains, the ingress gateway's
    service account, and the clock (expired faults are left out)."""
    ingress = config.config.get("ingressGateway") or {}
    accounts: dict[str, str] = {}
    if isinstance(ingress, Mapping) and ingress.get("caller") and ingress.get("serviceAccount"):
        accounts[str(ingress["caller"])] = str(ingress["serviceAccount"])
    return RenderContext(cluster_domain=config.cluster_domain,
                         trust_domain=str(config.config.get("trustDomain") or "cluster.local"),
                         service_accounts=accounts, now=now)


class Rollout:
    def __init__(self, repo: PolicyRepo, store: SqlStore, target: ApplyTarget,
                 clock: Callable[[], datetime]) -> None:
        self._repo = repo
        self._store = store
        self._target = target
        self._clock = clock

    def sync(self, main: str, config: RepoConfig, full: bool = False) -> Rolled:
        """Apply what changed on main since the target's last complete apply; everything
        when `full`, or when the target lost what was applied (a deleted folder)."""
        last = self._store.applied(self._target.name)
        if full or not self._target.intact():
            last = None
        elif last == main:
            return Rolled((), ())
        last, paths = self._paths_since(last, main)
        if last is None:
            paths = self._with_orphans(paths)
        context = render_context(config, self._clock())
        lines: list[str] = []
        failed: list[str] = []
        documents = [p for p in paths if parse_service_path(p) is not None]
        for start in range(0, len(documents), BATCH):
            chunk = documents[start:start + BATCH]
            befores = self._repo.read_many(last, chunk) if last else {}
            afters = self._repo.read_many(main, chunk)
            for path in chunk:
                try:
                    objects = self._apply_one(path, befores.get(path), afters.get(path),
                                              context)
                except Exception as error:  # one broken document must not block the others
                    log.exception("applying %s at %s", path, main[:12])
                    failed.append(f"{path}: {error}")
                    continue
                lines.append(describe(objects) if objects else f"removed what {path} rendered")
        if not failed:
            self._store.set_applied(self._target.name, main)
        return Rolled(tuple(lines), tuple(failed))

    def _with_orphans(self, paths: list[str]) -> list[str]:
        """On a full render, also the sources the target holds that main no longer has, so
        their objects are deleted."""
        known = set(paths)
        return paths + sorted(s for s in self._target.sources() if s not in known)

    def _apply_one(self, path: str, before: str | None, after: str | None,
                   context: RenderContext) -> list[dict[str, Any]]:
        env, namespace, _service = parse_service_path(path) or ("", "", "")
        after_data = _plain_or_none(after)
        if after_data is not None and (problems := validate(after_data, path)):
            raise InvalidDocument(path, problems)
        objects = plan(_plain_or_none(before), after_data, path, context)
        self._target.apply(env, namespace, path, objects)
        return objects

    def _paths_since(self, last: str | None, main: str) -> tuple[str | None, list[str]]:
        """The base to compare with and the documents changed since it: all of main when
        `last` is unknown or not an ancestor (a first start, or history rewritten)."""
        if last is not None:
            try:
                if self._repo.is_ancestor(last, main):
                    return last, self._repo.changed_paths(last, main)
            except Exception:
                log.warning("last applied commit %s is unknown; rendering all of main", last[:12])
        return None, self._repo.list_files(main, "services/")
