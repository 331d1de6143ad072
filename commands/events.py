"""/events [<svc>] [since <d>] [kind <k>] [code <n>] [from <svc>] — the governance-event
audit log (circuit breaking, rate limiting, whitelist denials, timeouts, alerts), most
recent first: kind, service, namespace, time, count, response code and calling service.

Alias: 事件
Examples:
    /events
    /events svc-user since 1h code 503
    /events svc-user kind rate_limit from svc-order
    事件 since 24h kind circuit_break --env prod
"""

from __future__ import annotations

import re

from bot.core.errors import UsageError
from bot.core.events import GOVERNANCE_KINDS
from commands import grammar
from commands.spec import CommandSpec
from policies.intents import ListEvents

USAGE = "/events [<svc>] [since <d>] [kind <k>] [code <n>] [from <svc>]"
_FILTERS = ("since", "kind", "code", "from")
_SINCE = re.compile(r"[1-9][0-9]{0,4}[dhm]")


def parse(words: list[str]) -> ListEvents:
    rest = list(words)
    service = None
    if rest and rest[0].lower() not in _FILTERS:
        service = grammar.service(rest.pop(0))
    found: dict[str, str] = {}
    while rest:
        name = grammar.keyword(rest.pop(0), _FILTERS, "a filter (since, kind, code, from)")
        if name in found:
            raise UsageError(f"{name} is given twice")
        if not rest:
            raise grammar.missing(f"the value after {name}")
        found[name] = rest.pop(0)
    code = found.get("code")
    caller = found.get("from")
    return ListEvents(
        service=service,
        since=_since(found["since"]) if "since" in found else None,
        kind=grammar.keyword(found["kind"], GOVERNANCE_KINDS,
                             f"a kind of event ({', '.join(GOVERNANCE_KINDS)})")
        if "kind" in found else None,
        code=grammar.count(code, "a response code", 100, 599) if code is not None else None,
        caller=grammar.service(caller) if caller is not None else None)


def _since(word: str) -> str:
    if _SINCE.fullmatch(word.lower()):
        return word.lower()
    raise UsageError(f"{grammar.show(word)} is not how far back: use days, hours or minutes, "
                     "like 7d, 24h or 30m", usage=USAGE, example="/events svc-user since 1h")


SPEC = CommandSpec.from_doc("events", __doc__, usage=USAGE, parse=parse, mutating=False)
