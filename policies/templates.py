"""Policy templates: a service's governance sections saved under a name, set on others.

`/template save <name> from <svc>` stores `extract(spec)` as `templates/<name>.yaml` (the
text of `text`); `/template apply <name> to <svc>,…` reads it back (`load`), and the
TemplateApply edit (`policies.edits.template`) sets its sections on each service's
document through the round-trip helpers of `policies.edits.keep`, so comments and key
order elsewhere survive and the pull request's diff shows only the sections that change.
`check` is what `govbot check` says of templates/. Pure: no I/O.

A template holds what an SRE reuses — rate limit, circuit breaker, whitelist, timeout
and retries, fault (always saved disabled), autoscale — and never release state (canary
weight, routes, versions) nor the absolute end of a time box.

Example:
    >>> extract({"timeout": "2s", "release": {"canaryWeight": 20},
    ...          "fault": {"enabled": True, "abort": {"httpStatus": 503, "percent": 5},
    ...                    "expires": "2026-11-27T12:00:00Z"}})
    {'fault': {'enabled': False, 'abort': {'httpStatus': 503, 'percent': 5}}, 'timeout': '2s'}
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import InvalidDocument
from policies import document, kinds, units, values
from policies.checks import fields
from policies.edits.template import SECTIONS as SECTIONS
from policies.edits.template import commented
from policies.intents import TemplateApply

KIND = "PolicyTemplate"
FOLDER = "templates/"
# A service's own fields and its release state: never part of a template.
RELEASE = ("release", "routes", "versions", "port", "targetPort", "selector", "serviceAccount",
           "exposed", "managedBy")
# The store names a template's change `templates/<name>`, in at most 63 characters.
MAX_NAME = 63 - len(FOLDER)
# Fields that fix a moment (a time box's end): meaningless on another service, later.
_MOMENTS = {"fault": ("expires",), "rateLimit": ("expires",)}
_TOP = ("apiVersion", "kind", "metadata", "spec")


@dataclass(frozen=True)
class PolicyTemplate:
    """A saved template: its name, where it was saved from (may be empty for one written
    by hand) and its sections, as plain data."""

    name: str
    source: str
    sections: dict[str, Any]

    @property
    def summary(self) -> str:
        """`rateLimit, circuitBreaker, timeout` — what it sets."""
        return ", ".join(key for key in SECTIONS if key in self.sections)


def path(name: str) -> str:
    return f"{FOLDER}{name}.yaml"


def name_of(file_path: str) -> str | None:
    """The template name of `templates/<name>.yaml`; None for any other path."""
    if not file_path.startswith(FOLDER) or not file_path.endswith(".yaml"):
        return None
    name = file_path.removeprefix(FOLDER).removesuffix(".yaml")
    return name if "/" not in name else None


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a template; None when it can."""
    if units.is_dns_label(name) and "\n" not in name and len(name) <= MAX_NAME:
        return None
    return (f"{name[:80]!r} is not a template name: use a DNS-1123 label — lowercase "
            f"letters, digits and '-', starting with a letter, at most {MAX_NAME} "
            "characters — like resilient-http")


