"""Setting and deleting keys of a round-trip document without losing a human's comments.

Comment lines below an entry belong, in ruamel, to the last scalar before them. When
that entry is replaced, removed or stops being the last of its mapping, they are moved
so that they stay where the human put them, between the same two lines. The edits of
`policies.edits` change documents only through these functions.

Example:
    >>> from policies import document
    >>> doc = document.load("a: 1   # one\\n# between\\nb: 2\\n")
    >>> set_key(doc, "a", 10)
    >>> delete_key(doc, "b")
    >>> print(document.dump(doc, like="a: 1\\n"), end="")
    a: 10   # one
    # between
"""

from __future__ import annotations

from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from policies import values


def set_key(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set `key`, keeping comments; a new key goes at the end of the mapping."""
    if key in mapping and values.same(mapping[key], value):
        return
    old = mapping.get(key)
    if key in mapping:
        lines = _take_lines(mapping, key)
    else:
        # comments indented under the last entry stay with it; the rest follow the new key
        last = next(reversed(mapping), None)
        lines = _take_lines(mapping, last, mapping.lc.col) if last is not None else ""
    mapping[key] = value
    _give_lines(mapping, key, lines)
    if old is not None and not isinstance(old, dict | list) and not isinstance(value, dict | list):
        _keep_comment_gap(mapping, key, _width(old) - _width(value))


def _keep_comment_gap(mapping: CommentedMap, key: str, shrink: int) -> None:
    """After a changed value its comment keeps its distance from it, as in an editor,
    unless it is aligned with the comment of the line above or below: then its column."""
    token = _token(mapping, key, create=False)
    if token is None or not token.value.startswith("#") or shrink == 0:
        return
    keys = list(mapping)
    position = keys.index(key)
    for neighbour in keys[max(position - 1, 0) : position + 2]:
        other = _token(mapping, neighbour, create=False) if neighbour != key else None
        if other is not None and other.value.startswith("#") and other.column == token.column:
            return
    token.column = token.column - shrink


def _width(value: Any) -> int:
    """Characters of a scalar as YAML writes it (`True` and `true` are both four)."""
    quoted = isinstance(value, SingleQuotedScalarString | DoubleQuotedScalarString)
    return len(str(value)) + (2 if quoted else 0)


def delete_key(mapping: CommentedMap, key: str) -> None:
    keys = list(mapping)
    lines = _take_lines(mapping, key)
    del mapping[key]
    position = keys.index(key)
    if position > 0:
        _give_lines(mapping, keys[position - 1], lines)
    elif mapping and lines:
        # no entry above: the lines become the comment before the next key
        following = mapping.ca.items.setdefault(keys[1], [None, None, None, None])
        following[1] = [CommentToken(lines, CommentMark(0)), *(following[1] or [])]


def _slot(node: Any, key: Any) -> tuple[Any, Any]:
    """Container and key of the last scalar of the entry `node[key]`."""
    value = node[key]
    nested = isinstance(value, CommentedMap | CommentedSeq)
    if not nested or not value or value.fa.flow_style():
        return node, key
    last = next(reversed(value)) if isinstance(value, CommentedMap) else len(value) - 1
    return _slot(value, last)


def _token(node: Any, key: Any, create: bool) -> CommentToken | None:
    index = 2 if isinstance(node, CommentedMap) else 0
    entry = node.ca.items.get(key)
    if entry is None and create:
        entry = node.ca.items.setdefault(key, [None, None, None, None])
    if entry is None:
        return None
    if entry[index] is None and create:
        entry[index] = CommentToken("\n", CommentMark(0))
    token: CommentToken | None = entry[index]
    return token


def _take_lines(node: Any, key: Any, keep_deeper_than: int | None = None) -> str:
    """Detach the comment lines below the entry; its own end-of-line comment stays, and
    so do the first lines indented deeper than `keep_deeper_than`."""
    token = _token(*_slot(node, key), create=False)
    if token is None:
        return ""
    own, _, below = token.value.partition("\n")
    lines = below.splitlines(keepends=True)
    kept = 0
    if keep_deeper_than is not None:
        while kept < len(lines) and _indent(lines[kept]) > keep_deeper_than:
            kept += 1
    token.value = own + "\n" + "".join(lines[:kept])
    return "".join(lines[kept:])


def _indent(line: str) -> int:
    """Column of a comment line; a blank line counts as column 0."""
    return len(line) - len(line.lstrip(" ")) if line.strip() else 0


def _give_lines(node: Any, key: Any, lines: str) -> None:
    if lines:
        token = _token(*_slot(node, key), create=True)
        assert token is not None
        token.value += lines


def update(mapping: CommentedMap, wanted: CommentedMap, optional: tuple[str, ...] = ()) -> None:
    """Give `mapping` the values of `wanted` key by key (comments stay), and drop the
    `optional` keys that `wanted` leaves out."""
    for key, value in wanted.items():
        set_key(mapping, key, value)
    for key in optional:
        if key in mapping and key not in wanted:
            delete_key(mapping, key)


def put_section(spec: CommentedMap, key: str, wanted: CommentedMap,
                optional: tuple[str, ...] = ()) -> None:
    """Set the section `spec[key]` to `wanted`: updated in place when it is there."""
    section = spec.get(key)
    if isinstance(section, CommentedMap):
        update(section, wanted, optional)
    else:
        set_key(spec, key, wanted)


def keep_flow_gap(mapping: CommentedMap, key: str, before: list[Any]) -> None:
    """After a flow-style list (`[a, b]`) changed from `before`, its end-of-line comment
    keeps its distance from the closing bracket, as for a changed scalar."""
    value = mapping.get(key)
    if not isinstance(value, CommentedSeq) or not value.fa.flow_style():
        return
    shrink = _flow_width(before) - _flow_width(value)
    own = value.ca.comment[0] if value.ca.comment else None
    tokens = {id(t): t for t in (_token(mapping, key, create=False), own) if t is not None}
    for token in tokens.values():
        if token.value.startswith("#"):
            token.column = max(token.column - shrink, 0)


def _flow_width(items: list[Any]) -> int:
    return len("[" + ", ".join(str(item) for item in items) + "]")


def append_item(seq: CommentedSeq, value: Any) -> None:
    """Append to a list; comment lines below its last item stay below the list."""
    lines = _take_lines(seq, len(seq) - 1) if seq and not seq.fa.flow_style() else ""
    seq.append(value)
    _give_lines(seq, len(seq) - 1, lines)


def delete_item(seq: CommentedSeq, index: int) -> None:
    """Delete an item; the comment lines below it move to the item above."""
    lines = _take_lines(seq, index) if not seq.fa.flow_style() else ""
    del seq[index]
    if lines and index > 0:
        _give_lines(seq, index - 1, lines)
    elif lines and seq:
        # no item above: the lines become the comment before the list's new first item
        following = seq.ca.items.setdefault(0, [None, None, None, None])
        following[1] = [CommentToken(lines, CommentMark(0)), *(following[1] or [])]
