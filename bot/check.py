"""`govbot check DIR`: everything a policy repository's CI verifies on a pull request.

Validates govbot.yaml and access.yaml, every `services/<env>/<namespace>/<svc>.yaml`
(schema, path agreement, renderability), the app store's `catalog/` and `apps/`
(`policies.apps.check`), the policy templates of `templates/` (`policies.templates`) and
runs the Rego tests and sample inputs of
`rego/`. Returns one line per problem, naming the file and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from bot import resources
from bot.config import RepoConfig
from bot.config_checks import config_problems, scope_problem
from bot.core import yamlcheck, yamlread
from bot.core.errors import GovbotError, InvalidDocument
from bot.guard.regotest import RegoTestResult, run_rego_tests, run_samples
from bot.rollout import render_context
from policies import templates, webhook
from policies.apps import check as store_check
from policies.document import parse_service_path, plain, validate
from policies.render import RenderContext, render
from policies.render_security import service_accounts


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    documents: int = 0
    tests_passed: int = 0
    tests_failed: int = 0
    unreadable: bool = False  # govbot.yaml or access.yaml: checks that need them are skipped

    @property
    def ok(self) -> bool:
        return not self.problems


def _load_yaml(path: Path, report: Report) -> tuple[object, dict[str, str]]:
    """The file's data and how its booleans were spelt (`bot.core.yamlread`); (None, {})
    and a problem when it cannot be read, is hostile or gives a key twice."""
    try:
        text = path.read_text(encoding="utf-8")
        yamlcheck.check(text, path.name)
        return yamlread.load(text, path.name)
    except (yamlcheck.HostileYaml, yamlread.DuplicateKey) as error:
        report.problems.append(str(error))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        where = f"line {mark.line + 1} column {mark.column + 1}: " if mark else ""
        report.problems.append(f"{path.name}: not valid YAML: {where}{error.problem}")
    except (OSError, yaml.YAMLError) as error:
        report.problems.append(f"{path.name}: not readable: {error}")
    report.unreadable = True
    return None, {}


def _read_documents(root: Path, report: Report, config: object) -> dict[str, dict[str, Any]]:
    """The plain data of every readable document, by path; a problem for each other one."""
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted((root / "services").rglob("*.yaml")):
        rel = path.relative_to(root).as_posix()
        report.documents += 1
        where = parse_service_path(rel)
        if where is None:
            report.problems.append(f"{rel}: not at services/<env>/<namespace>/<service>.yaml")
            continue
        if config is not None and (unknown := scope_problem(config, where[0],
                                                            where[1])) is not None:
            report.problems.append(f"{rel}: {unknown}")
        try:
            documents[rel] = plain(path.read_text(encoding="utf-8"), rel)
        except InvalidDocument as error:
            report.problems.extend(f"{rel}: {p}" for p in error.problems)
        except (OSError, UnicodeDecodeError) as error:
            report.problems.append(f"{rel}: not readable: {error}")
    return documents


def _check_documents(root: Path, report: Report, context: RenderContext,
                     config: object) -> None:
    documents = _read_documents(root, report, config)
    # a caller's own document names its service account; govbot.yaml's names win
    contexts = {env: replace(context, service_accounts={
        **service_accounts(documents, env), **context.service_accounts})
        for env in {rel.split("/")[1] for rel in documents}}
    for rel, data in documents.items():
        problems = validate(data, rel)
        report.problems.extend(f"{rel}: {p}" for p in problems)
        if not problems:
            try:
                objects = render(data, rel, contexts[rel.split("/")[1]])
            except Exception as error:
                report.problems.append(f"{rel}: does not render: {error}")
                continue
            for obj in objects:
                report.problems.extend(f"{rel}: {obj['kind']} {obj['metadata']['name']}: {p}"
                                       for p in webhook.check(obj))


def _template_data() -> dict[str, object]:
    folder = resources.template_dir()
    return {"govbot": {
        "config": yaml.safe_load((folder / "govbot.yaml").read_text(encoding="utf-8")),
        "access": yaml.safe_load((folder / "access.yaml").read_text(encoding="utf-8"))}}


def check_config(root: Path) -> Report:
    """govbot.yaml and access.yaml of `root` alone, as `govbot check` reads them (for
    `govbot config --check`)."""
    report = Report()
    _read_config(root, report)
    return report


def _read_config(root: Path, report: Report) -> tuple[object, object, RenderContext]:
    config, spelt = _load_yaml(root / "govbot.yaml", report)
    access, _ = _load_yaml(root / "access.yaml", report)
    context = RenderContext()
    if not report.unreadable:
        try:
            context = render_context(RepoConfig.parse(config, access), datetime.now(UTC))
        except GovbotError as error:
            report.problems.append(f"govbot.yaml/access.yaml: {error}")
        report.problems.extend(config_problems(config, access, spelt))
    return config, access, context


def check_repository(root: Path) -> Report:
    report = Report()
    config, access, context = _read_config(root, report)
    _check_documents(root, report, context, None if report.unreadable else config)
    report.problems += store_check.problems({p.relative_to(root).as_posix(): p.read_text(
        encoding="utf-8") for part in ("catalog", "apps") for p in (root / part).rglob("*.yaml")})
    report.problems += templates.check({p.relative_to(root).as_posix(): p.read_text(
        encoding="utf-8") for p in (root / "templates").rglob("*.yaml")})
    modules = {p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
               for p in sorted((root / "rego").rglob("*.rego"))}
    if not modules:
        report.problems.append("rego/: no guardrails found")
        return report
    data = {"govbot": {"config": config or {}, "access": access or {}}}
    results = run_rego_tests(modules, data)
    samples = root / "rego" / "samples"
    if samples.is_dir():
        # the samples state what the rules decide for the template's settings, so they run
        # on those: a repository that changes its own limits does not fail them
        results += run_samples(modules, _template_data(), samples)
    _count(report, results)
    return report


def _count(report: Report, results: list[RegoTestResult]) -> None:
    """Passes and failures; an error shared by many tests (a module that does not
    compile) is reported once, with how many tests it stopped."""
    errors: dict[str, list[RegoTestResult]] = {}
    for result in results:
        if result.passed:
            report.tests_passed += 1
            continue
        report.tests_failed += 1
        errors.setdefault(result.error, []).append(result)
    for error, failed in errors.items():
        if error and len(failed) > 1:
            report.problems.append(f"{error} ({len(failed)} Rego tests could not pass)")
            continue
        report.problems.extend(f"{r.file}: {r.name} failed" + (f": {r.error}" if r.error else "")
                               for r in failed)
