"""/help [command] — list the commands, or show one command with its examples.

Alias: 帮助
Examples:
    /help
    /help canary
    帮助 灰度
"""

from __future__ import annotations

# The package is only partly imported while REGISTRY is being built; help reads
# `commands.REGISTRY` and `commands.lookup` at call time, never at import.
import commands
from commands import grammar
from commands.spec import CommandSpec
from policies.intents import Help

USAGE = "/help [command]"
_FLAGS = "Every command takes --env <env> and --ns <namespace>; the leading / is optional."


def parse(words: list[str]) -> Help:
    if not words:
        return Help()
    spec = _spec(words[0])
    if len(words) > 1:
        raise grammar.unexpected(words[1:])
    return Help(spec.name)


def help_text(name: str | None = None) -> str:
    """The help for every command (one line each), or for the one named."""
    if name is None:
        lines = [_line(spec) for spec in commands.REGISTRY]
        return "\n".join(["Commands:", *lines, "", _FLAGS, "/help <command> shows examples."])
    spec = _spec(name)
    return "\n".join(
        [
            spec.usage,
            spec.summary,
            *([f"alias: {', '.join(spec.aliases)}"] if spec.aliases else []),
            "examples:",
            *(f"  {example}" for example in spec.examples),
        ]
    )


def _line(spec: CommandSpec) -> str:
    aliases = f" (alias: {', '.join(spec.aliases)})" if spec.aliases else ""
    return f"  {spec.usage} — {spec.summary}{aliases}"


def _spec(name: str) -> CommandSpec:
    spec = commands.lookup(name.removeprefix("/"))
    if spec is None:
        raise commands.unknown_command(name.removeprefix("/"))
    return spec


SPEC = CommandSpec.from_doc("help", __doc__, usage=USAGE, parse=parse, mutating=False)
