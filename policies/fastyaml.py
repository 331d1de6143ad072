"""Plain data of a policy document, read by LibYAML's C parser: the renderer's reader.

`policies.document.plain` gives the data the guard and the renderer read. Reading it
through ruamel's round-trip loader (which keeps comments for an edit) costs about 1.4 ms
a document; rendering 10,000 services reads 10,000. `load` here reads the same text with
PyYAML's C loader in a twentieth of that, and gives the same data as
`to_plain(document.load(text))`:

- scalars resolve as ruamel resolves them (YAML 1.2: `on`, `yes` and `no` are words, not
  booleans), by ruamel's own resolver;
- a scalar whose value the two libraries might read differently (an octal or hexadecimal
  int, `1_000`, `.inf`, a timestamp, a merge key `<<`), an explicit tag, a `%YAML`
  directive, a key given twice or text LibYAML refuses raise `Unsure`; the caller then
  reads the text the round-trip way, which gives today's data or today's error.

Example:
    >>> load("spec:\\n  port: 8080\\n  enabled: on\\n  weight: 0.5\\n")
    {'spec': {'port': 8080, 'enabled': 'on', 'weight': 0.5}}
    >>> load("a: 0x1f\\n")
    Traceback (most recent call last):
    ...
    policies.fastyaml.Unsure: a scalar LibYAML might read otherwise: '0x1f'
"""

from __future__ import annotations

import re
from typing import Any

import yaml
from ruamel.yaml.nodes import ScalarNode as RuamelScalar
from ruamel.yaml.resolver import VersionedResolver

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_UNSURE = "tag:govbot.dev,2026:unsure"
_DECIMAL = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOATING = re.compile(r"[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+|[0-9]+(?=[eE]))(?:[eE][-+]?[0-9]+)?")
_LOADER = getattr(yaml, "CSafeLoader", None)
# an explicit tag (`!!int`, `!custom`) where a node may start, or a `%YAML` directive
_DOUBT = re.compile(r"(?:^|[\s\[{,])!|^%", re.MULTILINE)


class Unsure(ValueError):
    """The text is not one this reader can promise to read as the round-trip loader does."""


_RUAMEL = VersionedResolver(version=(1, 2))
_RUAMEL.resolve(RuamelScalar, "0", (True, False))  # its tables built now, not by two threads


def _tag(value: str) -> str:
    """The tag ruamel's YAML 1.2 resolver gives a plain scalar, or `_UNSURE` when the
    value under it is one PyYAML might construct otherwise."""
    tag = str(_RUAMEL.resolve(RuamelScalar, value, (True, False)))
    if tag in (_STR, _NULL, _BOOL):
        return tag
    if tag == _INT and _DECIMAL.fullmatch(value):
        return tag
    if tag == _FLOAT and _FLOATING.fullmatch(value):
        return tag
    return _UNSURE


_TAGS: dict[str, str] = {}


def _scalar_tag(value: str) -> str:
    """`_tag`, remembered: documents repeat the same few words and numbers."""
    tag = _TAGS.get(value)
    if tag is None:
        tag = _tag(value)
        if len(_TAGS) < 10_000:
            _TAGS[value] = tag
    return tag


if _LOADER is not None:
    class _Loader(_LOADER):  # type: ignore[valid-type,misc]
        """LibYAML's parser; YAML 1.2 scalars; a key given twice or a doubt raises."""

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is yaml.ScalarNode:
                return _scalar_tag(value) if implicit[0] else _STR
            if kind is yaml.SequenceNode:
                return "tag:yaml.org,2002:seq"
            return "tag:yaml.org,2002:map"

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            mapping = super().construct_mapping(node, deep=deep)
            if len(mapping) != len(node.value):
                raise Unsure("a key given twice")
            return mapping

    def _unsure(loader: Any, node: Any) -> Any:
        raise Unsure(f"a scalar LibYAML might read otherwise: {node.value!r}")

    def _explicit(loader: Any, suffix: str, node: Any) -> Any:
        raise Unsure(f"an explicit tag {node.tag!r}")

    def _bool(loader: Any, node: Any) -> bool:
        return str(node.value).lower() == "true"

    def _int(loader: Any, node: Any) -> int:
        return int(node.value)

    def _float(loader: Any, node: Any) -> float:
        return float(node.value)

    _Loader.add_constructor(_UNSURE, _unsure)
    _Loader.add_constructor(_BOOL, _bool)
    _Loader.add_constructor(_INT, _int)
    _Loader.add_constructor(_FLOAT, _float)
    _Loader.add_constructor("tag:yaml.org,2002:timestamp", _unsure)
    _Loader.add_constructor("tag:yaml.org,2002:binary", _unsure)
    _Loader.add_constructor("tag:yaml.org,2002:omap", _unsure)
    _Loader.add_constructor("tag:yaml.org,2002:pairs", _unsure)
    _Loader.add_constructor("tag:yaml.org,2002:set", _unsure)
    _Loader.add_constructor(None, _unsure)
    _Loader.add_multi_constructor("!", _explicit)


def load(text: str) -> Any:
    """The data of `text`, as `to_plain` of ruamel's round trip gives it; Unsure when
    that cannot be promised (then read it the round-trip way). The text must have passed
    `bot.core.yamlcheck.check` (no aliases, bounded size)."""
    if _LOADER is None:
        raise Unsure("PyYAML was built without LibYAML")
    if _DOUBT.search(text):
        raise Unsure("a tag or a directive")
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as error:
        raise Unsure(f"LibYAML refused it: {error}") from error
