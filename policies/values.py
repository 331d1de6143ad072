"""Plain data of round-trip YAML values, and equality as data.

`policies.document` reads documents with ruamel.yaml, whose scalars are subclasses of the
builtins; the edits compare what a document holds with what an intent wants through
`same`, which this module keeps apart from `policies.document` so that the edits (and the
registry of policy kinds that names them) do not depend on the document module.

Example:
    >>> same(True, 1)
    False
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from ruamel.yaml.scalarbool import ScalarBoolean


def to_plain(value: Any) -> Any:
    """Plain data of a round-trip value: ruamel's scalar subclasses become builtins."""
    if isinstance(value, Mapping):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, ScalarBoolean):  # an anchored boolean, an int subclass
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def same(a: Any, b: Any) -> bool:
    """Equal as data, where `true` and `1` differ (Python's `True == 1` does not)."""
    return json.dumps(to_plain(a)) == json.dumps(to_plain(b))
