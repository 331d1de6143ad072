"""`govbot config`: the reference of every setting, and the check of a configuration.

`reference()` renders `bot.variables.VARIABLES` as Markdown (docs/configuration.md is its
output, and a test keeps them equal). `problems(environ, directory)` lists everything
wrong with a configuration: each group of settings read on its own, so one bad value does
not hide the next, `GOVBOT_*` names govbot does not know (a misspelt one is silently
ignored otherwise), and govbot.yaml / access.yaml as `govbot check` reads them. Secret
values never appear in what it returns.

Example:
    problems({"GOVBOT_GUARD": "opal"}, None)
    # ["GOVBOT_GUARD='opal' is not supported; use one of embedded, opa"]
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from bot import guard
from bot import settings as declared_settings
from bot.check import check_config
from bot.core.errors import ConfigError
from bot.core.redact import redact
from bot.repo.git import MAIN, PolicyRepo
from bot.settings import Settings
from bot.store.sql import store_url
from bot.variables import BY_NAME, GROUP_PAGES, GROUPS, VARIABLES, Variable, misspelt

REGENERATE = "govbot config --docs > docs/configuration.md"
_INTRO = f"""\
# Configuration reference

<!-- generated from bot/variables.py by `{REGENERATE}`; do not edit by hand -->

govbot reads its settings from environment variables only. Every default serves the
embedded setup (console chat, local forge, embedded OPA engine, SQLite, manifests
rendered to a directory), so `govbot shell` needs none of them. Values marked
**secret** are masked in logs and replies and never printed by `govbot config --check`.

`govbot config --check [DIR]` validates the settings of the current environment and the
`govbot.yaml` / `access.yaml` of the policy repository checked out in DIR (without DIR:
the current directory when it holds a `govbot.yaml`, else main of the repository govbot
works in: the local forge's, or a hosted forge's mirror as last fetched). It prints every
problem, one per line, and exits 1 when there is any; a `GOVBOT_*` name that govbot does
not read counts, since a misspelt setting changes nothing.
Durations take `ms`, `s`, `m`, `h` and `d`; a bare number is seconds.
"""


def reference() -> str:
    """docs/configuration.md: one table per group, in declaration order."""
    parts = [_INTRO]
    for group in GROUPS:
        parts += [f"## {group}", "", f"See [{GROUP_PAGES[group].split('#')[0]}]"
                  f"({GROUP_PAGES[group]}).", "", "| variable | default | values | what it does |",
                  "|---|---|---|---|"]
        parts += [_row(v) for v in VARIABLES if v.group == group]
        parts.append("")
    return "\n".join(parts)


def _row(variable: Variable) -> str:
    default = (f"`{variable.default}`" if variable.default
               else variable.computed or "unset")
    meaning = variable.meaning + (f"; also read from `{variable.fallback}`"
                                  if variable.fallback else "")
    if variable.secret:
        meaning = f"**secret**: {meaning}"
    cells = (f"`{variable.name}`", default, variable.values, meaning)
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def problems(environ: Mapping[str, str], directory: Path | None) -> list[str]:
    """Every problem of the settings in `environ` and of the policy repository's
    govbot.yaml and access.yaml; secret values masked."""
    found = misspelt(environ) + _settings_problems(environ)
    found += _repository_problems(environ, directory)
    secrets = _secret_values(environ)
    return [redact(problem, secrets) for problem in dict.fromkeys(found)]


def _settings_problems(environ: Mapping[str, str]) -> list[str]:
    """Each variable read on its own (the others at their defaults), so one bad value
    does not hide the next; a value refused alone is said only when it is refused beside
    the others too (GOVBOT_GUARD=opa alone lacks GOVBOT_OPA_URL). Then all of them, and
    what a hosted forge needs."""
    home = {"GOVBOT_HOME": environ["GOVBOT_HOME"]} if "GOVBOT_HOME" in environ else {}
    given = [name for name in environ
             if name in BY_NAME or any(v.fallback == name for v in VARIABLES)]
    bad = {name for name in given if _read({**home, name: environ[name]})}
    found = [_read({k: v for k, v in environ.items() if k == name or k not in bad})
             for name in sorted(bad)]
    settled = Path(environ.get("GOVBOT_HOME") or BY_NAME["GOVBOT_HOME"].default)
    found += [_read(environ),
              _refusal(lambda: declared_settings.forge_settings(environ, settled).check())]
    settled_env = {k: v for k, v in environ.items() if k not in bad}
    return [said for said in found + _serve_problems(settled_env) if said]


def _serve_problems(environ: Mapping[str, str]) -> list[str]:
    """What `govbot serve` refuses when it builds the guard and opens the store, asked
    of the same code, and a chat platform left off by half its settings."""
    try:
        settings = Settings.from_env(environ)
    except ConfigError:
        return []  # already said, with what a setting read alone cannot show
    return [
        _refusal(lambda: store_url(settings.database_url)),
        _refusal(lambda: guard.build(settings.guard, settings.opa_url, settings.opa_token)
                 if settings.guard == "opa" else None),  # the embedded engine needs nothing
        declared_settings.slack_problem(settings.slack),
    ]


def _read(environ: Mapping[str, str]) -> str:
    return _refusal(lambda: Settings.from_env(environ))


def _refusal(read: Callable[[], object]) -> str:
    """What `read` refuses, or "" when it reads."""
    try:
        read()
    except ConfigError as error:
        return str(error)
    return ""


def _repository_problems(environ: Mapping[str, str], directory: Path | None) -> list[str]:
    if directory is not None:
        return check_config(directory).problems
    if (Path.cwd() / "govbot.yaml").is_file():
        return check_config(Path.cwd()).problems
    try:
        repo = Settings.from_env(environ).repo_path
    except ConfigError:
        return []  # already said; the repository cannot be found without the settings
    if not PolicyRepo.exists(repo):
        return [f"policy repository {repo}: no main branch to check; give a checkout of the "
                "policy repository as DIR, for example govbot config --check ./policies"]
    main = PolicyRepo(repo).read_many(MAIN, ["govbot.yaml", "access.yaml"])
    with tempfile.TemporaryDirectory(prefix="govbot-config-") as scratch:
        for name, text in main.items():
            (Path(scratch) / name).write_text(text, encoding="utf-8")
        return check_config(Path(scratch)).problems


def _secret_values(environ: Mapping[str, str]) -> list[str]:
    """What must never be printed: every secret variable's value, and the passwords in
    the URLs."""
    values = [environ.get(v.name) or environ.get(v.fallback or v.name) or ""
              for v in VARIABLES if v.secret]
    urls = [environ.get(v.name) or "" for v in VARIABLES if "URL" in v.name]
    return [v for v in values if v] + declared_settings.passwords(*urls)
