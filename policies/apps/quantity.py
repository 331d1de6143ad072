"""Kubernetes quantities (`500m`, `1.5Gi`, `2`, `1e3`): exact parsing and short formatting.

The catalog's bounds, an AppDeployment's sizes and the quota arithmetic all read
quantities through `parse`, which gives an exact `Fraction` (no float rounding: `0.1` CPU
is 1/10, not 0.1000000000000000055). `cpu` and `size` write a value back the way people
write it: whole cores or millicores for CPU, the largest binary suffix that keeps a whole
number for bytes.

Example:
    >>> parse("1.5Gi") == 3 * 2**29
    True
    >>> cpu(parse("250m") * 6), size(parse("512Mi") * 3)
    ('1500m', '1536Mi')
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any

_QUANTITY = re.compile(r"([+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
                       r"(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?[0-9]+)?")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Fraction(1, 10**9), "u": Fraction(1, 10**6), "m": Fraction(1, 1000),
            "k": Fraction(10**3), "M": Fraction(10**6), "G": Fraction(10**9),
            "T": Fraction(10**12), "P": Fraction(10**15), "E": Fraction(10**18)}
EXAMPLES = "like 500m, 2, 512Mi or 1.5Gi"


def is_quantity(value: Any) -> bool:
    """A Kubernetes quantity written as text (or a plain number), not negative."""
    try:
        return parse(value) >= 0
    except ValueError:
        return False


def parse(value: Any) -> Fraction:
    """The exact amount of a quantity; ValueError when `value` is not one.

    A YAML number (`cpu: 2`) is a quantity too; a boolean is not.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a quantity {EXAMPLES}")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(str(value))
    found = _QUANTITY.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise ValueError(f"{value!r} is not a quantity {EXAMPLES}")
    number, suffix = found.groups()
    amount = Fraction(number)
    if suffix is None:
        return amount
    if suffix in _BINARY:
        return amount * _BINARY[suffix]
    if suffix in _DECIMAL:
        return amount * _DECIMAL[suffix]
    return amount * Fraction(10) ** int(suffix[1:])


def cpu(amount: Fraction) -> str:
    """CPU as whole cores (`2`) or millicores (`1500m`), rounded up to a millicore."""
    milli = math.ceil(amount * 1000)
    return str(milli // 1000) if milli % 1000 == 0 else f"{milli}m"


def size(amount: Fraction) -> str:
    """Bytes with the largest binary suffix that keeps a whole number (`1536Mi`, `2Gi`),
    else plain bytes rounded up."""
    whole = math.ceil(amount)
    for suffix in ("Ei", "Pi", "Ti", "Gi", "Mi", "Ki"):
        unit = _BINARY[suffix]
        if whole and whole % unit == 0:
            return f"{whole // unit}{suffix}"
    return str(whole)
