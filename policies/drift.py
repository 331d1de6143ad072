"""Drift: where the live objects of a service differ from what main renders. Pure, no I/O.

`/drift` and `/status` give `drift` the objects main renders for one policy document and
the objects the cluster holds with that document's `govbot.dev/source` label. Only what
govbot owns counts:

- a mapping counts only the keys main renders: labels, annotations and fields other
  managers or the API server add (`resourceVersion`, `uid`, `managedFields`, defaults) are
  not drift;
- a list counts whole, item by item (govbot's lists are atomic under server-side apply,
  so an extra route someone added is drift: the next apply removes it);
- `status` and the server's metadata never count, even if a rendered object had them;
- an object main renders that the cluster lacks, and a labelled object main no longer
  renders, are drift too.

Example:
    >>> main = {"kind": "VirtualService", "metadata": {"name": "svc-user"},
    ...         "spec": {"http": [{"route": [{"weight": 80}, {"weight": 20}]}]}}
    >>> live = {"kind": "VirtualService", "metadata": {"name": "svc-user", "uid": "u-1"},
    ...         "spec": {"http": [{"route": [{"weight": 50}, {"weight": 50}]}]}}
    >>> [str(d) for d in drift([main], [live])]
    ['VirtualService/svc-user .spec.http[0].route[0].weight: live 50, main 80', \
'VirtualService/svc-user .spec.http[0].route[1].weight: live 50, main 20']
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

# Fields the API server writes; they are never govbot's, even where main would name them.
SERVER_METADATA: Final = frozenset({
    "resourceVersion", "uid", "managedFields", "creationTimestamp", "generation",
    "selfLink", "deletionTimestamp", "deletionGracePeriodSeconds"})
SERVER_FIELDS: Final = frozenset({"status"})
SHOWN = 80  # characters of a value shown in chat
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _Absent:
    """The value on a side that does not have the field (or the object)."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT: Final = _Absent()


@dataclass(frozen=True)
class Difference:
    """One field that differs: `path` is empty when a whole object is missing on a side."""

    object: str          # `VirtualService/svc-user`
    path: str            # `.spec.http[0].route[1].weight`
    live: Any            # ABSENT when the cluster lacks it
    main: Any            # ABSENT when main does not render it

    def __str__(self) -> str:
        if not self.path and self.live is ABSENT:
            return f"{self.object}: main renders it, the cluster has none"
        if not self.path and self.main is ABSENT:
            return f"{self.object}: in the cluster with govbot's labels, main renders none"
        return f"{self.object} {self.path}: live {shown(self.live)}, main {shown(self.main)}"


def drift(rendered: Sequence[Mapping[str, Any]],
          live: Sequence[Mapping[str, Any]]) -> list[Difference]:
    """Every difference between the objects main renders and the live ones of the same
    document, rendered objects first (in their order), then live objects main lacks."""
    by_name = {name_of(obj): obj for obj in live}
    found: list[Difference] = []
    for obj in rendered:
        found += compare(obj, by_name.pop(name_of(obj), None))
    return found + [Difference(name, "", obj, ABSENT) for name, obj in by_name.items()]


def compare(rendered: Mapping[str, Any], live: Mapping[str, Any] | None) -> list[Difference]:
    """The fields of one rendered object that the live object does not hold as main
    renders them; one difference for the whole object when it is not live."""
    name = name_of(rendered)
    if live is None:
        return [Difference(name, "", ABSENT, rendered)]
    mine = {k: v for k, v in rendered.items() if k not in SERVER_FIELDS}
    meta = mine.get("metadata")
    if isinstance(meta, Mapping):
        mine["metadata"] = {k: v for k, v in meta.items() if k not in SERVER_METADATA}
    return [Difference(name, path, there, wanted) for path, there, wanted in _walk(mine, live)]


def name_of(obj: Mapping[str, Any]) -> str:
    """`Kind/name` of an object."""
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, Mapping) else None
    return f"{obj.get('kind', '?')}/{name or '?'}"


def shown(value: Any) -> str:
    """A value as chat shows it: compact JSON, cut at SHOWN characters."""
    if value is ABSENT:
        return "absent"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "),
                      default=str)
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def _walk(wanted: Any, there: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """(path, live value, main value) of each place `there` differs from `wanted`."""
    if isinstance(wanted, Mapping):
        if not isinstance(there, Mapping):
            return [(path, there, wanted)]
        found: list[tuple[str, Any, Any]] = []
        for key, value in wanted.items():
            found += _walk(value, there.get(key, ABSENT), path + _key(str(key)))
        return found
    if isinstance(wanted, list):
        if not isinstance(there, list):
            return [(path, there, wanted)]
        found = []
        for index, value in enumerate(wanted):
            found += _walk(value, there[index] if index < len(there) else ABSENT,
                           f"{path}[{index}]")
        return found + [(f"{path}[{index}]", value, ABSENT)
                        for index, value in enumerate(there[len(wanted):], len(wanted))]
    return [] if _same(wanted, there) else [(path, there, wanted)]


def _same(a: Any, b: Any) -> bool:
    """Equal scalars, where `true` and `1` differ and `1` and `1.0` do not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and bool(a == b)


def _key(key: str) -> str:
    """`.spec` for a plain name, `["app.kubernetes.io/name"]` for any other key."""
    return f".{key}" if _NAME.match(key) else f"[{json.dumps(key, ensure_ascii=False)}]"
