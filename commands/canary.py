"""/canary <svc> <0-100>% [to <version>] [for <d> | step <n> every <d> until <p>% [gate success>=<p>% p99<<d>]] | promote | abort | pause | resume — steer traffic to the canary version.

A percent sends that share of the service's requests to its canary version; `to v3`
makes v3 the canary version in the same change, so a new build starts taking traffic
in one step. `for 30m` holds the weight for thirty minutes, then govbot reverts it.
`step 10 every 15m until 50%` is a progressive canary: govbot moves the weight 10
points more every 15 minutes, each step a change of its own, up to 50%, while the
optional gate holds on the canary's own traffic (`gate success>=99.5% p99<500ms`, either
condition alone too); a failing gate aborts to 0%. `pause` and `resume` stop and
continue the steps without a change. `promote` makes the canary the stable version,
`abort` sends all traffic back to stable; both end a progressive canary.

Alias: 灰度
Examples:
    /canary svc-user 20%
    /canary svc-user 10% to v3
    /canary svc-user 20% for 30m
    /canary svc-user 10% step 10 every 15m until 50% gate success>=99.5% p99<500ms
    /canary svc-user 10% step 10 every 15m until 50%
    /canary svc-user pause
    /canary svc-user resume
    /canary svc-user promote
    /canary svc-user abort
    灰度 svc-user 50% --env prod
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

from dataclasses import replace

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds, units
from policies.intents import Canary, CanaryControl

USAGE = kinds.CANARY.usage
_STEPS = ("promote", "abort", "pause", "resume")
_AFTER_WEIGHT = ("to", "for", "step")
_PLAN_EXAMPLE = "/canary svc-user 10% step 10 every 15m until 50%"
_GATE_EXAMPLE = "/canary svc-user 10% step 10 every 15m until 50% gate success>=99.5% p99<500ms"
# a time box longer than a year is a forgotten canary, not a plan
_LONGEST_FOR_MS = 366 * 24 * 3_600_000
# a step more often than every second could not even be scraped in between
_SHORTEST_EVERY_MS = 1_000


def parse(words: list[str]) -> Canary | CanaryControl:
    if not words:
        raise grammar.missing("the service name")
    service = grammar.service(words[0])
    if len(words) == 1:
        raise grammar.missing("the weight: a percent like 20%, or promote, abort, pause "
                              "or resume")
    intent = _step(service, words[1])
    if len(words) == 2:
        return intent
    if not isinstance(intent, Canary) or intent.step != "set":
        raise grammar.unexpected(words[2:])
    return _after_weight(intent, words[2:])


def _step(service: str, word: str) -> Canary | CanaryControl:
    # Anything with a digit or a sign is meant as a percent; say what is wrong with it.
    if any(char.isdigit() or char in "%-+." for char in word):
        return Canary(service, "set", weight=grammar.percent(word))
    if word.lower() in _AFTER_WEIGHT:
        raise UsageError(f"the weight comes before {word.lower()}: write the percent first, "
                         f"like 20% {word.lower()} …")
    match grammar.keyword(word, _STEPS, "a percent, promote, abort, pause or resume"):
        case "promote":
            return Canary(service, "promote")
        case "abort":
            return Canary(service, "abort")
        case "pause":
            return CanaryControl(service, "pause")
    return CanaryControl(service, "resume")


def _after_weight(intent: Canary, words: list[str]) -> Canary:
    """`[to <version>] [for <d> | step … every … until … [gate …]]`, in this order."""
    if grammar.suggestion(words[0], ("to", "for", "step")) == "to":
        intent = replace(intent, version=_to(words[:2]))
        words = words[2:]
    if not words:
        return intent
    # Only a word close to one of these gets a did-you-mean; anything else is just extra.
    if words[0].lower() not in ("for", "step") and not grammar.suggestion(
            words[0], ("for", "step")):
        raise grammar.unexpected(words)
    match grammar.keyword(words[0], ("for", "step"), '"for <duration>" or "step <n>"'):
        case "for":
            return replace(intent, duration=_for(words))
    return _plan(intent, words)


def _to(words: list[str]) -> str:
    """`to <version>` after the weight: the version that becomes the canary."""
    grammar.keyword(words[0], ("to",), 'the word "to"')
    if len(words) == 1:
        raise grammar.missing("the version after to, like to v3")
    return grammar.version(words[1])


def _for(words: list[str]) -> str:
    """`for <d>` at the end: how long the weight holds before govbot reverts it."""
    if len(words) == 1:
        raise grammar.missing("the duration after for, like for 30m")
    if words[2:]:
        if words[2].lower() == "step":
            raise UsageError("for and step do not go together: a progressive canary ends "
                             "at until, a time-boxed one after for; choose one",
                             example=_PLAN_EXAMPLE)
        raise grammar.unexpected(words[2:])
    return grammar.time_box_length(words[1])


def _plan(intent: Canary, words: list[str]) -> Canary:
    """`step <n> every <d> until <p>% [gate …]` after the weight."""
    start = intent.weight or 0
    step = _step_size(_value(words, 0, "step", "the number of points after step, like "
                                              "step 10"))
    every = _every(_value(_expect(words, 2, "every", "every <duration> after the step"),
                          2, "every", "the duration after every, like every 15m"))
    until = _until(_value(_expect(words, 4, "until", "until <percent> after every"),
                          4, "until", "the percent after until, like until 50%"), start)
    plan = replace(intent, step_by=step, every=every, until=until)
    rest = words[6:]
    if not rest:
        return plan
    if rest[0].lower() == "for":
        raise UsageError("for and step do not go together: a progressive canary ends at "
                         "until, a time-boxed one after for; choose one",
                         example=_PLAN_EXAMPLE)
    if rest[0].lower() != "gate" and not grammar.suggestion(rest[0], ("gate",)):
        raise grammar.unexpected(rest)
    grammar.keyword(rest[0], ("gate",), '"gate" and its conditions')
    return _gate(plan, rest[1:])


def _expect(words: list[str], index: int, word: str, what: str) -> list[str]:
    """`words`, after checking that `word` stands at `index`."""
    if len(words) <= index:
        raise UsageError(f"missing {what}", example=_PLAN_EXAMPLE)
    if words[index].lower() != word:
        close = grammar.suggestion(words[index], (word,))
        hint = f'; did you mean "{close}"?' if close else ""
        raise UsageError(f"{grammar.show(words[index])} is not {word}: a plan reads "
                         f"step <n> every <d> until <p>%{hint}", example=_PLAN_EXAMPLE)
    return words


def _value(words: list[str], index: int, word: str, what: str) -> str:
    if len(words) <= index + 1:
        raise UsageError(f"missing {what}", example=_PLAN_EXAMPLE)
    return words[index + 1]


def _step_size(word: str) -> int:
    size = grammar.count(word.removesuffix("%"), "a step", low=0, high=10**6)
    if size == 0:
        raise UsageError("step 0 would never move the canary: a step is 1 to 100 points, "
                         "like step 10", example=_PLAN_EXAMPLE)
    if size > 100:
        raise UsageError(f"step {size} is more than the 100 points a canary can move: use "
                         "1 to 100, like step 10", example=_PLAN_EXAMPLE)
    return size


def _every(word: str) -> str:
    every = grammar.positive_duration(word, longest_ms=_LONGEST_FOR_MS)
    if units.exact_ms(every) < _SHORTEST_EVERY_MS:
        raise UsageError(f"every {every} is too often: wait at least 1s between steps, like "
                         "every 15m", example=_PLAN_EXAMPLE)
    return every


def _until(word: str, start: int) -> int:
    number = word.removesuffix("%")
    if number.isdigit() and len(number) < 6 and int(number) > 100:
        raise UsageError(f"until {word} is above 100%: a canary gets at most all the "
                         "traffic; use until 100% or less", example=_PLAN_EXAMPLE)
    until = grammar.percent(word)
    if until <= start:
        raise UsageError(f"until {until}% is not above the start {start}%: a plan moves "
                         f"the canary up from {start}%; use until {min(100, start + 10)}% "
                         "or more", example=_PLAN_EXAMPLE)
    return until


_METRICS = ("success", "p99")


def _gate(plan: Canary, words: list[str]) -> Canary:
    """`success>=<p>%` and/or `p99<<d>`, once each."""
    if not words:
        raise UsageError("missing the gate's conditions after gate: success>=<p>% and/or "
                         "p99<<duration>", example=_GATE_EXAMPLE)
    for word in words:
        metric, operator, value = _condition(word)
        if metric == "success":
            if plan.gate_success is not None:
                raise UsageError("the gate names success twice; give it once",
                                 example=_GATE_EXAMPLE)
            plan = replace(plan, gate_success=_success(word, operator, value))
        else:
            if plan.gate_p99 is not None:
                raise UsageError("the gate names p99 twice; give it once",
                                 example=_GATE_EXAMPLE)
            plan = replace(plan, gate_p99=_p99(word, operator, value))
    return plan


def _condition(word: str) -> tuple[str, str, str]:
    """A gate condition split into metric, operator and value."""
    at = next((i for i, char in enumerate(word) if char in "<>="), len(word))
    metric = word[:at]
    operator = "".join(char for char in word[at:at + 2] if char in "<>=")
    value = word[at + len(operator):]
    if metric.lower() not in _METRICS:
        close = grammar.suggestion(metric, _METRICS)
        hint = f'; did you mean "{close}"?' if close else ""
        raise UsageError(f"{grammar.show(metric or word)} is not a gate metric: the gate "
                         "knows success>=<p>% (the share of requests that are not 5xx) and "
                         f"p99<<duration> (the 99th percentile latency){hint}",
                         example=_GATE_EXAMPLE)
    if not operator or not value:
        raise UsageError(f"{grammar.show(word)} is not a condition: write it in one word, "
                         "like success>=99.5% or p99<500ms", example=_GATE_EXAMPLE)
    return metric.lower(), operator, value


def _success(word: str, operator: str, value: str) -> float:
    if operator != ">=":
        raise UsageError(f"{grammar.show(word)}: success takes >=, the least share that "
                         "must succeed, like success>=99.5%", example=_GATE_EXAMPLE)
    try:
        share = grammar.fine_percent(value)
    except UsageError:
        raise UsageError(f"{grammar.show(word)}: success>= takes a percent from 0 to 100, "
                         "like success>=99.5%", example=_GATE_EXAMPLE) from None
    return share


def _p99(word: str, operator: str, value: str) -> str:
    if operator != "<":
        raise UsageError(f"{grammar.show(word)}: p99 takes <, the latency the 99th "
                         "percentile must stay under, like p99<500ms", example=_GATE_EXAMPLE)
    try:
        return grammar.positive_duration(value)
    except UsageError:
        raise UsageError(f"{grammar.show(word)}: {grammar.show(value)} is not a duration; "
                         "p99< takes a number and a unit (s, ms), like p99<500ms",
                         example=_GATE_EXAMPLE) from None


SPEC = CommandSpec.from_doc("canary", __doc__, usage=USAGE, parse=parse, mutating=True)
