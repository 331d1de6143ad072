"""What the edits share: a section read from the spec, and `off`/`on` of a section.

`off` keeps a section's settings with `enabled: false` (nothing is rendered for it) and
`on` restores them, so an off/on pair gives back the same text.

Example:
    >>> from policies import document
    >>> spec = document.load("rateLimit:\\n  requests: 5\\n  per: 1s\\n")
    >>> toggle(spec, "rateLimit", "off", "svc-user", Names("ratelimit", "rate limit", "x"))
    'ratelimit svc-user off'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import UserError
from policies.edits import keep


@dataclass(frozen=True)
class Names:
    """How a section is called: in summaries (`ratelimit`), in prose, and an example."""

    action: str
    noun: str
    example: str


@dataclass(frozen=True)
class Where:
    """The document an edit changes: its path and the service's namespace."""

    path: str
    namespace: str


def section(spec: CommentedMap, key: str) -> CommentedMap | None:
    value = spec.get(key)
    return value if isinstance(value, CommentedMap) else None


def toggle(spec: CommentedMap, key: str, mode: Literal["off", "on"], service: str,
           names: Names) -> str:
    """Turn the section `key` off or on, keeping its settings."""
    found = section(spec, key)
    if found is None:
        raise UserError(
            f"{service} has no {names.noun} to turn {mode}; "
            f"set one first, e.g. {names.example.format(svc=service)}"
        )
    enabled = mode == "on"
    if found.get("enabled", True) is enabled:
        return f"{names.action} {service} already {mode}"
    keep.set_key(found, "enabled", enabled)
    return f"{names.action} {service} {mode}"


def percent_text(value: float) -> str:
    """`10%` for 10 and 10.0, `0.5%` for 0.5."""
    return f"{value:g}%"


def number(value: float) -> int | float:
    """A whole number as int, so the document says `10`, not `10.0`."""
    return int(value) if float(value).is_integer() else float(value)
