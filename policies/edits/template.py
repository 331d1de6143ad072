"""/template apply on one document: the template's sections set on the service's spec.

Each section the template holds replaces the service's, updated in place so comments and
key order stay; sections the template does not hold are left as they are. The sections
come as JSON text in the intent, fixed when the command was given
(`policies.templates.intent`), so a replay writes the same document.

Example:
    >>> from policies import document
    >>> spec = document.load("port: 8080\\ntimeout: 5s\\n")
    >>> where = Where("services/dev/demo/svc-pay.yaml", "demo")
    >>> apply(spec, TemplateApply("svc-pay", "quick", '{"timeout": "2s"}'), where)
    'template quick on svc-pay: sets timeout'
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from bot.core.errors import UserError
from policies import values
from policies.edits import keep
from policies.edits.section import Where
from policies.intents import TemplateApply

# The sections a template may hold, in the order a document shows them.
SECTIONS = ("rateLimit", "circuitBreaker", "allowFrom", "fault", "timeout", "retries",
            "autoscale")


def apply(spec: CommentedMap, intent: TemplateApply, where: Where) -> str:
    """The TemplateApply edit: each section of the template replaces the service's
    (kept in place, comments included); sections the template does not hold stay."""
    try:
        sections = json.loads(intent.sections)
    except ValueError:
        sections = None
    if not isinstance(sections, dict) or not sections:
        raise UserError(f"template {intent.template} holds no sections to set")
    changed: list[str] = []
    for key in SECTIONS:
        if key not in sections:
            continue
        wanted = sections[key]
        if key in spec and values.same(spec[key], wanted):
            continue
        current = spec.get(key)
        if isinstance(wanted, dict) and isinstance(current, CommentedMap):
            keep.update(current, commented(wanted), tuple(k for k in current
                                                           if k not in wanted))
        else:
            keep.set_key(spec, key, commented(wanted))
        changed.append(key)
    service = intent.service
    if not changed:
        return f"template {intent.template} on {service}: already holds its sections"
    return f"template {intent.template} on {service}: sets {', '.join(changed)}"


def commented(value: Any) -> Any:
    """Plain data as round-trip nodes, so the dump is block style like the document."""
    if isinstance(value, Mapping):
        return CommentedMap((k, commented(v)) for k, v in value.items())
    if isinstance(value, list):
        return CommentedSeq(commented(v) for v in value)
    return value
