"""Reads a command module's docstring: the one place its summary, aliases and examples
are written.

`/help` shows them and the tests run every example, so the text a person reads is the
text that is checked. The docstring's shape:

    /canary <svc> <0-100>% | promote | abort — steer traffic to the canary version.

    Alias: 灰度
    Examples:
        /canary svc-user 20%
        /canary svc-user promote

Example:
    read(canary.__doc__).aliases      # ('灰度',)
    read(canary.__doc__).examples[0]  # '/canary svc-user 20%'
"""

from __future__ import annotations

from dataclasses import dataclass

_SUMMARY_MARK = " — "


@dataclass(frozen=True)
class ModuleDoc:
    """What a command module's docstring says about the command."""

    usage: str
    summary: str
    aliases: tuple[str, ...]
    examples: tuple[str, ...]


def read(doc: str | None) -> ModuleDoc:
    """The parts of a docstring; empty parts when there is none (python -OO)."""
    lines = (doc or "").strip().splitlines()
    # The usage sits on the first line; its description may run on until the first blank
    # line, and /help shows it whole rather than cut where the line wrapped.
    paragraph = " ".join(_first_paragraph(lines))
    usage, mark, summary = paragraph.partition(_SUMMARY_MARK)
    if not mark:
        usage = lines[0] if lines else ""
    return ModuleDoc(
        usage=usage.strip(),
        summary=summary.strip().removesuffix("."),
        aliases=_aliases(lines),
        examples=_examples(lines),
    )


def _first_paragraph(lines: list[str]) -> list[str]:
    found: list[str] = []
    for line in lines:
        if not line.strip():
            break
        found.append(line.strip())
    return found


def _aliases(lines: list[str]) -> tuple[str, ...]:
    for line in lines:
        label, colon, names = line.strip().partition(":")
        if colon and label in ("Alias", "Aliases"):
            return tuple(names.replace(",", " ").split())
    return ()


def _examples(lines: list[str]) -> tuple[str, ...]:
    """The lines indented under `Examples:`, up to the first blank or less indented line."""
    found: list[str] = []
    header: int | None = None
    for line in lines:
        indent = len(line) - len(line.lstrip())
        if header is None:
            header = indent if line.strip() == "Examples:" else None
        elif line.strip() and indent > header:
            found.append(line.strip())
        else:
            break
    return tuple(found)
