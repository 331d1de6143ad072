"""Refuse hostile YAML before any loader builds it: aliases, too many bytes, too many nodes.

A 737-byte "billion laughs" document expands to gigabytes once its aliases are resolved,
and a loader given it hangs or runs out of memory. govbot reads YAML written by people
(policy documents, govbot.yaml, access.yaml, the catalog, request bodies), never needs
aliases in them, and renders none. So every such text passes `check` first: it walks the
parser's events (LibYAML's C parser when present, which builds nothing) and stops at the
first alias, at `max_bytes`, at `max_nodes` or at `max_depth` levels of nesting (which
would exhaust a recursive loader's stack), naming the file, the line and the reason.

Example:
    >>> try:
    ...     check("a: &x [1]\\nb: *x\\n", "govbot.yaml")
    ... except HostileYaml as error:
    ...     print(error)
    govbot.yaml: line 2: YAML aliases (*x) are not accepted; write the value out
"""

from __future__ import annotations

import yaml

MAX_BYTES = 1_000_000
MAX_NODES = 100_000
MAX_DEPTH = 64

_Parser = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class HostileYaml(ValueError):
    """The text was refused before loading; the message names the file and the reason."""


def check(text: str, name: str, *, max_bytes: int = MAX_BYTES,
          max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> None:
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise HostileYaml(f"{name}: {size} bytes; govbot reads YAML files of at most "
                          f"{max_bytes} bytes")
    if _plainly_safe(text, max_nodes, max_depth):
        return
    nodes = depth = 0
    try:
        for event in yaml.parse(text, Loader=_Parser):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > max_depth:
                    line = event.start_mark.line + 1 if event.start_mark else 0
                    raise HostileYaml(f"{name}: line {line}: nested more than {max_depth} "
                                      "levels deep")
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            if isinstance(event, yaml.AliasEvent):
                line = event.start_mark.line + 1 if event.start_mark else 0
                raise HostileYaml(f"{name}: line {line}: YAML aliases (*{event.anchor}) are "
                                  "not accepted; write the value out")
            if isinstance(event, yaml.NodeEvent):
                nodes += 1
                if nodes > max_nodes:
                    raise HostileYaml(f"{name}: more than {max_nodes} YAML nodes; split it "
                                      "or shorten it")
    except yaml.YAMLError as error:
        if "nesting depth" in str(error):  # LibYAML's own bound, reached while scanning
            raise HostileYaml(f"{name}: nested more than {max_depth} levels deep") from None
        return  # not YAML at all: the loader that follows says where and why


def _plainly_safe(text: str, max_nodes: int, max_depth: int) -> bool:
    """Whether `text` cannot break a bound, without parsing it: an alias needs a `*`;
    every collection starts at one of `[ { - : ?`, so fewer of those than `max_depth`
    bound the nesting; and every node takes a character or an indicator (at most two
    empty nodes each), so a short text bounds the nodes. Most policy documents are such
    texts, and skip the walk."""
    if len(text) * 2 + 2 >= max_nodes or "*" in text:
        return False
    return sum(text.count(mark) for mark in "[{-:?") < max_depth
