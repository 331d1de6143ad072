"""/canary and /bluegreen on a document: the release section and the versions.

A canary sends `canaryWeight` percent to versions.canary; blue-green sends everything to
`active`. `/bluegreen` switches a service to blue-green, `/canary <svc> N%` back.
`/canary <svc> N% to <version>` names the canary version too, which starts the next
canary after a promote (promote makes the canary stable and leaves no canary version).
A document has no `release` until one of these commands writes it.

A progressive canary (`/canary <svc> 10% step 10 every 15m until 50% gate …`) writes its
plan under `release.progressive`; govbot's own steps change only `canaryWeight`, and
`abort` and `promote` remove the plan. `for <d>` writes the absolute end of the weight
as `release.expires`, which the expiry job reads.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> where = Where("services/prod/demo/svc-user.yaml", "demo")
    >>> bluegreen(spec, BlueGreen("svc-user", "switch"), where)
    'bluegreen svc-user switch v1 → v2'
    >>> canary(spec, Canary("svc-user", "set", 20), where)
    'canary svc-user blue-green on v2 → canary 20%'
    >>> canary(spec, Canary("svc-user", "promote"), where)
    'canary svc-user promote v2 (was v1)'
    >>> canary(spec, Canary("svc-user", "set", 10, "v3"), where)
    'canary svc-user 0% → 10% to v3'
    >>> canary(spec, Canary("svc-user", "set", 20, step_by=10, every="15m", until=50,
    ...                     gate_p99="500ms"), where)
    'canary svc-user 10% → 20%, then +10 every 15m until 50%, gate p99 < 500ms'
    >>> canary(spec, Canary("svc-user", "abort"), where)
    'canary svc-user abort 20% → 0%; progressive plan ended'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import UsageError, UserError
from policies import units
from policies.checks import fields
from policies.edits import keep
from policies.edits.section import Where, section
from policies.intents import BlueGreen, Canary
from policies.status_lines import plan_text


def canary(spec: CommentedMap, intent: Canary, where: Where) -> str:
    path = where.path
    name = intent.service
    versions = section(spec, "versions") or CommentedMap()
    release = section(spec, "release") or CommentedMap()
    if release.get("strategy") == "blueGreen" and intent.step != "set":
        raise UserError(
            f"{name} is released blue-green with {release.get('active')} active; "
            f"/canary {name} {intent.step} works on a canary release: switch with "
            f"/bluegreen {name} to <version>, or go back to a canary with /canary {name} 0%"
        )
    if intent.version is not None and intent.step != "set":
        raise UsageError(f"`to <version>` goes with a weight, not with {intent.step}",
                         example="/canary svc-user 10% to v3")
    match intent.step:
        case "set":
            summary = _set(spec, versions, release, intent, path)
            return summary + _timing(spec, intent)
        case "promote":
            summary = _promote(spec, versions, release.get("canaryWeight", 0), name)
            return summary + _end_plan(spec)
        case "abort":
            weight = release.get("canaryWeight", 0)
            if weight == 0:
                raise UserError(f"nothing to abort: {name}'s canary already gets 0% of traffic")
            _set_weight(spec, 0)
            return f"canary {name} abort {weight}% → 0%" + _end_plan(spec)


def _timing(spec: CommentedMap, intent: Canary) -> str:
    """What a weight does over time: a progressive plan (`step … every … until …`), a time
    box (`for <d>`, written as the absolute `expires`), or neither. A plain weight keeps a
    plan (it goes on from the new weight) unless it is 0, and ends a time box."""
    release = section(spec, "release")
    assert release is not None  # _set always leaves one
    if intent.step_by is not None and intent.every is not None and intent.until is not None:
        keep.set_key(release, "progressive", plan_map(intent))
        _drop(release, "expires")
        return ", then " + plan_text(release["progressive"])
    if intent.duration is not None:
        if "progressive" in release:
            raise UserError(
                f"{intent.service} has a progressive canary ({plan_text(release['progressive'])}); "
                f"`for {intent.duration}` does not go with it: end it first with "
                f"/canary {intent.service} abort or promote, or pause it with "
                f"/canary {intent.service} pause")
        if intent.expires is None:
            raise ValueError("a time-boxed canary needs `expires`: resolve the intent first")
        keep.set_key(release, "expires", intent.expires)
        return f" for {intent.duration} (until {intent.expires})"
    _drop(release, "expires")
    return _end_plan(spec) if intent.weight == 0 else ""


def plan_map(intent: Canary) -> CommentedMap:
    """The `progressive` block of a plan, in the order the command names its parts."""
    plan = CommentedMap(step=intent.step_by, every=intent.every, until=intent.until)
    gate = CommentedMap()
    if intent.gate_success is not None:
        gate["successRate"] = intent.gate_success
    if intent.gate_p99 is not None:
        gate["p99"] = intent.gate_p99
    if gate:
        plan["gate"] = gate
    return plan


def _end_plan(spec: CommentedMap) -> str:
    """Remove a progressive plan and a time box: the release stands as it is."""
    release = section(spec, "release")
    if release is None:
        return ""
    _drop(release, "expires")
    if "progressive" not in release:
        return ""
    keep.delete_key(release, "progressive")
    return "; progressive plan ended"


def _drop(release: CommentedMap, key: str) -> None:
    if key in release:
        keep.delete_key(release, key)


def _set(spec: CommentedMap, versions: CommentedMap, release: CommentedMap, intent: Canary,
         path: str) -> str:
    name, weight = intent.service, intent.weight
    if weight is None:
        raise UsageError("a canary weight is needed", example="/canary svc-user 20%")
    to = _canary_version(versions, intent, path)
    if release.get("strategy") == "blueGreen":
        active = release.get("active")
        _to_canary(spec, weight)
        return f"canary {name} blue-green on {active} → canary {weight}%{to}"
    before = release.get("canaryWeight", 0)
    if "release" not in spec and weight == 0:
        _set_weight(spec, 0)
        return f"canary {name} at 0%{to}, all traffic to {versions.get('stable')}"
    if before == weight and not to:
        return f"canary {name} already at {weight}%"
    _set_weight(spec, weight)
    return f"canary {name} {before}% → {weight}%{to}"


def _canary_version(versions: CommentedMap, intent: Canary, path: str) -> str:
    """Set versions.canary to the version the command names; the summary's note of it.

    Without a version the document must have one already (promote removes it)."""
    name, wanted = intent.service, intent.version
    current, stable = versions.get("canary"), versions.get("stable")
    if wanted is None:
        if current is None:
            raise UserError(
                f"{name} has no canary version (spec.versions in {path} has only stable "
                f"{stable}); name the new one: /canary {name} {intent.weight}% to <version>"
            )
        return ""
    if not units.is_dns_label(wanted):
        raise UserError(f"canary version {wanted!r} of {name} is not {fields.LABEL_TEXT}; "
                        "it is the value of the pods' `version` label")
    if wanted == stable:
        raise UserError(
            f"{wanted} is {name}'s stable version; a canary needs another one, "
            f"e.g. /canary {name} {intent.weight}% to <new version>")
    if wanted == current:
        return ""
    keep.set_key(versions, "canary", wanted)
    return f" to {wanted}" + (f" (canary was {current})" if current is not None else "")


def _promote(spec: CommentedMap, versions: CommentedMap, weight: int, name: str) -> str:
    new, stable = versions.get("canary"), versions.get("stable")
    if new is None:
        raise UserError(
            f"nothing to promote: {name} has no canary version "
            f"(spec.versions has only stable {stable})"
        )
    if weight == 0:
        raise UserError(
            f"nothing to promote: {name}'s canary {new} gets 0% of traffic; "
            f"send it some first, e.g. /canary {name} 10%"
        )
    keep.set_key(versions, "stable", new)
    keep.delete_key(versions, "canary")
    _set_weight(spec, 0)
    return f"canary {name} promote {new} (was {stable})"


def _set_weight(spec: CommentedMap, weight: int) -> None:
    release = section(spec, "release")
    if release is not None:
        keep.set_key(release, "canaryWeight", weight)
    else:
        keep.set_key(spec, "release", CommentedMap(strategy="canary", canaryWeight=weight))


def _to_canary(spec: CommentedMap, weight: int) -> None:
    release = section(spec, "release")
    assert release is not None  # only called on a blue-green release
    keep.set_key(release, "strategy", "canary")
    keep.set_key(release, "canaryWeight", weight)
    if "active" in release:
        keep.delete_key(release, "active")


def bluegreen(spec: CommentedMap, intent: BlueGreen, where: Where) -> str:
    name = intent.service
    versions = section(spec, "versions") or CommentedMap()
    release = section(spec, "release")
    stable, new = versions.get("stable"), versions.get("canary")
    blue_green = release is not None and release.get("strategy") == "blueGreen"
    current = release.get("active", stable) if release is not None and blue_green else stable
    if intent.mode == "switch":
        if new is None:
            raise UserError(
                f"{name} has only one version ({stable}); add `canary: <version>` under "
                "spec.versions to have something to switch to"
            )
        target = new if current == stable else stable
    else:
        if intent.version is None:
            raise UsageError("a version is needed", example="/bluegreen svc-user to v2")
        target = version_of(versions, intent.version, name)
    if blue_green and current == target:
        return f"bluegreen {name} already on {target}"
    source = current if blue_green else _split(release, stable, new)
    if release is None:
        keep.set_key(spec, "release", CommentedMap(strategy="blueGreen", active=target))
    else:
        keep.set_key(release, "strategy", "blueGreen")
        keep.set_key(release, "active", target)
    if intent.mode == "switch":
        return f"bluegreen {name} switch {source} → {target}"
    if source == target:
        return f"bluegreen {name} to {target}: all traffic stays on {target}, now blue-green"
    return f"bluegreen {name} to {target}: {source} → {target}"


def _split(release: CommentedMap | None, stable: object, new: object) -> str:
    """Where a canary release sends traffic: `v1`, or `v1 50% / v2 50%`."""
    weight = release.get("canaryWeight", 0) if release is not None and new is not None else 0
    if not isinstance(weight, int) or isinstance(weight, bool) or weight <= 0:
        return str(stable)
    if weight >= 100:
        return str(new)
    return f"{stable} {100 - weight}% / {new} {weight}%"


def version_of(versions: CommentedMap, wanted: str, name: str) -> str:
    """`wanted` as a version of the document; `stable` and `canary` name theirs."""
    known = {str(v) for k, v in versions.items() if k in ("stable", "canary")}
    if wanted in known:
        return wanted
    if wanted in ("stable", "canary") and wanted in versions:
        return str(versions[wanted])
    there = ", ".join(f"{k} {v}" for k, v in versions.items() if k in ("stable", "canary"))
    raise UserError(
        f"{name} has no version {wanted!r} (spec.versions: {there}); use one of them, "
        "or add the version under spec.versions first"
    )
