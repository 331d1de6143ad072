"""The composition root: the only place that names concrete adapters.

`build(settings)` wires the policy repository, the store, the guard, the forge, the
apply target and the rollout into the runners' context, and the workflow over it; each
port has its own `build()` that fails at start-up on an unknown kind instead of falling
back silently. Each chat platform brings its identity matcher for access.yaml.

Example:
    app = build(Settings.from_env())
    app.workflow.handle(Command("console", "alice", "console", "/canary svc-user 20%"))
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from bot import apply, forge, guard, metrics, resources
from bot.chat import ServedChat, console, dingtalk, slack
from bot.check import check_repository
from bot.config import IdentityMatcher
from bot.core.errors import ConfigError
from bot.core.redact import redact
from bot.core.types import Author
from bot.repo.git import PolicyRepo
from bot.repo.plumbing import GitError
from bot.rollout import Rollout
from bot.rules import MainRules
from bot.runners import Context
from bot.runners.links import Links
from bot.runners.merging import GOVBOT
from bot.runners.reviews import same_login
from bot.settings import Settings
from bot.sources.prometheus import PrometheusSource, targets
from bot.store.leader import AdvisoryLockLeader, ClaimLeader, database_leader
from bot.store.sql import SqlStore
from bot.workflow import Workflow

if TYPE_CHECKING:
    from bot.apply.kube.lease import KubeLease


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class App:
    settings: Settings
    repo: PolicyRepo
    store: SqlStore
    rules: MainRules
    workflow: Workflow
    prometheus: PrometheusSource

    def default_console_user(self) -> str:
        """govbot.yaml's console.defaultUser; ConfigError when main's files are broken."""
        context = self.workflow.context
        return context.config(context.main()).default_console_user or "admin"

    def check_main(self) -> None:
        """Fail at start-up, with the reason, when main's govbot.yaml or access.yaml is
        unreadable: then no command could be judged."""
        context = self.workflow.context
        context.config(context.main())

    def close(self) -> None:
        self.store.dispose()
        self.repo.close()


def open_repo(settings: Settings, author: Author = GOVBOT) -> PolicyRepo:
    """The policy repository: the mirror of a hosted forge, or the local forge's bare
    repository, created from the default template when there is none yet."""
    if settings.forge.kind != "local":
        return forge.open_mirror(settings.forge, settings.repo_path)
    try:
        if not PolicyRepo.exists(settings.repo_path):
            settings.repo_path.parent.mkdir(parents=True, exist_ok=True)
            return PolicyRepo.init(settings.repo_path, resources.template_files(), author)
        return PolicyRepo(settings.repo_path)
    except (GitError, OSError) as error:
        raise ConfigError("opening the policy repository at GOVBOT_REPO_URL: "
                          f"{redact(str(error), settings.secrets())}") from error


def served_chats(app: App) -> list[ServedChat]:
    """The chat adapters `govbot serve` runs, from the settings that are present; each
    platform's `build` imports its SDK only then."""
    chats: list[ServedChat] = []
    if app.settings.slack.enabled:
        chats.append(slack.build(app.settings.slack, app.workflow, app.store))
    ding = app.settings.dingtalk
    if ding.stream_enabled or ding.callback_enabled:
        chats.append(dingtalk.build(ding, app.workflow, app.store))
    return chats


# Each chat platform brings the shape of its ids in access.yaml; adding a platform adds
# its package's `identity` here and its `build` to served_chats.
# Forge logins (people.<p>.ids.github|gitlab|gitea) compare without case.
MATCHERS: dict[str, IdentityMatcher] = {"console": console.identity,
                                        "slack": slack.identity,
                                        "dingtalk": dingtalk.identity,
                                        **{kind: same_login for kind in forge.KINDS
                                           if kind != "local"}}


