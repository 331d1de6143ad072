"""Rollout: render what main changed and hand it to the apply target.

The store remembers the last commit of main each target applied completely; `sync`
renders only the service documents that changed since then (the whole `services/` tree
the first time, or when the target lost what it held), so a merge re-renders just the
services it touched. Store apps (`apps/`) render the same way, with main's catalog; a
change of `catalog/` renders every app again. Before an app with `secret: {generate:
true}` is applied the target creates its Secret (once, never overwritten), and a purge
tombstone makes it delete the app's volume claims.

Failures have two kinds:
- permanent: main holds a document that cannot be rendered. Rendering is a pure function
  of main, so trying again cannot help: the document is reported once (with the reason
  or, for a bug, an incident id in the log), the rest of the merge is applied and the
  applied marker moves on.
  The document main held before is rendered only to order the applies: when it cannot
  be rendered any more (a fault after govbot.yaml closed its path), the new document is
  planned as if there were none, so the old one's problems never block applying it.
- refused: the target took the document's objects for invalid (`Rejected`: an admission
  webhook, a schema, RBAC, a field another manager holds). Trying the same objects again
  cannot help either: reported once like an invalid document, and the marker moves on.
- temporary: the target failed (I/O, an API that is down). Nothing is marked applied; the
  next `sync` (the next merge, or the next start) tries again from the same commit.

A change of govbot.yaml that changes what rendering reads (`bot.config.rendering_changes`:
a namespace's mesh mode, the Gateway API channel or fault path of an ambient namespace;
clusterDomain, trustDomain or ingressGateway for every service) renders every service of
the namespaces it reaches again: "before" with the applied commit's govbot.yaml, "after"
with main's, applied in the steps `policies.plan.steps` gives (each a whole apply of the
document's objects, the next one after it; a switch between sidecar and ambient mode
makes before it breaks).

A document whose `metadata.annotations["govbot.dev/sync"]` changed since the applied
commit (an approved `/sync`) is applied with `force`: it takes back the fields another
manager took.

Applies to one target run one at a time in this process, and the applied marker only
moves forward (compare-and-set), so two merges finishing together never leave an older
rendering in place of a newer one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import yaml

from bot.apply import Applied, ApplyTarget, Rejected
from bot.config import RepoConfig, rendering_changes
from bot.core import yamlcheck
from bot.core.errors import ConfigError, InvalidDocument, TransientError
from bot.repo.git import PolicyRepo
from bot.store.sql import SqlStore
from policies.apps import catalog
from policies.apps import render as app_render
from policies.apps.deployment import parse_app_path
from policies.document import parse_service_path, plain, service_path, validate
from policies.plan import plan, steps
from policies.render import RenderContext, describe
from policies.render_security import service_accounts

log = logging.getLogger("govbot.rollout")
BATCH = 500  # documents read per `cat-file --batch`
SYNC = "govbot.dev/sync"  # a document annotation an approved /sync changes: apply with force
CONFIG = "govbot.yaml"


def _where(path: str) -> tuple[str, str, str] | None:
    """(env, namespace, name) of a document the rollout applies: a service's or an app's."""
    return parse_service_path(path) or parse_app_path(path)


def incident() -> str:
    """A short id that names one failure in the log, for a person to quote."""
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Rolled:
    """The outcome of one sync.

    `lines`: what was applied, a line per service; `invalid`: documents of main that can
    never be applied as they are (reported once); `pending`: what the target could not
    take now (retried).
    """

    lines: tuple[str, ...] = ()
    invalid: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()


def render_context(config: RepoConfig, now: datetime) -> RenderContext:
    """How govbot.yaml shapes rendering: cluster and trust domains, the ingress gateway's
    service account, each namespace's data plane, and the clock (expired faults are left
    out)."""
    ingress = config.config.get("ingressGateway") or {}
    accounts: dict[str, str] = {}
    if isinstance(ingress, Mapping) and ingress.get("caller") and ingress.get("serviceAccount"):
        accounts[str(ingress["caller"])] = str(ingress["serviceAccount"])
    return RenderContext(cluster_domain=config.cluster_domain,
                         trust_domain=str(config.config.get("trustDomain") or "cluster.local"),
                         service_accounts=accounts, now=now, meshes=config.meshes())


def _callers(data: Mapping[str, Any] | None, path: str) -> list[str]:
    """Paths of the documents of the whitelist's callers (same env), for their accounts."""
    where = parse_service_path(path)
    spec = data.get("spec") if isinstance(data, Mapping) else None
    allow = spec.get("allowFrom") if isinstance(spec, Mapping) else None
    if where is None or not isinstance(allow, Mapping):
        return []
    env, namespace, _service = where
    found = []
    for caller in allow.get("callers") or []:
        caller_ns, _, name = str(caller).rpartition("/")
        found.append(service_path(env, caller_ns or namespace, name))
    return found


