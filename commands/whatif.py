"""/whatif ratelimit <svc> <n>/<duration> — what a rate limit would have rejected in the last 24h.

The service's request rate of the last 24 hours, from Prometheus, is replayed minute by
minute against the proposed limit: one token bucket per pod, the traffic shared evenly
by the pods. The answer says how many requests it would have rejected and when.

Alias: 假如
Examples:
    /whatif ratelimit svc-user 500/5s
    假如 ratelimit svc-user 20/1s --env prod
"""

from __future__ import annotations

from commands import grammar
from commands.spec import CommandSpec
from policies.intents import WhatIf

USAGE = "/whatif ratelimit <svc> <n>/<duration>"


def parse(words: list[str]) -> WhatIf:
    if not words:
        raise grammar.missing("what to try: ratelimit")
    grammar.keyword(words[0], ("ratelimit",), 'the word "ratelimit"')
    if len(words) == 1:
        raise grammar.missing("the service name")
    service = grammar.service(words[1])
    if len(words) == 2:
        raise grammar.missing("the rate: <n>/<duration> like 500/5s")
    requests, per = grammar.rate(words[2])
    if len(words) > 3:
        raise grammar.unexpected(words[3:])
    return WhatIf(service, requests, per)


SPEC = CommandSpec.from_doc("whatif", __doc__, usage=USAGE, parse=parse, mutating=False)