def build_leader(app: App) -> AdvisoryLockLeader | ClaimLeader | KubeLease:
    """Who may run the scheduled jobs (GOVBOT_LEADER; `auto` was decided by the settings):
    a Kubernetes Lease, or the database's advisory lock or lease row. The holder names
    this process (the host is the pod's name in a cluster)."""
    schedule = app.settings.schedule
    holder = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    if schedule.leader == "kubernetes":
        from bot.apply.kube.lease import KubeLease, kube_client

        return KubeLease(kube_client(app.settings.kubeconfig), schedule.lease_namespace,
                         schedule.lease_name, holder, schedule.lease_seconds)
    return database_leader(app.store, app.settings.database_url, holder,
                           schedule.lease_seconds)


def guardrail_checker(repo: PolicyRepo) -> Callable[[str], list[str]]:
    """What `govbot check` says of the guardrails (govbot.yaml, access.yaml, rego/) at a
    commit: a pull request that breaks them must never merge."""

    def check(commit: str) -> list[str]:
        files = [p for p in repo.list_files(commit) if not p.startswith("services/")]
        with tempfile.TemporaryDirectory(prefix="govbot-check-") as folder:
            root = Path(folder)
            for path, text in repo.read_many(commit, files).items():
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_text(text, encoding="utf-8")
            return check_repository(root).problems

    return check


def build(settings: Settings, clock: Callable[[], datetime] = utcnow) -> App:
    settings.home.mkdir(parents=True, exist_ok=True)
    settings.forge.check()
    policy_guard = guard.build(settings.guard, settings.opa_url, settings.opa_token)
    repo = open_repo(settings)
    try:
        store = SqlStore(settings.database_url, clock)
    except Exception as error:  # a wrong URL, a missing driver, a database that is down
        raise ConfigError("opening the store at GOVBOT_DATABASE_URL: "
                          f"{redact(str(error), settings.secrets())}") from error
    # read from the shared database at each scrape, so every replica reports the same
    metrics.watch_changes(store.count_by_state)
    rules = MainRules(repo)
    target = apply.build(settings.apply_target)
    rollout = Rollout(repo, store, target, clock)
    hosted = forge.build(settings.forge, repo)
    try:
        hosted.verify()
    except ConfigError:
        store.dispose()
        raise
    live = apply.build_live(settings.apply_target,
                            lambda: rules.at(hosted.main())[1].environments())
    prometheus = PrometheusSource(
        lambda: targets(settings.prometheus.url, rules.at(hosted.main())[1].environments()),
        settings.prometheus.interval_seconds, clock)
    context = Context(repo, store, policy_guard, hosted, rollout, rules, clock, MATCHERS,
                      live, check_commit=guardrail_checker(repo), history=prometheus,
                      events_retention=timedelta(days=settings.events_retention_days),
                      links=dashboard_links(settings, store))
    if settings.apply == "kubernetes":  # a context missing from the kubeconfig stops here
        try:
            target.prepare(context.config(context.main()).environments())
        except ConfigError:
            store.dispose()
            raise
    return App(settings, repo, store, rules, Workflow(context), prometheus)


DASHBOARD_KEY = "dashboard:key"
HEX_KEY = re.compile(r"[0-9a-f]{64}")


def dashboard_links(settings: Settings, store: SqlStore) -> Links:
    """Where the dashboard is and the key signing its links: GOVBOT_DASHBOARD_SECRET, or
    a random key kept in the store, so that every replica and a restart agree (the
    first to start inserts it; replicas starting together all read back that one)."""
    web = settings.dashboard
    if web.secret:
        key = web.secret.encode()
    else:
        kept = store.chat_ref(DASHBOARD_KEY)
        if kept is None:
            kept = store.keep_chat_ref(DASHBOARD_KEY, {"key": secrets.token_hex(32)})
        if kept is None or not HEX_KEY.fullmatch(str(kept.get("key"))):
            raise ConfigError(f"the store's {DASHBOARD_KEY!r} entry holds no signing key; "
                              f"delete it so govbot writes a new one, or set "
                              f"GOVBOT_DASHBOARD_SECRET")
        key = bytes.fromhex(str(kept["key"]))
    return Links(web.public_url, key, web.link_ttl_seconds)
