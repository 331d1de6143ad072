"""The guardrails and configuration of main, read from the policy repository.

Every decision is taken with main's `rego/`, `govbot.yaml` and `access.yaml`, never a
change branch's, so a pull request cannot weaken its own gate. The snapshot is cached by
the commit of main it was read at, and by the git object ids of those three entries when
main moves, so they are re-read only when one of them changed.
"""

from __future__ import annotations

import re
import threading

import yaml

from bot.config import RepoConfig
from bot.core import yamlcheck
from bot.core.errors import ConfigError
from bot.core.types import RuleSet
from bot.repo.git import PolicyRepo

RULE_ENTRIES = ("rego", "govbot.yaml", "access.yaml")
_COMMIT = re.compile(r"[0-9a-f]{40}")


def _yaml(text: str | None, name: str) -> object:
    if text is None:
        raise ConfigError(f"the policy repository has no {name} on main")
    try:
        yamlcheck.check(text, name)
        return yaml.safe_load(text)
    except yamlcheck.HostileYaml as error:
        raise ConfigError(f"reading main: {error}") from error
    except yaml.YAMLError as error:
        raise ConfigError(f"reading {name} on main: {error}") from error


class MainRules:
    """Caches the RuleSet and RepoConfig of main by the object ids they come from."""

    def __init__(self, repo: PolicyRepo) -> None:
        self._repo = repo
        self._lock = threading.Lock()
        self._cached: tuple[RuleSet, RepoConfig] | None = None
        self._commit = ""

    def at(self, rev: str) -> tuple[RuleSet, RepoConfig]:
        commit = rev if _COMMIT.fullmatch(rev) else self._repo.head(rev)
        with self._lock:
            if self._commit == commit and self._cached is not None:
                return self._cached
        ids = [self._repo.object_id(commit, entry) or "-" for entry in RULE_ENTRIES]
        key = ":".join(ids)
        with self._lock:
            if self._cached is not None and self._cached[0].key == key:
                self._commit = commit
                return self._cached
            files = [p for p in self._repo.list_files(commit, "rego/") if p.endswith(".rego")]
            modules = self._repo.read_many(commit, files)
            config = _yaml(self._repo.read(commit, "govbot.yaml"), "govbot.yaml")
            access = _yaml(self._repo.read(commit, "access.yaml"), "access.yaml")
            repo_config = RepoConfig.parse(config, access)
            rules = RuleSet(key=key, modules=modules, config=dict(repo_config.config),
                            access=dict(repo_config.access))
            self._cached = (rules, repo_config)
            self._commit = commit
            return self._cached
