"""Apply a policy intent to a ServicePolicy document: text in, text out, no I/O.

The workflow calls `apply` with the document's text on main (None when the service has no
document yet) and opens a pull request with `Edit.after_text`. Only the keys the intent
changes are touched: comments, key order and layout elsewhere survive, and a new key goes
at the end of its mapping, so the pull request's diff shows exactly the change.

Example:
    >>> edit = apply(Canary("svc-user", "set", 20), None, "prod", "demo")
    >>> edit.summary
    'canary svc-user 0% → 20% (new document)'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from bot.core.errors import InvalidDocument, UsageError, UserError
from policies import document
from policies.intents import Canary, PolicyIntent, RateLimit

_CANARY_USAGE = "/canary <svc> <0-100>% | promote | abort"
_RATELIMIT_USAGE = "/ratelimit <svc> <n>/<duration> [header <k>=<v>] | off | on"


@dataclass(frozen=True)
class Edit:
    """The document after the intent (None: deleted) and a one-line summary.

    `after_text` equal to the text given means there was nothing to change.
    """

    after_text: str | None
    summary: str


def apply(intent: PolicyIntent, before_text: str | None, env: str, namespace: str) -> Edit:
    """Apply `intent` to the document of its service in env/namespace."""
    path = document.service_path(env, namespace, intent.service)
    text = before_text
    if text is None:
        text = document.new_document(env, namespace, intent.service)
    doc = document.load(text, path)
    spec = doc.get("spec")
    if not isinstance(spec, CommentedMap):
        raise InvalidDocument(path, ["spec: required, a mapping of the service's settings"])
    before = document.to_plain(doc)
    match intent:
        case Canary():
            summary = _canary(spec, intent, path)
        case RateLimit():
            summary = _rate_limit(spec, intent)
        case _:
            # an intent whose document edit is not written yet: say so, change nothing
            raise UserError(f"/{intent.action} cannot change policy documents yet")
    if before_text is not None and document.same(before, doc):
        return Edit(before_text, summary)
    after_text = document.dump(doc, like=text)
    problems = document.validate(document.plain(after_text, path), path)
    if problems:
        raise InvalidDocument(path, problems)
    if before_text is None:
        summary += " (new document)"
    return Edit(after_text, summary)


def _canary(spec: CommentedMap, intent: Canary, path: str) -> str:
    name = intent.service
    versions = spec.get("versions")
    versions = versions if isinstance(versions, CommentedMap) else CommentedMap()
    release = spec.get("release")
    weight = release.get("canaryWeight", 0) if isinstance(release, CommentedMap) else 0
    canary, stable = versions.get("canary"), versions.get("stable")
    match intent.step:
        case "set":
            if intent.weight is None:
                raise UsageError("a canary weight is needed", _CANARY_USAGE, "/canary svc-user 20%")
            if canary is None:
                raise UserError(
                    f"{name} has no canary version (spec.versions has only stable {stable}); "
                    f"add `canary: <version>` under spec.versions in {path} first"
                )
            if weight == intent.weight:
                return f"canary {name} already at {weight}%"
            _set_weight(spec, intent.weight)
            return f"canary {name} {weight}% → {intent.weight}%"
        case "promote":
            if canary is None:
                raise UserError(
                    f"nothing to promote: {name} has no canary version "
                    f"(spec.versions has only stable {stable})"
                )
            if weight == 0:
                raise UserError(
                    f"nothing to promote: {name}'s canary {canary} gets 0% of traffic; "
                    f"send it some first, e.g. /canary {name} 10%"
                )
            _set(versions, "stable", canary)
            _delete(versions, "canary")
            _set_weight(spec, 0)
            return f"canary {name} promote {canary} (was {stable})"
        case "abort":
            if weight == 0:
                raise UserError(f"nothing to abort: {name}'s canary already gets 0% of traffic")
            _set_weight(spec, 0)
            return f"canary {name} abort {weight}% → 0%"


def _set_weight(spec: CommentedMap, weight: int) -> None:
    release = spec.get("release")
    if isinstance(release, CommentedMap):
        _set(release, "canaryWeight", weight)
    else:
        _set(spec, "release", CommentedMap(strategy="canary", canaryWeight=weight))


def _rate_limit(spec: CommentedMap, intent: RateLimit) -> str:
    name = intent.service
    limit = spec.get("rateLimit")
    if intent.mode == "set":
        return _set_rate_limit(spec, intent)
    if not isinstance(limit, CommentedMap):
        raise UserError(
            f"{name} has no rate limit to turn {intent.mode}; "
            f"set one first, e.g. /ratelimit {name} 500/5s"
        )
    enabled = intent.mode == "on"
    if limit.get("enabled", True) is enabled:
        return f"ratelimit {name} already {intent.mode}"
    _set(limit, "enabled", enabled)
    return f"ratelimit {name} {intent.mode}"


def _set_rate_limit(spec: CommentedMap, intent: RateLimit) -> str:
    if intent.requests is None or intent.per is None:
        example = "/ratelimit svc-user 500/5s"
        raise UsageError("a rate limit needs requests and a window", _RATELIMIT_USAGE, example)
    wanted = CommentedMap(enabled=True, requests=intent.requests, per=intent.per)
    rate = f"{intent.requests}/{intent.per}"
    if intent.header is not None:
        header, value = intent.header[0].lower(), intent.header[1]
        exact = CommentedMap(exact=value)
        wanted["match"] = CommentedMap(headers=CommentedMap([(header, exact)]))
        rate += f" header {header}={value}"
    limit = spec.get("rateLimit")
    if isinstance(limit, CommentedMap) and document.same(limit, wanted):
        return f"ratelimit {intent.service} already {rate}"
    if not isinstance(limit, CommentedMap):
        _set(spec, "rateLimit", wanted)
    else:
        for key, value in wanted.items():
            _set(limit, key, value)
        if "match" in limit and "match" not in wanted:
            _delete(limit, "match")
    return f"ratelimit {intent.service} {rate}"


# Comment lines below an entry belong, in ruamel, to the last scalar before them. When
# that entry is replaced, removed or stops being the last of its mapping, they are moved
# so that they stay where the human put them, between the same two lines.


def _set(mapping: CommentedMap, key: str, value: Any) -> None:
    """Set `key`, keeping comments; a new key goes at the end of the mapping."""
    if key in mapping and document.same(mapping[key], value):
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


def _delete(mapping: CommentedMap, key: str) -> None:
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
