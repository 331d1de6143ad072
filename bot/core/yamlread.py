"""Read govbot.yaml and access.yaml strictly, as `govbot check` judges them.

Every reader of those files loads them with PyYAML (`yaml.safe_load`, YAML 1.1), and
`load` gives the same data, with two things safe_load hides:

- a key written twice in one mapping (two `mesh:` under one namespace) is refused with
  both lines: safe_load keeps the last one silently, so the line a person reads first
  may not be the one govbot obeys;
- how each boolean was spelt: YAML 1.1 reads `on`, `off`, `yes` and `no` as booleans, so
  a message about `faultInjection: on` quotes `on` (`shown`) rather than `True`.

The text must have passed `bot.core.yamlcheck.check` first (no aliases, bounded size).

Example:
    >>> data, spelt = load("ambient:\\n  faultInjection: on\\n", "govbot.yaml")
    >>> data, spelt
    ({'ambient': {'faultInjection': True}}, {'ambient.faultInjection': 'on'})
    >>> shown(data["ambient"]["faultInjection"], spelt.get("ambient.faultInjection"))
    'on (read as true)'
"""

from __future__ import annotations

from typing import Any

import yaml

_BOOL = "tag:yaml.org,2002:bool"


class DuplicateKey(ValueError):
    """A mapping names one key twice; the message names the file, the key and both lines."""


def load(text: str, name: str) -> tuple[Any, dict[str, str]]:
    """(the data safe_load gives, each boolean's dotted path → the word written);
    DuplicateKey for a key given twice, yaml.YAMLError for text that is not YAML."""
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    spelt: dict[str, str] = {}
    if root is not None:
        _walk(root, "", name, spelt)
    return yaml.safe_load(text), spelt


def shown(value: Any, spelt: str | None = None) -> str:
    """A value as a message names it: a boolean by the word the person wrote, with how
    YAML read it when that differs (`on (read as true)`); anything else as repr."""
    if not isinstance(value, bool):
        return repr(value)
    read = str(value).lower()
    word = spelt if spelt is not None else read
    return word if word.lower() == read else f"{word} (read as {read})"


def _walk(node: yaml.Node, path: str, name: str, spelt: dict[str, str]) -> None:
    if isinstance(node, yaml.ScalarNode):
        if node.tag == _BOOL:
            spelt[path] = str(node.value)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, f"{path}[{index}]", name, spelt)
    elif isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], yaml.Node] = {}
        for key, value in node.value:
            where = f"{path}.{key.value}" if path else str(key.value)
            if isinstance(key, yaml.ScalarNode):
                first = seen.setdefault((key.tag, key.value), key)
                if first is not key:
                    raise DuplicateKey(
                        f"{name}: line {key.start_mark.line + 1}: {where} is given twice "
                        f"(first on line {first.start_mark.line + 1}); YAML keeps only the "
                        "last one, so delete the one you do not mean")
            _walk(value, where, name, spelt)
