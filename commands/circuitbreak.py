"""/circuitbreak <svc> 5xx=<n> interval=<d> eject=<d> [maxeject=<p>%] [maxconn=<n>] [pending=<n>] | off | on — eject failing pods and cap connections.

A pod that answers `5xx` server errors in a row, counted every `interval`, is taken out
of the load balancing for `eject` (longer each time it happens again), for at most
`maxeject` percent of the pods. `maxconn` and `pending` cap the connections to each pod
and the requests waiting for one. The settings can come in any order. `off` keeps them
but stops breaking circuits, `on` starts again.

Alias: 熔断
Examples:
    /circuitbreak svc-user 5xx=5 interval=30s eject=30s
    /circuitbreak svc-user 5xx=5 interval=10s eject=1m maxeject=50% maxconn=100 pending=10
    /circuitbreak svc-user off
    /circuitbreak svc-user on
    熔断 svc-user eject=30s 5xx=3 interval=5s --env prod
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

from collections.abc import Callable

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import CircuitBreak

USAGE = kinds.CIRCUITBREAK.usage
_MODES = ("off", "on")
_KEYS = ("5xx", "interval", "eject", "maxeject", "maxconn", "pending")
_REQUIRED = ("5xx", "interval", "eject")
# Envoy counts consecutive errors in a uint32.
_MAX_ERRORS = 4_294_967_295


def parse(words: list[str]) -> CircuitBreak:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("the settings, like 5xx=5 interval=30s eject=30s, or off or on")
    if "=" not in words[1] and words[1].lower() not in _KEYS:
        mode = grammar.keyword(words[1], _MODES, "a setting like 5xx=5, off or on")
        if len(words) > 2:
            raise grammar.unexpected(words[2:])
        return CircuitBreak(service, "off" if mode == "off" else "on")
    given = _settings(words[1:])
    absent = [key for key in _REQUIRED if key not in given]
    if absent:
        raise grammar.missing(
            " and ".join(f"{key}=" for key in absent)
            + " (5xx, interval and eject are required, like 5xx=5 interval=30s eject=30s)"
        )
    return CircuitBreak(
        service,
        "set",
        consecutive_5xx=grammar.count(given["5xx"], "a number of errors", high=_MAX_ERRORS),
        interval=grammar.positive_duration(given["interval"]),
        ejection=grammar.positive_duration(given["eject"]),
        max_ejection_percent=_optional(given, "maxeject", grammar.percent),
        max_connections=_optional(given, "maxconn", _connections),
        max_pending=_optional(given, "pending", _pending),
    )


def _settings(words: list[str]) -> dict[str, str]:
    """`key=value` words by key; each key once."""
    given: dict[str, str] = {}
    for word in words:
        key, equals, value = word.partition("=")
        if not equals:
            raise UsageError(f"{grammar.show(word)} is not a setting: write key=value, like 5xx=5")
        key = grammar.keyword(key, _KEYS, "a setting (" + ", ".join(_KEYS) + ")")
        if key in given:
            raise UsageError(f"{key}= is given twice; give it once")
        if not value:
            raise grammar.missing(f"the value after {key}=")
        given[key] = value
    return given


def _optional(given: dict[str, str], key: str, parse_value: Callable[[str], int]) -> int | None:
    return parse_value(given[key]) if key in given else None


def _connections(word: str) -> int:
    return grammar.count(word, "a number of connections")


def _pending(word: str) -> int:
    return grammar.count(word, "a number of pending requests")


SPEC = CommandSpec.from_doc("circuitbreak", __doc__, usage=USAGE, parse=parse, mutating=True)
