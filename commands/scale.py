"""/scale <svc> min <n> max <n> cpu <p>% | on | off — scale the service's pods with their CPU use.

Kubernetes keeps between `min` and `max` pods and adds pods when their average CPU use
passes `cpu` percent of what they request. `off` keeps the numbers but stops scaling,
`on` starts again with them.

Alias: 伸缩
Examples:
    /scale svc-user min 2 max 10 cpu 70%
    /scale svc-user off
    /scale svc-user on
    伸缩 svc-user min 1 max 4 cpu 80% --env dev
"""

from __future__ import annotations

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds
from policies.intents import Scale

USAGE = kinds.SCALE.usage
_KEYS = ("min", "max", "cpu")
_MODES = ("on", "off")
_SAMPLE = {"min": "2", "max": "10", "cpu": "70%"}


def parse(words: list[str]) -> Scale:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("min <n> max <n> cpu <p>%, or on or off")
    # A word closer to on or off than to min, max or cpu is meant as a mode.
    if grammar.suggestion(words[1], (*_KEYS, *_MODES)) in _MODES:
        mode = grammar.keyword(words[1], _MODES, "min, max, cpu, on or off")
        if len(words) > 2:
            raise grammar.unexpected(words[2:])
        return Scale(service, "on" if mode == "on" else "off")
    given = _settings(words[1:])
    low = grammar.count(given["min"], "a number of pods")
    high = grammar.count(given["max"], "a number of pods")
    if high < low:
        raise UsageError(f"max {high} is below min {low}: max must be at least min")
    cpu = grammar.percent(given["cpu"])
    if cpu == 0:
        raise UsageError("cpu 0% would add pods forever: use a percent from 1 to 100, like 70%")
    return Scale(service, "set", low, high, cpu)


def _settings(words: list[str]) -> dict[str, str]:
    """`min <n> max <n> cpu <p>%` in any order, each once, all three."""
    given: dict[str, str] = {}
    for at in range(0, len(words), 2):
        key = grammar.keyword(words[at], _KEYS, "min, max or cpu")
        if key in given:
            raise UsageError(f"{key} is given twice; give it once")
        if at + 1 == len(words):
            raise grammar.missing(f"the number after {key}, like {key} {_SAMPLE[key]}")
        given[key] = words[at + 1]
    absent = [key for key in _KEYS if key not in given]
    if absent:
        raise grammar.missing(
            " and ".join(f"{key} <n>" for key in absent) + ", like min 2 max 10 cpu 70%"
        )
    return given


SPEC = CommandSpec.from_doc("scale", __doc__, usage=USAGE, parse=parse, mutating=True)