def with_callers(repo: PolicyRepo, commit: str, path: str, data: Mapping[str, Any] | None,
                 context: RenderContext) -> RenderContext:
    """The context for rendering one document: its callers' service accounts as their
    own documents on `commit` say (govbot.yaml's ingress gateway account wins)."""
    paths = _callers(data, path)
    if not paths:
        return context
    where = parse_service_path(path)
    documents = {p: data for p, t in repo.read_many(commit, paths).items()
                 if (data := _plain_or_none(t, p)) is not None}
    accounts = service_accounts(documents, where[0] if where else "")
    return replace(context, service_accounts={**accounts, **context.service_accounts})


def config_at(repo: PolicyRepo, commit: str) -> RepoConfig | None:
    """govbot.yaml of `commit` (access.yaml left out: rendering does not read it); None
    when it is absent or cannot be read."""
    text = repo.read(commit, CONFIG)
    try:
        if text is None:
            return None
        yamlcheck.check(text, CONFIG)
        return RepoConfig.parse(yaml.safe_load(text), {})
    except (yamlcheck.HostileYaml, yaml.YAMLError, ConfigError) as error:
        log.warning("reading govbot.yaml at %s: %s", commit[:12], error)
        return None


def _checked(after: str | None, path: str,
             after_data: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The new document's data; InvalidDocument when it cannot be rendered."""
    if after_data is None and after is not None:
        after_data = plain(after, path)
    if after_data is not None and (problems := validate(after_data, path)):
        raise InvalidDocument(path, problems)
    return after_data


def render_checked(before: str | None, after: str | None, path: str,
                   context: RenderContext,
                   after_data: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """The objects a document change applies, in apply order; InvalidDocument when the
    new document cannot be rendered. Pure: the runners call it before a change is opened,
    so nothing that cannot be applied is ever merged. `after_data` is `after` already
    parsed, when the caller has it."""
    after_data = _checked(after, path, after_data)
    return plan(_plain_or_none(before, path), after_data, path, context)


def render_steps(before: str | None, after: str | None, path: str, context: RenderContext,
                 after_data: Mapping[str, Any] | None = None,
                 before_context: RenderContext | None = None) -> list[list[dict[str, Any]]]:
    """`render_checked` as the rollout applies it: the steps of `policies.plan.steps`,
    "before" rendered with `before_context` (the applied commit's govbot.yaml) when given."""
    after_data = _checked(after, path, after_data)
    # an old document that no longer parses is planned as none: it never blocks the new one
    return steps(_plain_or_none(before, path), after_data, path, context, before_context)


def _described(path: str, objects: list[dict[str, Any]]) -> str:
    """One line of what a document's objects are now; a description that fails (a bug)
    never turns an apply that succeeded into a failure."""
    if not objects:
        return f"removed what {path} rendered"
    try:
        return describe(objects)
    except Exception:
        log.exception("incident %s describing %s", incident(), path)
        return ", ".join(f"{o.get('kind')} {o.get('metadata', {}).get('name')}" for o in objects)


def _plain_or_none(text: str | None, path: str) -> dict[str, Any] | None:
    try:
        return plain(text, path) if text is not None else None
    except InvalidDocument:
        return None


def _expiry(data: Mapping[str, Any] | None, now: datetime | None) -> datetime | None:
    """When the objects rendered from this document stop being current: the end of an
    active time-boxed fault; None when nothing in it depends on the clock."""
    spec = data.get("spec") if data else None
    fault = spec.get("fault") if isinstance(spec, Mapping) else None
    expires = fault.get("expires") if isinstance(fault, Mapping) else None
    if not isinstance(expires, str) or (isinstance(fault, Mapping)
                                        and fault.get("enabled") is False):
        return None
    try:
        at = datetime.fromisoformat(expires.replace("Z", "+00:00"))
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return at if now is None or at > now else None


def _sync_mark(text: str | None, path: str) -> object:
    data = _plain_or_none(text, path)
    meta = data.get("metadata") if data else None
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    return annotations.get(SYNC) if isinstance(annotations, Mapping) else None


def forced(before: str | None, after: str | None, path: str) -> bool:
    """Whether an approved `/sync` asks to take fields back: the document's sync
    annotation changed between the applied commit and main."""
    mark = _sync_mark(after, path)
    return mark is not None and mark != _sync_mark(before, path)


def _account(text: str | None, path: str) -> object:
    data = _plain_or_none(text, path)
    spec = data.get("spec") if data else None
    return spec.get("serviceAccount") if isinstance(spec, Mapping) else None


class Rollout:
    def __init__(self, repo: PolicyRepo, store: SqlStore, target: ApplyTarget,
                 clock: Callable[[], datetime]) -> None:
        self._repo = repo
        self._store = store
        self._target = target
        self._clock = clock
        self._applying = threading.Lock()
        self._catalog: tuple[str, dict[str, catalog.CatalogEntry]] | None = None
        # texts one sync read already, by (commit, path): the changed documents are read
        # to find dependents and again to render them
        self._texts: dict[tuple[str, str], str | None] = {}

    def sync(self, main: str, config: RepoConfig, full: bool = False) -> Rolled:
        """Apply what changed on main since the target's last complete apply; everything
        when `full`, or when the target lost what was applied (a deleted folder)."""
        with self._applying:
            try:
                return self._sync(main, config, full)
            finally:
                self._texts.clear()

    def _sync(self, main: str, config: RepoConfig, full: bool) -> Rolled:
        recorded = last = self._store.applied(self._target.name)
        if full or not self._target.intact():
            last = None
        elif last == main or (last is not None and self._newer(last, main)):
            return Rolled()
        if (unready := self._prepare(config)) is not None:
            return unready
        base, paths = self._paths_since(last, main)
        before: RenderContext | None = None
        if base is None:
            paths = self._with_orphans(paths)
        else:
            paths = self._with_apps(main, self._with_dependents(base, main, paths))
            paths, before = self._with_config(base, main, paths, config)
        rolled = self._apply(base, main, paths, render_context(config, self._clock()),
                             before)
        if not rolled.pending:
            self._store.set_applied(self._target.name, main, old=recorded)
        return rolled

    def expire(self, main: str, config: RepoConfig) -> Rolled:
        """Apply again, at `main`, the documents whose applied objects expired (a
        time-boxed fault whose end has come), so the fault leaves the cluster on time."""
        with self._applying:
            due = self._store.expired(self._target.name, self._clock())
            if not due:
                return Rolled()
            if (unready := self._prepare(config)) is not None:
                return unready
            return self._apply(main, main, due, render_context(config, self._clock()))

    def _prepare(self, config: RepoConfig) -> Rolled | None:
        """Tell the target main's environments; a pending outcome when it cannot serve
        them (a kubeconfig context that is not there: fixing it lets the next sync on)."""
        try:
            self._target.prepare(config.environments())
        except ConfigError as error:
            log.error("the %s target cannot serve main's environments: %s",
                      self._target.name, error)
            return Rolled(pending=(str(error),))
        return None

    def _apply(self, base: str | None, main: str, paths: list[str],
               context: RenderContext, before_context: RenderContext | None = None) -> Rolled:
        lines: list[str] = []
        invalid: list[str] = []
        documents = [p for p in paths if _where(p) is not None]
        for start in range(0, len(documents), BATCH):
            chunk = documents[start:start + BATCH]
            befores = self._read_many(base, chunk, keep=False) if base else {}
            afters = self._read_many(main, chunk, keep=False)
            expiries: dict[str, datetime | None] = {}
            try:
                for path in chunk:
                    rendered = self._render((base or main, main), path, befores.get(path),
                                            afters.get(path), (context, before_context))
                    if isinstance(rendered, str):
                        invalid.append(f"{rendered}; fix the document with a new change")
                        continue
                    stages, data = rendered
                    objects = stages[-1] if stages else []
                    if objects and parse_app_path(path) is not None:
                        try:
                            self._generate(main, path, data)
                        except (TransientError, ConfigError) as error:
                            return Rolled(tuple(lines), tuple(invalid), (f"{path}: {error}",))
                        except Rejected as refused:
                            invalid.extend(refused.problems)
                            continue
                    force = base is not None and forced(befores.get(path), afters.get(path),
                                                        path)
                    done = self._apply_steps(path, stages, force)
                    if isinstance(done, Rejected):
                        invalid.extend(done.problems)
                        continue
                    if isinstance(done, str):
                        return Rolled(tuple(lines), tuple(invalid), (done,))
                    expiries[path] = _expiry(data, context.now)
                    if objects or done.deleted:
                        lines.append(_described(path, objects))
                    if (purged := self._purge(path, data)) is not None:
                        if isinstance(purged, str):
                            return Rolled(tuple(lines), tuple(invalid), (purged,))
                        if purged:
                            lines.append(f"deleted the volumes of {path}: "
                                         f"{', '.join(purged)}")
            finally:
                self._store.set_expiries(self._target.name, expiries)
        return Rolled(tuple(lines), tuple(invalid))

    def _render(self, commits: tuple[str, str], path: str, before: str | None,
                after: str | None, contexts: tuple[RenderContext, RenderContext | None]
                ) -> tuple[list[list[dict[str, Any]]], Any] | str:
        """The steps of one document's objects and its data; the problem when it cannot
        render (permanent: reported once). `commits` and `contexts`: (base, main) and
        (main's, the base's govbot.yaml when it changed what renders)."""
        (base, main), (context, before_context) = commits, contexts
        try:
            data = plain(after, path) if after else None
            if parse_app_path(path) is not None:
                return [self._render_app(main, path, data)], data
            here = with_callers(self._repo, main, path, data, context)
            there = None
            if before_context is not None:
                old = _plain_or_none(before, path)
                there = with_callers(self._repo, base, path, old, before_context)
            return render_steps(before, after, path, here, data, there), data
        except InvalidDocument as error:
            log.error("main %s holds %s, which cannot be applied: %s", main[:12], path, error)
            return str(error)
        except Exception:
            number = incident()
            log.exception("incident %s rendering %s at %s", number, path, main[:12])
            return f"{path} cannot be rendered (incident {number})"

    def _render_app(self, main: str, path: str,
                    data: Mapping[str, Any] | None) -> list[dict[str, Any]]:
        """The objects of an AppDeployment at `main` (its catalog entry read there)."""
        if data is None:
            return []
        return app_render.render(data, path, self._entries(main))

    def _entries(self, main: str) -> dict[str, catalog.CatalogEntry]:
        """The valid catalog entries at `main`, read once per commit."""
        if self._catalog is None or self._catalog[0] != main:
            paths = [p for p in self._repo.list_files(main, "catalog/")
                     if catalog.parse_catalog_path(p)]
            self._catalog = (main, catalog.read_all(self._repo.read_many(main, paths))[0])
        return self._catalog[1]

    def _generate(self, main: str, path: str, data: Mapping[str, Any] | None) -> None:
        """Before an app with `secret: {generate: true}` is applied: its `<name>-auth`
        Secret, created by the target where it does not exist (never overwritten)."""
        spec = data.get("spec") if data else None
        if not isinstance(spec, Mapping) or (spec.get("secret") or {}).get("generate") is not True:
            return
        entry = self._entries(main).get(str(spec.get("app")))
        name = app_render.secret_name(data) if data else None
        env, namespace, _name = parse_app_path(path) or ("", "", "")
        if entry is not None and entry.secret_keys and name:
            self._target.generate_secret(env, namespace, name, entry.secret_keys, path)

    def _purge(self, path: str, data: Mapping[str, Any] | None
               ) -> tuple[str, ...] | str | None:
        """For a purge tombstone: the claims the target deleted (the pending line when it
        failed for now); None for any other document."""
        selector = app_render.purged(data) if data and parse_app_path(path) else None
        if selector is None:
            return None
        env, namespace, _name = parse_app_path(path) or ("", "", "")
        try:
            return self._target.purge(env, namespace, selector, path)
        except (TransientError, ConfigError) as error:
            return f"{path}: {error}"
        except Rejected as refused:
            log.error("the %s target refused the purge of %s: %s", self._target.name, path,
                      refused)
            return ()

    def _read_many(self, rev: str, paths: list[str], keep: bool = True) -> dict[str, str]:
        """`PolicyRepo.read_many`, from what this sync read already; `keep`: remember
        what it reads now."""
        missing = [p for p in paths if (rev, p) not in self._texts]
        found = self._repo.read_many(rev, missing) if missing else {}
        if keep:
            self._texts.update({(rev, p): found.get(p) for p in missing})
        texts = {p: found[p] if p in found else self._texts.get((rev, p)) for p in paths}
        return {p: t for p, t in texts.items() if t is not None}

    @property
    def target_name(self) -> str:
        """The apply target's name, under which the store keeps what it applied."""
        return self._target.name

    def _apply_one(self, path: str, objects: list[dict[str, Any]],
                   force: bool) -> Applied | Rejected | str:
        """Hand one document's objects to the target: what it did, its refusal (reported
        once), or the pending line when it failed for now."""
        env, namespace, _service = _where(path) or ("", "", "")
        try:
            return self._target.apply(env, namespace, path, objects, force=force)
        except Rejected as refused:
            log.error("the %s target refused %s: %s", self._target.name, path, refused)
            return refused
        except (TransientError, ConfigError) as error:
            log.warning("applying %s to %s: %s", path, self._target.name, error)
            return f"{path}: {error}"
        except Exception:
            number = incident()
            log.exception("incident %s applying %s to %s", number, path, self._target.name)
            return f"{path}: the {self._target.name} target did not take it (incident {number})"

    def _apply_steps(self, path: str, stages: list[list[dict[str, Any]]],
                     force: bool) -> Applied | Rejected | str:
        """Apply each step of a document after the other (what a step leaves out is
        pruned before the next); the first refusal or failure stops it."""
        written: dict[str, None] = {}
        deleted: dict[str, None] = {}
        done: Applied | Rejected | str = Applied()
        for stage in stages or [[]]:
            done = self._apply_one(path, stage, force)
            if not isinstance(done, Applied):
                return done
            written.update(dict.fromkeys(done.written))
            deleted.update(dict.fromkeys(done.deleted))
        unchanged = done.unchanged if isinstance(done, Applied) else ()
        return Applied(tuple(written), tuple(deleted), unchanged)

    def _with_config(self, base: str, main: str, paths: list[str], config: RepoConfig
                     ) -> tuple[list[str], RenderContext | None]:
        """When govbot.yaml changed what renders: also every service of the namespaces it
        reaches (every service for a setting they all read), and the context that
        renders "before" with the base's govbot.yaml. Otherwise `paths` and None."""
        if CONFIG not in paths or (old := config_at(self._repo, base)) is None:
            return paths, None
        reach = rendering_changes(old, config)
        if reach is not None and not reach:
            return paths, None
        services = [p for p in self._repo.list_files(main, "services/")
                    if (where := parse_service_path(p)) is not None
                    and (reach is None or where[:2] in reach)]
        log.info("govbot.yaml changed what renders in %s; rendering %d services again",
                 "every namespace" if reach is None else
                 ", ".join(f"{e}/{n}" for e, n in sorted(reach)), len(services))
        extra = sorted(set(services) - set(paths))
        return paths + extra, render_context(old, self._clock())

    def _with_dependents(self, base: str, main: str, paths: list[str]) -> list[str]:
        """Also the documents whose whitelist names a caller whose service account changed:
        their principals change with it, so main's rendering of them did too."""
        documents = [p for p in paths if parse_service_path(p) is not None]
        befores, afters = self._read_many(base, documents), self._read_many(main, documents)
        moved = [p for p in documents if _account(befores.get(p), p) != _account(afters.get(p), p)]
        if not moved:
            return paths
        extra: set[str] = set()
        for env in sorted({(parse_service_path(p) or ("",))[0] for p in moved}):
            everyone = self._repo.read_many(main, self._repo.list_files(main, f"services/{env}/"))
            for path, text in everyone.items():
                if set(_callers(_plain_or_none(text, path), path)) & set(moved):
                    extra.add(path)
        return paths + sorted(extra - set(paths))

    def _with_apps(self, main: str, paths: list[str]) -> list[str]:
        """Also every app when the catalog changed: an entry renders its apps (a new image
        mirror, probes, a chart version)."""
        if not any(catalog.parse_catalog_path(p) for p in paths):
            return paths
        return paths + sorted(set(self._repo.list_files(main, "apps/")) - set(paths))

    def _newer(self, last: str, main: str) -> bool:
        """Whether the target already holds a commit that contains `main`."""
        try:
            return self._repo.is_ancestor(main, last)
        except Exception:
            return False

    def _with_orphans(self, paths: list[str]) -> list[str]:
        """On a full render, also the sources the target holds that main no longer has, so
        their objects are deleted."""
        known = set(paths)
        return paths + sorted(s for s in self._target.sources() if s not in known)

    def _paths_since(self, last: str | None, main: str) -> tuple[str | None, list[str]]:
        """The base to compare with and the documents changed since it: all of main when
        `last` is unknown or not an ancestor (a first start, or history rewritten)."""
        if last is not None:
            try:
                if self._repo.is_ancestor(last, main):
                    return last, self._repo.changed_paths(last, main)
            except Exception:
                log.warning("last applied commit %s is unknown; rendering all of main", last[:12])
        return None, (self._repo.list_files(main, "services/")
                      + self._repo.list_files(main, "apps/"))
