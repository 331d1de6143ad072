"""CommandSpec: what the registry knows of one command.

Each command module builds its SPEC from its own USAGE, its `parse` and its docstring
(summary, aliases and examples come from `commands.docs`), and `commands.REGISTRY` lists
the specs. The workflow reads `mutating` to know whether a command opens a change.

Example:
    SPEC = CommandSpec.from_doc("canary", __doc__, usage=USAGE, parse=parse, mutating=True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from commands import docs
from policies.intents import Intent


@dataclass(frozen=True)
class CommandSpec:
    """One command: its names, its help text and its parser.

    `parse` takes the words after the command name, flags already removed, and raises
    UsageError naming what was wrong. `mutating` means the command changes a policy
    document (it goes through the guard and opens a pull request).
    """

    name: str
    aliases: tuple[str, ...]
    usage: str
    summary: str
    examples: tuple[str, ...]
    parse: Callable[[list[str]], Intent]
    mutating: bool

    @classmethod
    def from_doc(
        cls,
        name: str,
        doc: str | None,
        *,
        usage: str,
        parse: Callable[[list[str]], Intent],
        mutating: bool,
    ) -> CommandSpec:
        """A spec whose summary, aliases and examples are those of the module docstring."""
        parts = docs.read(doc)
        return cls(
            name=name,
            aliases=parts.aliases,
            usage=usage,
            summary=parts.summary,
            examples=parts.examples,
            parse=parse,
            mutating=mutating,
        )

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    @property
    def example(self) -> str:
        """The example shown under a usage error."""
        return self.examples[0] if self.examples else self.usage
