"""/fault <svc> abort <code> <p>% [for <d>] | delay <d> <p>% [for <d>] | abort off | delay off | on | off — inject errors or delays to test resilience.

`abort 503 10%` answers one request in ten with a 503 instead of calling the service;
`delay 2s 5%` holds one request in twenty for two seconds. Abort and delay are set one
at a time and can run together. `for 30m` ends the fault 30 minutes after the change is
applied; without it the fault stays until `off`, and prod refuses a fault without one.
One `for` ends both: the reply says what the fault holds and when it ends.
`off` keeps the settings but stops injecting, `on` starts again; `abort off` and
`delay off` stop one and keep the other. Percents may have decimals (0.5%) and must be
above 0.

Alias: 故障注入
Examples:
    /fault svc-user abort 503 10% for 30m
    /fault svc-user delay 2s 5% for 30m
    /fault svc-user abort 500 0.5% for 1h
    /fault svc-user abort off
    /fault svc-user delay off
    /fault svc-user off
    /fault svc-user on
    故障注入 svc-user delay 500ms 50% --env dev
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Fault

USAGE = kinds.FAULT.usage
_MODES = ("abort", "delay", "on", "off")
_NEEDS = {
    "abort": "the status code and percent, like abort 503 10%",
    "delay": "the delay and percent, like delay 2s 5%",
}


def parse(words: list[str]) -> Fault:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("abort <code> <p>%, delay <d> <p>%, on or off")
    mode = grammar.keyword(words[1], _MODES, "abort, delay, on or off")
    if mode in ("on", "off"):
        if len(words) > 2:
            raise grammar.unexpected(words[2:])
        return Fault(service, "on" if mode == "on" else "off")
    if len(words) == 2:
        raise grammar.missing(_NEEDS[mode] + ", or off")
    if words[2].lower() == "off":
        if len(words) > 3:
            raise grammar.unexpected(words[3:])
        return Fault(service, "off", part="abort" if mode == "abort" else "delay")
    if len(words) == 3:
        raise grammar.missing(f"the percent after {grammar.show(words[2])}, like 10%")
    # Each word is checked in the order typed, so the error names the first wrong one.
    if mode == "abort":
        status = _status(words[2])
        percent = _percent(words[3])
        return Fault(service, "abort", percent, http_status=status, duration=_for(words[4:]))
    delay = grammar.positive_duration(words[2])
    percent = _percent(words[3])
    return Fault(service, "delay", percent, delay=delay, duration=_for(words[4:]))


def _status(word: str) -> int:
    """An HTTP status to answer with: 200 to 599 (Istio's range)."""
    try:
        return grammar.count(word, "an HTTP status code", low=200, high=599)
    except UsageError:
        raise UsageError(
            f"{grammar.show(word)} is not an HTTP status code: use 200 to 599, like 503"
        ) from None


def _percent(word: str) -> float:
    """The share of requests hit: above 0, since a fault on no request tests nothing."""
    percent = grammar.fine_percent(word)
    if percent == 0:
        raise UsageError(
            f"{grammar.show(word)}: a 0% fault does nothing; use a percent above 0, "
            "like 10% or 0.5%, or off to stop the fault"
        )
    return percent


def _for(words: list[str]) -> str | None:
    """`for <d>` at the end: how long the fault lasts."""
    if not words:
        return None
    grammar.keyword(words[0], ("for",), '"for" and a duration, like for 30m')
    if len(words) == 1:
        raise grammar.missing("the duration after for, like for 30m")
    if len(words) > 2:
        raise grammar.unexpected(words[2:])
    return grammar.time_box_length(words[1])


SPEC = CommandSpec.from_doc("fault", __doc__, usage=USAGE, parse=parse, mutating=True)
