"""The command reference (docs/commands.md), written from `commands.REGISTRY`.

Each command's usage, aliases and examples come from its CommandSpec, the text `/help`
shows, and its description is the spec's summary, the whole first paragraph of its
module's docstring, so the page cannot drift from what chat accepts; a test compares
the committed page with `reference()`. `govbot commands` prints it.

Example:
    reference().splitlines()[0]   # "# Command reference"
"""

from __future__ import annotations

from commands import REGISTRY
from commands.spec import CommandSpec

REGENERATE = "govbot commands > docs/commands.md"
_INTRO = f"""\
# Command reference

<!-- generated from commands.REGISTRY by `{REGENERATE}`; do not edit by hand -->

The same grammar on every chat platform and in `govbot shell`. The leading `/` is
optional; on Slack and DingTalk a mention of the bot may precede the command. Every
command takes `--env <env>` and `--ns <namespace>` anywhere after its name (`--env`
alone keeps the channel's bound namespace, `--ns` alone its bound environment). A
command that changes a policy document is judged by the guardrails of main and opens a
pull request; a read-only one changes nothing. `/help <command>` shows the same text in
chat.

| command | aliases | changes a document | what it does |
|---|---|---|---|
"""


def reference() -> str:
    """The whole page: a summary table, then one section per command."""
    rows = [_row(spec) for spec in REGISTRY]
    sections = [_section(spec) for spec in REGISTRY]
    return _INTRO + "\n".join(rows) + "\n\n" + "\n".join(sections)


def _short(spec: CommandSpec) -> str:
    """The description up to its first colon: what the command is, not its details."""
    return spec.summary.split(": ")[0]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _row(spec: CommandSpec) -> str:
    aliases = ", ".join(spec.aliases) or "—"
    mutating = "yes" if spec.mutating else "no"
    return f"| [/{spec.name}](#{spec.name}) | {aliases} | {mutating} | {_cell(_short(spec))} |"


def _section(spec: CommandSpec) -> str:
    lines = [f"## {spec.name}", "", "```", spec.usage, "```", "", spec.summary + ".", ""]
    if spec.aliases:
        lines += [f"Aliases: {', '.join(spec.aliases)}", ""]
    if spec.examples:
        lines += ["Examples:", "", "```", *spec.examples, "```", ""]
    return "\n".join(lines)
