"""/ratelimit <svc> <n>/<duration> [header <k>=<v>] [shadow] [for <d>] | enforce | off | on — limit requests per pod.

`500/5s` lets each pod of the service take 500 requests per 5 seconds (Envoy's local
rate limit); with `header user=w_shenyu` only requests carrying that header count. The
window is from 50ms (the shortest interval Envoy refills at) to 24h.
`shadow` only counts what the limit would reject (nothing is rejected); `enforce` turns
a shadow limit on for real. `off` keeps the settings but stops limiting, `on` starts again.
`for 2h` time-boxes the limit (1s to a year, `for 7d` a week): when it ends, govbot merges a change of
its own that puts back the limit there was before (or none).

Alias: 限流
Examples:
    /ratelimit svc-user 500/5s
    /ratelimit svc-user 100/1m header user=w_shenyu
    /ratelimit svc-user 500/5s shadow
    /ratelimit svc-user 50/1s for 2h
    /ratelimit svc-user enforce
    /ratelimit svc-user off
    /ratelimit svc-user on
    限流 svc-user 20/1s --env prod --ns demo
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import RateLimit

USAGE = kinds.RATELIMIT.usage
_MODES = ("off", "on", "enforce")


def parse(words: list[str]) -> RateLimit:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("the rate: <n>/<duration> like 500/5s, or off or on")
    if not any(char.isdigit() or char == "/" for char in words[1]):
        mode = grammar.keyword(words[1], _MODES, "a rate like 500/5s, enforce, off or on")
        if len(words) > 2:
            raise grammar.unexpected(words[2:])
        return RateLimit(service, "off" if mode == "off" else
                         "enforce" if mode == "enforce" else "on")
    requests, per = grammar.rate(words[1])
    rest, duration = grammar.time_box(words[2:])
    shadow = bool(rest) and rest[-1].lower() == "shadow"
    if shadow:
        rest = rest[:-1]
    return RateLimit(service, "set", requests, per, header=_header(rest), shadow=shadow,
                     duration=duration)


def _header(words: list[str]) -> tuple[str, str] | None:
    """`header k=v` after the rate; header names are case-insensitive, so lower-cased."""
    if not words:
        return None
    if "=" in words[0]:
        raise UsageError(f'write "header" before {grammar.show(words[0])}: header {words[0]}')
    grammar.keyword(words[0], ("header",), 'the word "header"')
    if len(words) == 1:
        raise grammar.missing("<k>=<v> after header, like header user=w_shenyu")
    key, value = grammar.key_value(words[1])
    if len(words) > 2:
        raise grammar.unexpected(words[2:])
    return key.lower(), value


SPEC = CommandSpec.from_doc("ratelimit", __doc__, usage=USAGE, parse=parse, mutating=True)