def extract(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The template sections of a service's spec, as plain data: a fault turned off,
    no time box's end, nothing of the release."""
    sections: dict[str, Any] = {}
    for key in SECTIONS:
        if key not in spec:
            continue
        value = copy.deepcopy(values.to_plain(spec[key]))
        if isinstance(value, dict):
            for moment in _MOMENTS.get(key, ()):
                value.pop(moment, None)
            if key == "fault":
                value = {"enabled": False, **{k: v for k, v in value.items()
                                             if k != "enabled"}}
        sections[key] = value
    return sections


def text(name: str, sections: Mapping[str, Any], source: str, saved_by: str) -> str:
    """The file `templates/<name>.yaml`: a comment header saying where it came from,
    then the PolicyTemplate in block style."""
    doc = CommentedMap()
    doc["apiVersion"] = document.API_VERSION
    doc["kind"] = KIND
    doc["metadata"] = CommentedMap(name=name, source=source)
    doc["spec"] = commented(dict(sections))
    header = (f"# Policy template {name}: the governance sections of {source}, saved by "
              f"{saved_by} with /template save.\n"
              f"# /template apply {name} to <svc>[,<svc>…] sets them on other services, one "
              "change each.\n"
              "# A template never holds release state (canary weight, routes, versions); "
              "its fault is saved off.\n")
    return header + document.dump(doc)


def load(text_: str, file_path: str) -> PolicyTemplate:
    """The template of a file; InvalidDocument naming every problem."""
    data = document.plain(text_, file_path)
    found = problems(data, file_path)
    if found:
        raise InvalidDocument(file_path, found)
    metadata = data["metadata"]
    source = metadata.get("source", "")
    return PolicyTemplate(metadata["name"], source if isinstance(source, str) else "",
                          dict(data["spec"]))


def problems(data: Mapping[str, Any], file_path: str) -> list[str]:
    """Every problem of a PolicyTemplate's data, each naming its field; [] when valid."""
    found = fields.unknown(data, _TOP, "")
    if data.get("apiVersion") != document.API_VERSION:
        found.append(f"apiVersion: {data.get('apiVersion')!r} is not {document.API_VERSION}")
    if data.get("kind") != KIND:
        found.append(f"kind: {data.get('kind')!r} is not {KIND}")
    found += _metadata(data.get("metadata"), name_of(file_path), file_path)
    spec = data.get("spec")
    if not isinstance(spec, Mapping) or not spec:
        return [*found, "spec: required, a mapping of at least one of "
                        f"{', '.join(SECTIONS)}"]
    for key, value in spec.items():
        if key in RELEASE:
            found.append(f"spec.{key}: a template holds governance sections only, never "
                         "a service's own fields or release state")
        elif key not in SECTIONS:
            found.append(f"spec.{key}: unknown section; a template holds "
                         f"{', '.join(SECTIONS)}")
        else:
            found += kinds.SPEC_FIELDS[key](value, f"spec.{key}")
            moments = [m for m in _MOMENTS.get(key, ()) if isinstance(value, Mapping)
                       and m in value]
            found += [f"spec.{key}.{m}: a template holds no moment; a time box is set "
                      "where the template is applied (`for <d>`)" for m in moments]
    return found


def _metadata(meta: Any, name: str | None, file_path: str) -> list[str]:
    if not isinstance(meta, Mapping):
        return ["metadata: required, with the template's name"]
    found = fields.unknown(meta, ("name", "source"), "metadata.")
    if name is None:
        found.append(f"{file_path}: a template lives at {FOLDER}<name>.yaml")
    elif meta.get("name") != name:
        found.append(f"metadata.name: {meta.get('name')!r} differs from the file name "
                     f"{name!r}")
    elif (problem := name_problem(name)) is not None:
        found.append(f"metadata.name: {problem}")
    if "source" in meta and not isinstance(meta["source"], str):
        found.append("metadata.source: a text, like `svc-user in dev/demo`")
    return found


def intent(template: PolicyTemplate, service: str) -> TemplateApply:
    """The change that sets `template` on `service`, its sections fixed now."""
    # the template's own key order, so the document reads like the template
    return TemplateApply(service, template.name, json.dumps(template.sections))




def check(files: Mapping[str, str]) -> list[str]:
    """What `govbot check` says of the files under templates/ (path → text): one line
    per problem, naming the file; only `.yaml` files are templates."""
    found: list[str] = []
    for file_path, text_ in sorted(files.items()):
        if not file_path.endswith(".yaml"):
            continue
        try:
            load(text_, file_path)
        except InvalidDocument as error:
            found += [f"{file_path}: {p}" for p in error.problems]
    return found
