"""Switching a namespace's data plane: the round-trip edit of govbot.yaml that `/mesh`
opens as a change.

`environments.<env>.namespaces.<ns>.mesh` is set to the new mode; every other line of
govbot.yaml — comments, key order, flow or block style — stays as written, so the pull
request's diff is that one line (ruamel.yaml round trip, like the policy documents).
The runner (`bot/runners/meshes.py`) checks the environment, the namespace and the
current mode first; this module only edits.

Example:
    >>> text = "environments:\\n  dev:\\n    namespaces:\\n      demo: {maxReplicas: 20}\\n"
    >>> print(switch(text, "dev", "demo", "ambient"), end="")
    environments:
      dev:
        namespaces:
          demo: {maxReplicas: 20, mesh: ambient}
"""

from __future__ import annotations

import copy
import re

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import InvalidDocument
from policies.document import dump, load
from policies.mesh import MODES

CONFIG = "govbot.yaml"


def switch(text: str, env: str, namespace: str, mode: str) -> str:
    """govbot.yaml with `namespace` of `env` set to `mode`; InvalidDocument when the file
    has no such namespace mapping or the mode is not one of policies.mesh.MODES."""
    if mode not in MODES:
        raise InvalidDocument(CONFIG, [f"mesh {mode!r} is not one of {', '.join(MODES)}"])
    config = load(text, CONFIG)
    entry = _child(_child(_child(_child(config, "environments"), env), "namespaces"),
                   namespace, create=True)
    if "mesh" not in entry and not _replace_example(entry, "mesh", mode):
        _append(entry, "mesh", mode)
    entry["mesh"] = mode
    return dump(config, like=text)


def summary(namespace: str, env: str, before: str, after: str) -> str:
    """`mesh demo (prod): sidecar → ambient` — the change's one line."""
    return f"mesh {namespace} ({env}): {before} → {after}"


def _replace_example(entry: CommentedMap, key: str, value: str) -> bool:
    """Write `key: value` in place of a commented example of it (`# mesh: ambient`) in
    the comment lines below one of the mapping's keys, at that key's indentation, so the
    line sits where a person reads about the setting, and no example is left to uncomment
    into a second `mesh:`; False when there is none. The comment lines above the example
    stay above the new key, those below it follow it."""
    for position, after in enumerate(list(entry)):
        tokens = entry.ca.items.get(after)
        comment = tokens[2] if tokens and len(tokens) > 2 else None
        if comment is None:
            continue
        example = re.compile(rf"{' ' * entry.lc.key(after)[1]}#\s*{key}\s*:")
        lines = str(comment.value).split("\n")
        hit = next((n for n, line in enumerate(lines) if n and example.match(line)), None)
        if hit is None:
            continue
        entry.insert(position + 1, key, value)
        comment.value = "\n".join(lines[:hit]) + "\n"
        if not any(line.strip() for line in lines[:hit]):
            tokens[2] = None
        below = "\n".join(lines[hit + 1:])
        if below.strip():
            moved = copy.copy(comment)
            moved.value = f"\n{below}"
            entry.ca.items[key] = [None, None, moved, None]
        return True
    return False


def _append(entry: CommentedMap, key: str, value: str) -> None:
    """Add `key` right below the mapping's last line. ruamel keeps the comment lines that
    follow a mapping (often the next section's) on its last key, and would write a new key
    after them; they move to the new key, the last key's own end-of-line comment stays."""
    last = next(reversed(entry), None) if len(entry) else None
    tokens = entry.ca.items.get(last) if last is not None else None
    entry[key] = value
    if not tokens or len(tokens) < 3 or tokens[2] is None:
        return
    comment = tokens[2]
    own, _, following = str(comment.value).partition("\n")
    if not following:
        return
    comment.value = f"{own}\n"
    if not own.strip():
        tokens[2] = None
    moved = copy.copy(comment)
    moved.value = f"\n{following}"
    entry.ca.items[key] = [None, None, moved, None]


def _child(node: CommentedMap, key: str, create: bool = False) -> CommentedMap:
    """The mapping under `key`; a namespace declared empty (`demo:`) becomes one."""
    value = node.get(key)
    if value is None and create and key in node:
        node[key] = value = CommentedMap()
    if not isinstance(value, CommentedMap):
        raise InvalidDocument(CONFIG, [f"{key}: not a mapping, so its mesh cannot be set"])
    return value
