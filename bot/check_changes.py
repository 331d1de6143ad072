"""`govbot check DIR --base REF`: judge what a pull request does to the documents.

A policy repository's CI runs this on every pull request. Every service document changed
since the merge base of REF and the checkout (committed or not) is validated and judged
by the guardrails of that merge base — the rules of main, never the branch's own — and
each deny is reported with the file and its rule id. Who asks and who approves
(`[authorization.*]`, `[review.*]`) is left out: govbot judges people when it opens and
merges the pull request; here only what the documents do is judged.

Example:
    problems = check_changes(Path("."), "origin/main")
    # ["services/prod/demo/svc-user.yaml: [faults.prod_timebox] …"]
"""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot.core import yamlcheck
from bot.core.errors import ConfigError, InvalidDocument
from bot.core.types import RuleSet
from bot.guard import EmbeddedGuard
from policies.document import parse_service_path, plain, validate

PEOPLE_RULES = ("[authorization.", "[review.")


def _git(root: Path, *args: str, ok_missing: bool = False) -> str | None:
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True)
    if done.returncode != 0:
        if ok_missing:
            return None
        raise ConfigError(f"git {' '.join(args[:2])} in {root}: {done.stderr.strip()}")
    return done.stdout


def _changed(root: Path, base: str) -> list[str]:
    """Documents that differ between `base` and the checkout, new untracked ones too."""
    tracked = _git(root, "diff", "--name-only", "--no-renames", base) or ""
    untracked = _git(root, "ls-files", "--others", "--exclude-standard") or ""
    paths = {p for p in (tracked + untracked).splitlines() if p.startswith("services/")}
    return sorted(p for p in paths if parse_service_path(p) is not None)


def _rules(root: Path, base: str) -> RuleSet:
    listed = _git(root, "ls-tree", "-r", "--name-only", base, "rego/") or ""
    modules = {p: _git(root, "show", f"{base}:{p}") or "" for p in listed.splitlines()
               if p.endswith(".rego")}
    data: dict[str, Any] = {}
    for name in ("govbot.yaml", "access.yaml"):
        text = _git(root, "show", f"{base}:{name}", ok_missing=True) or ""
        try:
            yamlcheck.check(text, f"{name} at {base}")
            data[name] = yaml.safe_load(text) or {}
        except (yamlcheck.HostileYaml, yaml.YAMLError) as error:
            raise ConfigError(f"reading {name} at {base}: {error}") from error
    return RuleSet(key=f"base:{base}", modules=modules, config=data["govbot.yaml"],
                   access=data["access.yaml"])


def _document(text: str | None, path: str) -> dict[str, Any] | None:
    return plain(text, path) if text is not None else None


def check_changes(root: Path, base: str, now: datetime | None = None) -> list[str]:
    """One line per problem of the documents changed since `base`; [] when all pass."""
    merge_base = (_git(root, "merge-base", base, "HEAD") or "").strip()
    rules, guard = _rules(root, merge_base), EmbeddedGuard()
    moment = (now or datetime.now(UTC)).isoformat().replace("+00:00", "Z")
    problems: list[str] = []
    for path in _changed(root, merge_base):
        file = root / path
        try:
            before = _document(_git(root, "show", f"{merge_base}:{path}", ok_missing=True), path)
            after = _document(file.read_text(encoding="utf-8") if file.is_file() else None, path)
        except InvalidDocument as error:
            problems += [f"{path}: {p}" for p in error.problems]
            continue
        if after is not None and (invalid := validate(after, path)):
            problems += [f"{path}: {p}" for p in invalid]
            continue
        env, namespace, service = parse_service_path(path) or ("", "", "")
        decision = guard.decide(rules, {
            "action": "edit", "actor": {"id": "", "groups": []}, "env": env,
            "namespace": namespace, "target": service, "path": path, "before": before,
            "after": after, "approvals": [], "now": moment})
        problems += [f"{path}: {reason}" for reason in decision.deny
                     if not reason.startswith(PEOPLE_RULES)]
    return problems
