"""ServicePolicy documents: where they live, reading and writing them, checking them.

The workflow reads a document's text from the policy repository; `policies.edit` changes it
through `load` and `dump`, which keep a human's comments, key order, quotes and layout
(ruamel.yaml round trip), so a pull request's diff shows only the change. `plain` gives
the data the guard and the renderer read; `validate` names every problem by its field
(the field checks themselves live in `policies.checks`).

Example:
    >>> path = service_path("prod", "demo", "svc-user")
    >>> path
    'services/prod/demo/svc-user.yaml'
    >>> validate(plain(new_document("prod", "demo", "svc-user")), path)
    []
"""

from __future__ import annotations

import difflib
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap
from ruamel.yaml.error import YAMLError

from bot.core import yamlcheck
from bot.core.errors import InvalidDocument, UserError
from policies import fastyaml, kinds, units
from policies.checks import fields
from policies.values import same as same  # re-exported: the edits and tests compare with it
from policies.values import to_plain as to_plain  # re-exported too

API_VERSION = "govbot.dev/v1"
KIND = "ServicePolicy"

_PATH = re.compile(r"^services/([^/]+)/([^/]+)/([^/]+)\.yaml$")
# A `---` line before the content: ruamel drops it and any comment above it, so that
# part of the text is kept aside verbatim.
_START = re.compile(r"^---[ \t]*(#.*)?$")


def service_path(env: str, namespace: str, service: str) -> str:
    return f"services/{env}/{namespace}/{service}.yaml"


def parse_service_path(path: str) -> tuple[str, str, str] | None:
    """(env, namespace, service) of `services/<env>/<namespace>/<svc>.yaml`, else None.

    The parts are returned as written; `validate` says when one is not a DNS-1123 label.
    """
    found = _PATH.match(path)
    if found is None:
        return None
    env, namespace, service = found.groups()
    return env, namespace, service


def new_document(env: str, namespace: str, service: str) -> str:
    """The text of a new document with the defaults of a service that has none.

    It has no `release`: until /canary or /bluegreen sets one, govbot routes no traffic
    by version, so a first /ratelimit never depends on pods labelled `version: v1`.
    """
    for what, name in (("env", env), ("namespace", namespace), ("service", service)):
        if not units.is_dns_label(name):
            raise UserError(
                f"creating a policy document: {what} {name!r} is not a DNS-1123 label "
                "(lowercase letters, digits and '-', starting with a letter)"
            )
    return (
        f"# Governance policy of {service} in {env}/{namespace}.\n"
        "# It changes by pull request; comments and key order here survive govbot's edits.\n"
        f"apiVersion: {API_VERSION}\n"
        f"kind: {KIND}\n"
        "metadata:\n"
        f"  name: {service}\n"
        f"  namespace: {namespace}\n"
        f"  env: {env}\n"
        "spec:\n"
        "  port: 8080\n"
        "  selector:\n"
        f"    app: {service}\n"
        "  versions:\n"
        "    stable: v1\n"
        "    canary: v2\n"
    )


def closest(name: str, candidates: Iterable[str], cutoff: float = 0.6) -> str | None:
    """The candidate most like `name`, for a "did you mean"; None when none is close.

    Example:
        >>> closest("svc-usr", ["svc-user", "svc-pay"])
        'svc-user'
        >>> closest("billing", ["svc-user", "svc-pay"]) is None
        True
    """
    found = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=cutoff)
    return found[0] if found else None


def load(text: str, path: str = "document") -> CommentedMap:
    """The document as a round-trip mapping; InvalidDocument when it is not a YAML mapping,
    or is hostile (aliases, too large: `bot.core.yamlcheck`)."""
    try:
        yamlcheck.check(text, path)
    except yamlcheck.HostileYaml as error:
        raise InvalidDocument(path, [str(error).removeprefix(f"{path}: ")]) from error
    start, body = _split_start(text.replace("\r\n", "\n"))
    try:
        doc = _yaml(_Layout()).load(body)
    except YAMLError as error:
        problem = _yaml_problem(error, start.count("\n"))
        raise InvalidDocument(path, [f"not valid YAML: {problem}"]) from error
    if not isinstance(doc, CommentedMap):
        raise InvalidDocument(path, ["the document is not a mapping of fields"])
    return doc


def dump(doc: CommentedMap, like: str | None = None) -> str:
    """Text of `doc`. With `like` (the text it was loaded from), its layout is kept:
    indentation, sequence style, a leading `---`, line endings."""
    start, body = _split_start(like.replace("\r\n", "\n")) if like is not None else ("", "")
    out = io.StringIO()
    _yaml(_Layout.guess(body) if like is not None else _Layout()).dump(doc, out)
    text = start + out.getvalue()
    if like is not None and "\r\n" in like:
        text = text.replace("\n", "\r\n")
    if like is not None and like and not like.endswith("\n"):
        text = text.rstrip("\r\n")
    return text


