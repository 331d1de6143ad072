"""/timeout <svc> <d> [retries <n> [per <d>] [on <conditions>]] | off — bound how long a request may take, and retry it.

The timeout covers the whole request, retries included. `retries 2` tries a failed
request twice more, each try bounded by `per`, on the conditions listed after `on`
(Envoy's retry conditions, like 5xx,reset,connect-failure, or status codes like 503).
Without `retries` the mesh's default retries apply; `retries 0` turns retries off.
`off` removes the timeout and the retries.

Alias: 超时
Examples:
    /timeout svc-user 3s
    /timeout svc-user 3s retries 2 per 1s on 5xx,reset,connect-failure
    /timeout svc-user 500ms retries 0
    /timeout svc-user off
    超时 svc-user 2s retries 3 on gateway-error,503 --env prod
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

import re

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Timeout

USAGE = kinds.TIMEOUT.usage
_OPTIONS = ("per", "on")
# The retry conditions istiod accepts on every supported Istio version.
CONDITIONS = (
    "5xx", "gateway-error", "reset", "connect-failure", "envoy-ratelimited", "retriable-4xx",
    "refused-stream", "retriable-status-codes", "retriable-headers", "cancelled",
    "deadline-exceeded", "internal", "resource-exhausted", "unavailable",
)
_STATUS = re.compile(r"[1-5][0-9][0-9]")
# Retrying a request more often than this is a retry storm, not resilience.
_MAX_ATTEMPTS = 100


def parse(words: list[str]) -> Timeout:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("the timeout, like 3s, or off")
    if not any(char.isdigit() for char in words[1]):
        grammar.keyword(words[1], ("off",), "a timeout like 3s, or off")
        if len(words) > 2:
            raise grammar.unexpected(words[2:])
        return Timeout(service, "off")
    timeout = grammar.positive_duration(words[1])
    if len(words) == 2:
        return Timeout(service, "set", timeout)
    grammar.keyword(words[2], ("retries",), 'the word "retries"')
    if len(words) == 3:
        raise grammar.missing("the number of retries after retries, like retries 2")
    attempts = grammar.count(words[3], "a number of retries", low=0, high=_MAX_ATTEMPTS)
    options = _options(words[4:])
    if attempts == 0 and options:
        raise UsageError("retries 0 turns retries off; leave out per and on")
    return Timeout(
        service, "set", timeout, attempts, per_try=options.get("per"), retry_on=options.get("on")
    )


def _options(words: list[str]) -> dict[str, str]:
    """`per <d>` and `on <conditions>` after the number of retries, in any order, once."""
    found: dict[str, str] = {}
    for at in range(0, len(words), 2):
        option = grammar.keyword(words[at], _OPTIONS, "per <duration> or on <conditions>")
        if option in found:
            raise UsageError(f"{option} is given twice; give it once")
        if at + 1 == len(words):
            raise grammar.missing(
                "the duration after per, like per 1s" if option == "per"
                else "the conditions after on, like on 5xx,reset"
            )
        value = words[at + 1]
        found[option] = grammar.positive_duration(value) if option == "per" else conditions(value)
    return found


def conditions(word: str) -> str:
    """A comma list of retry conditions: names Envoy knows, or HTTP status codes."""
    parts = word.lower().split(",") if word.isascii() else word.split(",")
    for part in parts:
        if not part:
            raise UsageError(f"{grammar.show(word)} has an empty condition between commas")
        if part in CONDITIONS or _STATUS.fullmatch(part):
            continue
        close = grammar.suggestion(part, CONDITIONS)
        hint = f'; did you mean "{close}"?' if close else f"; use {', '.join(CONDITIONS[:4])}, …"
        raise UsageError(f"{grammar.show(part)} is not a retry condition{hint}")
    if len(set(parts)) < len(parts):
        raise UsageError(f"{grammar.show(word)} names a condition twice; name each once")
    return ",".join(parts)


SPEC = CommandSpec.from_doc("timeout", __doc__, usage=USAGE, parse=parse, mutating=True)
