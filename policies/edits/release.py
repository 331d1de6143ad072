"""/canary and /bluegreen on a document: the release section and the versions.

A canary sends `canaryWeight` percent to versions.canary; blue-green sends everything to
`active`. `/bluegreen` switches a service to blue-green, `/canary <svc> N%` back.

Example:
    >>> from policies import document
    >>> spec = document.load(document.new_document("prod", "demo", "svc-user"))["spec"]
    >>> bluegreen(spec, BlueGreen("svc-user", "switch"))
    'bluegreen svc-user switch v1 → v2'
    >>> canary(spec, Canary("svc-user", "set", 20), "services/prod/demo/svc-user.yaml")
    'canary svc-user blue-green on v2 → canary 20%'
"""

from __future__ import annotations

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import UsageError, UserError
from policies.edits import keep
from policies.edits.section import section
from policies.intents import BlueGreen, Canary

_CANARY_USAGE = "/canary <svc> <0-100>% | promote | abort"
_BLUEGREEN_USAGE = "/bluegreen <svc> switch | to <version>"


def canary(spec: CommentedMap, intent: Canary, path: str) -> str:
    name = intent.service
    versions = section(spec, "versions") or CommentedMap()
    release = section(spec, "release") or CommentedMap()
    weight = release.get("canaryWeight", 0)
    new, stable = versions.get("canary"), versions.get("stable")
    if release.get("strategy") == "blueGreen" and intent.step != "set":
        raise UserError(
            f"{name} is released blue-green with {release.get('active')} active; "
            f"/canary {name} {intent.step} works on a canary release: switch with "
            f"/bluegreen {name} to <version>, or go back to a canary with /canary {name} 0%"
        )
    match intent.step:
        case "set":
            if intent.weight is None:
                raise UsageError("a canary weight is needed", _CANARY_USAGE, "/canary svc-user 20%")
            if new is None:
                raise UserError(
                    f"{name} has no canary version (spec.versions has only stable {stable}); "
                    f"add `canary: <version>` under spec.versions in {path} first"
                )
            if release.get("strategy") == "blueGreen":
                active = release.get("active")
                _to_canary(spec, intent.weight)
                return f"canary {name} blue-green on {active} → canary {intent.weight}%"
            if weight == intent.weight:
                return f"canary {name} already at {weight}%"
            _set_weight(spec, intent.weight)
            return f"canary {name} {weight}% → {intent.weight}%"
        case "promote":
            return _promote(spec, versions, weight, name)
        case "abort":
            if weight == 0:
                raise UserError(f"nothing to abort: {name}'s canary already gets 0% of traffic")
            _set_weight(spec, 0)
            return f"canary {name} abort {weight}% → 0%"


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


def bluegreen(spec: CommentedMap, intent: BlueGreen) -> str:
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
            raise UsageError("a version is needed", _BLUEGREEN_USAGE, "/bluegreen svc-user to v2")
        target = version_of(versions, intent.version, name)
    if blue_green and current == target:
        return f"bluegreen {name} already on {target}"
    if release is None:
        keep.set_key(spec, "release", CommentedMap(strategy="blueGreen", active=target))
    else:
        keep.set_key(release, "strategy", "blueGreen")
        keep.set_key(release, "active", target)
    step = "switch" if intent.mode == "switch" else "to"
    return f"bluegreen {name} {step} {current} → {target}"


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
