"""The parameters a catalog entry offers: their types, defaults, bounds, and where each goes.

A parameter is one of five types — `int`, `quantity`, `string`, `bool`, `enum` — with a
default and, for numbers and quantities, `min` and `max`. `to` says where the renderer
puts it: `replicas`, `storage` (the data volume's size), `requests.cpu`,
`requests.memory`, `limits.cpu`, `limits.memory`, `config.<key>` (the ConfigMap's file)
or `env.<NAME>` (the container's environment); `helm` names the chart values it sets in
GitOps mode (`primary.persistence.size`).

`check` says why a value from a document does not fit; `read` turns the text of
`set <k>=<v>` into the value a document holds, with the problem in words when it cannot.

Example:
    >>> memory = Parameter("memory", "quantity", "512Mi", low="256Mi", high="16Gi")
    >>> memory.read("1Gi")
    '1Gi'
    >>> memory.check("32Gi")
    'is above the maximum 16Gi'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from policies.apps import quantity

TYPES = ("int", "quantity", "string", "bool", "enum")
PLACES = ("replicas", "storage", "requests.cpu", "requests.memory", "limits.cpu",
          "limits.memory")
FIELDS = ("type", "description", "default", "min", "max", "values", "to", "helm")
_CONFIG_KEY = re.compile(r"config\.[A-Za-z0-9_][A-Za-z0-9_.-]*")
_ENV_NAME = re.compile(r"env\.[A-Za-z_][A-Za-z0-9_]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TRUE, _FALSE = ("true", "yes", "on"), ("false", "no", "off")
STRING_MAX = 253


@dataclass(frozen=True)
class Parameter:
    """One tunable of a catalog entry; `low` and `high` bound ints and quantities."""

    name: str
    type: str
    default: Any
    low: Any = None
    high: Any = None
    values: tuple[str, ...] = ()
    to: tuple[str, ...] = ()
    helm: tuple[str, ...] = ()
    description: str = ""

    def check(self, value: Any) -> str | None:
        """Why `value` does not fit this parameter (type, then bounds), or None; the
        problem follows the value (`'16Gx' is not a quantity …`)."""
        problem = self._type_problem(value)
        if problem is not None:
            return problem
        if self.type == "int":
            return _bounded(value, self.low, self.high, self.low, self.high)
        if self.type == "quantity":  # compared as amounts, shown as the catalog wrote them
            return _bounded(quantity.parse(value), _amount(self.low), _amount(self.high),
                            self.low, self.high)
        if self.type == "enum" and value not in self.values:
            return f"is not one of {', '.join(self.values)}"
        return None

    def read(self, text: str) -> Any:
        """The document value of `set <name>=<text>`; ValueError says what was wrong,
        relative to the text (`is above the maximum 16Gi`)."""
        value: Any = text
        if self.type == "int":
            if not re.fullmatch(r"[+-]?[0-9]+", text):
                raise ValueError("is not a whole number")
            value = int(text)
        elif self.type == "bool":
            if text.lower() not in _TRUE + _FALSE:
                raise ValueError("is not true or false")
            value = text.lower() in _TRUE
        problem = self.check(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    def bounds(self) -> str:
        """`256Mi-16Gi`, `one of a, b`, `true or false`, or `text`: what the store shows."""
        if self.type in ("int", "quantity") and self.low is not None and self.high is not None:
            return f"{self.low}-{self.high}"
        if self.type == "enum":
            return "one of " + ", ".join(self.values)
        if self.type == "bool":
            return "true or false"
        return {"int": "a whole number", "quantity": "a quantity"}.get(self.type, "text")

    def example(self, problem: str | None = None) -> str:
        """A value that fits: the bound a value crossed (`problem` says which), else the
        default."""
        if problem is not None and problem.startswith("is above"):
            return str(self.high)
        if problem is not None and problem.startswith("is below"):
            return str(self.low)
        return str(self.default).lower() if self.type == "bool" else str(self.default)

    def _type_problem(self, value: Any) -> str | None:
        if self.type == "int" and (isinstance(value, bool) or not isinstance(value, int)):
            return "is not a whole number"
        if self.type == "quantity" and not quantity.is_quantity(value):
            return f"is not a quantity {quantity.EXAMPLES}"
        if self.type == "bool" and not isinstance(value, bool):
            return "is not true or false"
        if self.type in ("string", "enum") and not isinstance(value, str):
            return "is not text"
        if self.type == "string" and (not value or len(value) > STRING_MAX
                                      or _CONTROL.search(value)):
            return f"is not a text of 1-{STRING_MAX} characters without control characters"
        return None


def _amount(value: Any) -> Any:
    return None if value is None else quantity.parse(value)


def _bounded(value: Any, low: Any, high: Any, low_text: Any, high_text: Any) -> str | None:
    if low is not None and value < low:
        return f"is below the minimum {low_text}"
    if high is not None and value > high:
        return f"is above the maximum {high_text}"
    return None


def parse(name: str, data: Any, where: str) -> tuple[Parameter | None, list[str]]:
    """The parameter `name` of a catalog entry and the problems of its definition, each
    starting with `where` (`parameters.memory`). With problems the parameter, when its
    type is known, is only good for knowing where it goes."""
    if not isinstance(data, Mapping):
        return None, [f"{where}: not a mapping of type, default, min, max, to"]
    problems = [f"{where}.{key}: unknown field; known fields: {', '.join(FIELDS)}"
                for key in data if key not in FIELDS]
    kind = data.get("type")
    if kind not in TYPES:
        return None, [*problems, f"{where}.type: {kind!r} is not one of {', '.join(TYPES)}"]
    values = data.get("values", [])
    if kind == "enum" and not (isinstance(values, list) and values
                               and all(isinstance(v, str) and v for v in values)):
        problems.append(f"{where}.values: an enum needs a list of texts, like [yes, no]")
        values = []
    for bound in ("min", "max"):
        if bound in data:
            problems += _bound_problems(kind, data[bound], f"{where}.{bound}")
    to = _texts(data.get("to", []), f"{where}.to", problems)
    problems += [f"{where}.to: {place!r} is not one of {', '.join(PLACES)}, config.<key> "
                 "or env.<NAME>" for place in to
                 if place not in PLACES and not _CONFIG_KEY.fullmatch(place)
                 and not _ENV_NAME.fullmatch(place)]
    helm = _texts(data.get("helm", []), f"{where}.helm", problems)
    bounded = not problems
    # with problems, the parameter still says where it goes (so no place looks unset)
    parameter = Parameter(name, kind, data.get("default"), data.get("min") if bounded else None,
                          data.get("max") if bounded else None, tuple(values), tuple(to),
                          tuple(helm), str(data.get("description", "")))
    if problems:
        return parameter, problems
    if _both(parameter) and _amount_of(parameter, parameter.low) > \
            _amount_of(parameter, parameter.high):
        return parameter, [f"{where}.min: {parameter.low} is above max {parameter.high}"]
    if "default" not in data:
        return parameter, [f"{where}.default: required"]
    problem = parameter.check(parameter.default)
    if problem is not None:
        return parameter, [f"{where}.default: {parameter.default!r} {problem}"]
    return parameter, []


def _both(parameter: Parameter) -> bool:
    return parameter.type in ("int", "quantity") and None not in (parameter.low, parameter.high)


def _amount_of(parameter: Parameter, value: Any) -> Any:
    return quantity.parse(value) if parameter.type == "quantity" else value


def _bound_problems(kind: str, value: Any, where: str) -> list[str]:
    if kind == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        return [f"{where}: {value!r} is not a whole number"]
    if kind == "quantity" and not quantity.is_quantity(value):
        return [f"{where}: {value!r} is not a quantity {quantity.EXAMPLES}"]
    if kind not in ("int", "quantity"):
        return [f"{where}: only int and quantity parameters have bounds"]
    return []


def _texts(value: Any, where: str, problems: list[str]) -> list[str]:
    """A text or a list of texts, as a list; a problem otherwise."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    problems.append(f"{where}: {value!r} is not a text or a list of texts")
    return []
