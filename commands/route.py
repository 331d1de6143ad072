"""/route <svc> header <k>=<v> [prefix|regex] -> <version> [for <d>] | cookie <k>=<v> -> <version> [for <d>] | clear — send matching requests to one version.

Requests whose header (or cookie) matches go to the version named, before the weighted
canary split; the first matching route wins. A header value matches exactly unless
`prefix` or `regex` (RE2 syntax) follows it; a cookie matches by its value. A new route
with the same match replaces the old one. `clear` removes every route. `for 1h`
time-boxes the route (1s to a year, `for 7d` a week): when it ends, govbot merges a change of its own
that removes it.

Alias: 路由
Examples:
    /route svc-user header user=w_shenyu -> v2
    /route svc-user header x-tenant=beta prefix -> v2
    /route svc-user header user=^w_.*$ regex → v2
    /route svc-user cookie user=w_shenyu -> v2
    /route svc-user header user=w_shenyu -> v2 for 1h
    /route svc-user clear
    路由 svc-user header user=w_shenyu -> v2 --env prod
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

import re
from dataclasses import replace
from typing import Literal

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds, units
from policies.intents import Route

USAGE = kinds.ROUTE.usage
_MODES = ("header", "cookie", "clear")
_MATCHES = ("exact", "prefix", "regex")
# Chat clients turn "->" into an em or en dash followed by ">", or into an arrow.
_ARROWS = ("->", "→", "—>", "–>")
# RFC 6265 cookie-octet: printable ASCII without space, '"', ",", ";" and "\".
_COOKIE_VALUE = re.compile(r"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+", re.ASCII)


def parse(words: list[str]) -> Route:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("header <k>=<v> -> <version>, cookie <k>=<v> -> <version> or clear")
    mode = grammar.keyword(words[1], _MODES, "header, cookie or clear")
    if mode == "clear":
        if len(words) > 2:
            raise grammar.unexpected(words[2:])
        return Route(service, "clear")
    rest, duration = grammar.time_box(words[2:])
    match_words, version = _split_arrow(rest, mode)
    if mode == "cookie":
        return replace(_cookie(service, match_words, version), duration=duration)
    return replace(_header(service, match_words, version), duration=duration)


def _split_arrow(words: list[str], mode: str) -> tuple[list[str], str]:
    """The words before `->` and the version after it."""
    at = next((i for i, word in enumerate(words) if word in _ARROWS), None)
    if at is None:
        glued = next((w for w in words if any(arrow in w for arrow in _ARROWS)), None)
        if glued is not None:
            raise UsageError(f"put spaces around the arrow in {grammar.show(glued)}: k=v -> v2")
        if not words:
            raise grammar.missing(f"<k>=<v> after {mode}, like {mode} user=w_shenyu")
        raise grammar.missing('"->" and the version, like -> v2')
    if at == 0:
        raise grammar.missing(f"<k>=<v> after {mode}, like {mode} user=w_shenyu")
    if at == len(words) - 1:
        raise grammar.missing('the version after "->", like -> v2')
    if at < len(words) - 2:
        raise grammar.unexpected(words[at + 2 :])
    return words[:at], grammar.version(words[at + 1])


def _header(service: str, words: list[str], version: str) -> Route:
    key, value = grammar.key_value(words[0])
    match: Literal["exact", "prefix", "regex"] = "exact"
    if len(words) > 1:
        match = _match_kind(words[1])
    if len(words) > 2:
        raise grammar.unexpected(words[2:])
    if match == "regex":
        _check_regex(value)
    # Istio refuses header names with capitals; HTTP header names ignore case anyway.
    return Route(service, "header", key.lower(), value, match, version)


def _match_kind(word: str) -> Literal["exact", "prefix", "regex"]:
    match grammar.keyword(word, _MATCHES, "prefix or regex"):
        case "prefix":
            return "prefix"
        case "regex":
            return "regex"
    return "exact"


def _cookie(service: str, words: list[str], version: str) -> Route:
    name, value = grammar.key_value(words[0])
    if len(words) > 1:
        if words[1].lower() in _MATCHES:
            raise UsageError(f"a cookie matches by its exact value; drop {grammar.show(words[1])}")
        raise grammar.unexpected(words[1:])
    if not _COOKIE_VALUE.fullmatch(value):
        raise UsageError(
            f"{grammar.show(value)} is not a cookie value: "
            'leave out spaces, quotes, ",", ";" and "\\"'
        )
    return Route(service, "cookie", name, value, "exact", version)


def _check_regex(pattern: str) -> None:
    """Refuse a pattern that is no regex or that RE2 (Envoy's regex engine) does not take."""
    problem = units.re2_problem(pattern)
    if problem is not None:
        raise UsageError(f"{grammar.show(pattern)} is not a regex Envoy takes: {problem}")


SPEC = CommandSpec.from_doc("route", __doc__, usage=USAGE, parse=parse, mutating=True)
