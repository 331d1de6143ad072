"""/route on a document: `routes`, the smart-routing rules matched before the default route.

A new route goes to the end (first match wins, so earlier routes keep priority); a route
with the identical match is replaced where it stands. A route set `for <d>` carries
`expires` on its entry (`spec.routes[i].expires`); the same route set again without `for`
loses it.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> where = Where("services/prod/demo/svc-user.yaml", "demo")
    >>> route(spec, Route("svc-user", "header", "User", "w_shenyu", version="v2"), where)
    'route svc-user header user=w_shenyu → v2'
    >>> route(spec, Route("svc-user", "clear"), where)
    'route svc-user clear (1 route)'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString

from bot.core.errors import UsageError, UserError
from policies import values
from policies.edits import keep, timebox
from policies.edits.release import version_of
from policies.edits.section import Where, section
from policies.intents import Route


def route(spec: CommentedMap, intent: Route, where: Where) -> str:
    name = intent.service
    routes = spec.get("routes")
    if intent.mode == "clear":
        if not isinstance(routes, list) or not routes:
            raise UserError(f"{name} has no routes to clear")
        keep.delete_key(spec, "routes")
        return f"route {name} clear ({len(routes)} route{'s' if len(routes) != 1 else ''})"
    if intent.key is None or intent.value is None or intent.version is None:
        raise UsageError("a route needs a key, a value and a version",
                         example="/route svc-user header user=w_shenyu -> v2")
    target = version_of(section(spec, "versions") or CommentedMap(), intent.version, name)
    match, text = _match(intent)
    wanted = CommentedMap(match=match, to=target)
    summary = f"route {name} {text} → {target}"
    ends = timebox.expiry(intent.duration, intent.expires,
                          f"/route {name} header user=w_shenyu -> v2 for 1h")
    if ends is not None:
        wanted["expires"] = DoubleQuotedScalarString(ends[0])
        summary += f" for {intent.duration} (until {ends[1]})"
    if not isinstance(routes, CommentedSeq):
        keep.set_key(spec, "routes", CommentedSeq([wanted]))
        return summary
    for number, existing in enumerate(routes):
        if isinstance(existing, CommentedMap) and values.same(existing.get("match"), match):
            already = f"route {name} already {text} → {target}" + (
                f" (until {ends[1]})" if ends is not None else "")
            return _replace(existing, wanted, number, summary, already)
    keep.append_item(routes, wanted)
    return summary


def _replace(existing: CommentedMap, wanted: CommentedMap, number: int, summary: str,
             already: str) -> str:
    """The route with the same match takes the new version and time box where it stands."""
    old, target = existing.get("to"), wanted["to"]
    ends = wanted.get("expires")
    if old == target and str(existing.get("expires")) == str(ends):
        return already
    keep.set_key(existing, "to", target)
    if ends is not None:
        keep.set_key(existing, "expires", ends)
    elif "expires" in existing:
        keep.delete_key(existing, "expires")
    return summary + (f" (was → {old}, route {number + 1})" if old != target
                      else f" (route {number + 1})")


def _match(intent: Route) -> tuple[CommentedMap, str]:
    assert intent.key is not None and intent.value is not None
    if intent.mode == "cookie":
        cookie = CommentedMap(name=intent.key, value=intent.value)
        return CommentedMap(cookie=cookie), f"cookie {intent.key}={intent.value}"
    header = intent.key.lower()
    rule = CommentedMap([(intent.match, intent.value)])
    how = "" if intent.match == "exact" else f" {intent.match}"
    text = f"header {header}={intent.value}{how}"
    return CommentedMap(headers=CommentedMap([(header, rule)])), text