def plain(text: str, path: str = "document") -> dict[str, Any]:
    """JSON-compatible data of a document (dicts, lists, str, int, float, bool, None).

    The same data as `to_plain(load(text))`, read by LibYAML (`policies.fastyaml`): the
    renderer reads every document, and never needs its comments. Text that reader cannot
    promise to read alike, and text that is not a valid document, goes through `load`,
    whose errors name the line."""
    try:
        yamlcheck.check(text, path)
        data = fastyaml.load(text)
    except (yamlcheck.HostileYaml, fastyaml.Unsure):
        data = None
    if not isinstance(data, dict):
        data = load(text, path)
    result: dict[str, Any] = to_plain(data)
    return result


def validate(data: Mapping[str, Any], path: str) -> list[str]:
    """Every problem of a document, each naming its field; [] when it is valid."""
    problems: list[str] = []
    parts = parse_service_path(path)
    if parts is None:
        problems.append(f"path: {path!r} is not services/<env>/<namespace>/<service>.yaml")
    else:
        problems += [
            f"path: {what} {name!r} is not {fields.LABEL_TEXT}"
            for what, name in zip(("env", "namespace", "service"), parts, strict=True)
            if not units.is_dns_label(name)
        ]
    problems += fields.unknown(data, ("apiVersion", "kind", "metadata", "spec"), "")
    if data.get("apiVersion") != API_VERSION:
        problems.append(f"apiVersion: {data.get('apiVersion')!r} is not {API_VERSION}")
    if data.get("kind") != KIND:
        problems.append(f"kind: {data.get('kind')!r} is not {KIND}")
    problems += _metadata(data.get("metadata"), parts, path)
    spec = data.get("spec")
    if not isinstance(spec, Mapping):
        return [*problems, "spec: required, a mapping of the service's settings"]
    return problems + kinds.spec_problems(spec)


@dataclass(frozen=True)
class _Layout:
    """How a document indents: mappings by `indent`, a `- ` sits `offset` past its key."""

    indent: int = 2
    offset: int = 2

    @classmethod
    def guess(cls, text: str) -> _Layout:
        indent: int | None = None
        offset: int | None = None
        key_column: int | None = None
        for line in text.splitlines():
            content = line.strip()
            if not content or content.startswith("#"):
                continue
            column = len(line) - len(line.lstrip(" "))
            if key_column is not None and column >= key_column:
                if content.startswith("- ") or content == "-":
                    offset = column - key_column if offset is None else offset
                elif column > key_column:
                    indent = column - key_column if indent is None else indent
            key_column = column if content.endswith(":") else None
        return cls(indent or 2, 2 if offset is None else offset)


def _yaml(layout: _Layout) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never fold a long line
    yaml.indent(mapping=layout.indent, sequence=layout.offset + 2, offset=layout.offset)
    # A value an edit puts in two places is written out twice, never as an anchor and
    # an alias: people read these documents, and govbot refuses aliases when it loads one.
    yaml.representer.ignore_aliases = lambda data: True
    return yaml


def _yaml_problem(error: YAMLError, lines_before: int) -> str:
    """`line 2 column 1: found duplicate key "a"` rather than ruamel's multi-line report."""
    mark, problem = getattr(error, "problem_mark", None), getattr(error, "problem", None)
    if mark is None or not problem:
        return " ".join(str(error).split())
    return f"line {lines_before + mark.line + 1} column {mark.column + 1}: {problem}"


def _split_start(text: str) -> tuple[str, str]:
    """(comments and `---` line before the content, the rest)."""
    lines = text.splitlines(keepends=True)
    for number, line in enumerate(lines):
        content = line.strip()
        if _START.match(content):
            return "".join(lines[: number + 1]), "".join(lines[number + 1 :])
        if content and not content.startswith(("#", "%")):
            break
    return "", text


def _metadata(meta: Any, parts: tuple[str, str, str] | None, path: str) -> list[str]:
    if not isinstance(meta, Mapping):
        return ["metadata: required, with name, namespace and env"]
    problems = []
    expected = dict(zip(("env", "namespace", "name"), parts or ("", "", ""), strict=True))
    for key in ("name", "namespace", "env"):
        value = meta.get(key)
        if value is None:
            problems.append(f"metadata.{key}: required (the path says {expected[key]!r})")
        elif parts is not None and value != expected[key]:
            problems.append(
                f"metadata.{key}: {value!r} disagrees with the path {path}, "
                f"which says {expected[key]!r}; the path decides"
            )
    annotations = meta.get("annotations")
    if annotations is not None and not (
            isinstance(annotations, Mapping)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in annotations.items())):
        problems.append("metadata.annotations: must be a mapping of texts, like "
                        "{govbot.dev/sync: \"2026-11-27T10:00:00Z\"}")
    return problems
