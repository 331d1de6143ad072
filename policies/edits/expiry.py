"""govbot's revert of time-boxed parts whose end has come (`policies.intents.Expire`).

Only a part whose `expires` is still the one the intent names is touched, so a part
someone set again since is left as it is: the fault section goes; a rate limit is put
back as it was before the time-boxed one (or goes, when there was none); a canary's
weight goes back (and the release loses its `expires`); a route entry goes, and the
`routes` list with its last entry. rego/rules/expiry.rego lets exactly such a change
through without approval when govbot asks for it.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> spec["fault"] = CommentedMap(enabled=True, expires="2026-11-27T10:30:00Z")
    >>> expire(spec, Expire("svc-user", fault="2026-11-27T10:30:00Z"),
    ...        Where("services/prod/demo/svc-user.yaml", "demo"))
    'expire svc-user: fault ended (set until 2026-11-27 10:30:00 UTC)'
    >>> "fault" in spec
    False
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from policies import units
from policies.edits import keep, timebox
from policies.edits.section import Where, section
from policies.intents import Expire


@dataclass(frozen=True)
class TimeBox:
    """One time-boxed part of a spec: `part` is its section (`fault`, `rateLimit`,
    `release`, `routes`), `expires` the text the document holds, `at` that time, and
    `what` the part in words (`fault`, `rate limit 10/1s`, `route header user=x → v2`)."""

    part: str
    expires: str
    at: datetime
    what: str


def time_boxes(spec: Mapping[str, Any]) -> list[TimeBox]:
    """Every time-boxed part of a plain spec, in document order; a part whose `expires`
    is no time is left out (the document checks report it)."""
    release, limit = _mapping(spec.get("release")), _mapping(spec.get("rateLimit"))
    found = _box("release", release, f"canary weight {release.get('canaryWeight', 0)}%")
    found += _box("rateLimit", limit,
                  f"rate limit {limit.get('requests', '?')}/{limit.get('per', '?')}")
    found += _box("fault", spec.get("fault"), "fault")
    routes = spec.get("routes")
    for route in routes if isinstance(routes, list) else []:
        if isinstance(route, Mapping):
            found += _box("routes", route, f"route {_route(route)}")
    return found


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _box(part: str, value: Any, what: str) -> list[TimeBox]:
    expires = value.get("expires") if isinstance(value, Mapping) else None
    at = timebox.moment(expires) if expires is not None else None
    return [TimeBox(part, str(expires), at, what)] if at is not None else []


def expire(spec: CommentedMap, intent: Expire, where: Where) -> str:
    """End each part the intent names whose `expires` it still holds; the summary lists
    them (`nothing ended` when every part changed since)."""
    ended = [text for text in (_fault(spec, intent), _rate_limit(spec, intent),
                               _release(spec, intent), *_routes(spec, intent)) if text]
    if not ended:
        return f"expire {intent.service}: nothing ended (changed since)"
    by = ", ".join(f"#{number}" for number in intent.set_by)
    return f"expire {intent.service}: " + "; ".join(ended) + (f" (set by {by})" if by else "")


def _holds(part: CommentedMap | None, expires: str | None) -> bool:
    return (part is not None and expires is not None and "expires" in part
            and str(part["expires"]) == expires)


def _until(expires: object) -> str:
    moment = timebox.moment(expires)
    return f"set until {units.utc_text(moment)}" if moment is not None else f"set until {expires}"


def _fault(spec: CommentedMap, intent: Expire) -> str:
    if not _holds(section(spec, "fault"), intent.fault):
        return ""
    keep.delete_key(spec, "fault")
    return f"fault ended ({_until(intent.fault)})"


def _rate_limit(spec: CommentedMap, intent: Expire) -> str:
    if not _holds(section(spec, "rateLimit"), intent.rate_limit):
        return ""
    if intent.rate_limit_before is None:
        keep.delete_key(spec, "rateLimit")
        return f"rate limit ended ({_until(intent.rate_limit)}), none before"
    earlier = _block(json.loads(intent.rate_limit_before))
    keep.set_key(spec, "rateLimit", earlier)
    rate = f"{earlier.get('requests', '?')}/{earlier.get('per', '?')}"
    return f"rate limit ended ({_until(intent.rate_limit)}), back to {rate}"


def _release(spec: CommentedMap, intent: Expire) -> str:
    release = section(spec, "release")
    if release is None or not _holds(release, intent.release):
        return ""
    weight = release.get("canaryWeight", 0)
    keep.set_key(release, "canaryWeight", intent.canary_weight_before)
    keep.delete_key(release, "expires")
    return (f"canary ended ({_until(intent.release)}), {weight}% → "
            f"{intent.canary_weight_before}%")


def _routes(spec: CommentedMap, intent: Expire) -> list[str]:
    routes = spec.get("routes")
    if not intent.routes or not isinstance(routes, CommentedSeq):
        return []
    ended = []
    for number in reversed(range(len(routes))):
        route = routes[number]
        if isinstance(route, CommentedMap) and any(_holds(route, e) for e in intent.routes):
            ended.append(f"route {number + 1} ({_route(route)}) ended "
                         f"({_until(route['expires'])})")
            keep.delete_item(routes, number)
    if ended and not routes:
        keep.delete_key(spec, "routes")
    return list(reversed(ended))


def _route(route: Mapping[str, Any]) -> str:
    """`header user=w_shenyu → v2`: a route entry in words."""
    match = route.get("match")
    match = match if isinstance(match, Mapping) else {}
    cookie, headers = match.get("cookie"), match.get("headers")
    if isinstance(cookie, Mapping):
        return f"cookie {cookie.get('name')}={cookie.get('value')} → {route.get('to')}"
    for header, rule in (headers.items() if isinstance(headers, Mapping) else ()):
        value = next(iter(rule.values()), "?") if isinstance(rule, Mapping) and rule else "?"
        return f"header {header}={value} → {route.get('to')}"
    return f"→ {route.get('to')}"


def _block(value: Any) -> Any:
    """Plain JSON data as round-trip nodes, so the document keeps its block style."""
    if isinstance(value, dict):
        return CommentedMap((key, _block(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_block(item) for item in value)
    return value
