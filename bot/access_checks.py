"""Validation of access.yaml against govbot.yaml, for `govbot check` through
`bot.config_checks.config_problems`: every group member and grant names someone of
access.yaml, every grant an environment of govbot.yaml, and no two people share a chat
identity.

Example:
    access_problems({"environments": {"dev": {}}},
                    {"people": {}, "groups": {"sre": ["bob"]}})
    # ["access.yaml groups.sre: 'bob' is not in people"]
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# the requester of govbot's own changes (bot.runners.automatic.AUTOMATON); no person's name
RESERVED_PERSON = "govbot"
VERBS = ("request", "approve")


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def access_problems(config: Mapping[str, Any], access: Mapping[str, Any]) -> list[str]:
    problems = []
    people, groups = _map(access.get("people")), _map(access.get("groups"))
    for group, members in groups.items():
        for member in members or ():
            if member not in people:
                problems.append(f"access.yaml groups.{group}: {member!r} is not in people")
    environments = _map(config.get("environments"))
    for number, grant in enumerate(access.get("grants") or ()):
        entry, where = _map(grant), f"access.yaml grants[{number}]"
        if entry.get("group") not in groups and entry.get("person") not in people:
            problems.append(f"{where}: names no group or person of access.yaml")
        for verb in entry.get("can") or ():
            if verb not in VERBS:
                problems.append(f"{where}.can: {verb!r} is not one of {', '.join(VERBS)}")
        for env in entry.get("envs") or ():
            if env != "*" and env not in environments:
                problems.append(f"{where}.envs: {env!r} is not an environment of govbot.yaml")
    if RESERVED_PERSON in people:
        problems.append(f"access.yaml people: {RESERVED_PERSON!r} is the name govbot makes its "
                        "own changes under (the end of a time box); give that person another "
                        "name")
    problems += _shared_identities(people)
    default_user = _map(config.get("console")).get("defaultUser")
    if default_user and default_user not in people:
        problems.append(f"govbot.yaml console.defaultUser: {default_user!r} is not in "
                        "access.yaml people")
    return problems


def _shared_identities(people: Mapping[str, Any]) -> list[str]:
    """Two people with one platform identity: the first would act for both."""
    owners: dict[str, list[str]] = {}
    for person, entry in people.items():
        for platform, identity in _map(_map(entry).get("ids")).items():
            value = sorted(identity.items()) if isinstance(identity, Mapping) else identity
            key = f"{platform} {value}"
            owners.setdefault(key, []).append(str(person))
    return [f"access.yaml people: {' and '.join(names)} share the {key.split(' ', 1)[0]} "
            "identity; each identity must name one person"
            for key, names in owners.items() if len(names) > 1]
