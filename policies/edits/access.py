"""/whitelist on a document: `allowFrom`, the callers an ALLOW AuthorizationPolicy admits.

Callers are `<svc>` (the service's own namespace) or `<ns>/<svc>`; `<own ns>/<svc>` and
`<svc>` are the same caller, so neither is added twice.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> where = Where("services/prod/demo/svc-user.yaml", "demo")
    >>> whitelist(spec, Whitelist("svc-user", "allow", ("svc-index", "ops/svc-admin")), where)
    'whitelist svc-user allow svc-index, ops/svc-admin'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.errors import UsageError, UserError
from policies.edits import keep
from policies.edits.section import Names, Where, section, toggle
from policies.intents import Whitelist

_NAMES = Names("whitelist", "whitelist", "/whitelist {svc} allow svc-index")


def whitelist(spec: CommentedMap, intent: Whitelist, where: Where) -> str:
    namespace = where.namespace
    if intent.mode in ("off", "on"):
        return toggle(spec, "allowFrom", intent.mode, intent.service, _NAMES)
    if not intent.callers:
        raise UsageError("name at least one caller", example="/whitelist svc-user allow svc-index")
    if intent.mode == "allow":
        return _allow(spec, intent, namespace)
    return _remove(spec, intent, namespace)


def _same(a: str, b: str, namespace: str) -> bool:
    def full(caller: str) -> str:
        return caller if "/" in caller else f"{namespace}/{caller}"
    return full(str(a)) == full(str(b))


def _allow(spec: CommentedMap, intent: Whitelist, namespace: str) -> str:
    name, given = intent.service, ", ".join(intent.callers)
    allow = section(spec, "allowFrom")
    if allow is None:
        callers = CommentedSeq()
        for caller in intent.callers:
            if not any(_same(caller, c, namespace) for c in callers):
                callers.append(caller)
        keep.set_key(spec, "allowFrom", CommentedMap(enabled=True, callers=callers))
        return f"whitelist {name} allow {given}"
    callers = allow.get("callers")
    if not isinstance(callers, list):
        callers = CommentedSeq()
        keep.set_key(allow, "callers", callers)
    before, added = list(callers), 0
    for caller in intent.callers:
        if not any(_same(caller, c, namespace) for c in callers):
            keep.append_item(callers, caller)
            added += 1
    if not added and allow.get("enabled", True) is True:
        return f"whitelist {name} already allows {given}"
    keep.keep_flow_gap(allow, "callers", before)
    if allow.get("enabled", True) is not True:
        keep.set_key(allow, "enabled", True)
    return f"whitelist {name} allow {given}"


def _remove(spec: CommentedMap, intent: Whitelist, namespace: str) -> str:
    name = intent.service
    allow = section(spec, "allowFrom")
    callers = allow.get("callers") if allow is not None else None
    if allow is None or not isinstance(callers, CommentedSeq):
        raise UserError(f"{name} has no whitelist to remove callers from")
    listed = ", ".join(str(c) for c in callers) or "nobody"
    for caller in intent.callers:
        if not any(_same(caller, c, namespace) for c in callers):
            raise UserError(f"{caller} is not on {name}'s whitelist (it lists {listed}); "
                            "nothing to remove")
    left = [c for c in callers if not any(_same(c, g, namespace) for g in intent.callers)]
    if not left:
        raise UserError(
            f"removing {', '.join(intent.callers)} would leave {name}'s whitelist empty, "
            f"which admits nobody; to stop the whitelist use /whitelist {name} off")
    before = list(callers)
    for number in reversed(range(len(callers))):
        if callers[number] not in left:
            keep.delete_item(callers, number)
    keep.keep_flow_gap(allow, "callers", before)
    return f"whitelist {name} remove {', '.join(intent.callers)}"
