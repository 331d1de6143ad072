"""Apply a policy intent to a ServicePolicy document: text in, text out, no I/O.

The workflow calls `apply` with the document's text on main (None when the service has no
document yet) and opens a pull request with `Edit.after_text`. Only the keys the intent
changes are touched: comments, key order and layout elsewhere survive, and a new key goes
at the end of its mapping, so the pull request's diff shows exactly the change. The edit
of each intent lives in `policies.edits`, by concern.

Example:
    >>> edit = apply(Canary("svc-user", "set", 20), None, "prod", "demo")
    >>> edit.summary
    'canary svc-user 0% → 20%'
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import InvalidDocument, UserError
from policies import document
from policies.edits import access, faults, owners, release, resilience, routing
from policies.intents import (
    BlueGreen,
    Canary,
    CircuitBreak,
    Fault,
    PolicyIntent,
    RateLimit,
    Route,
    Scale,
    Timeout,
    Whitelist,
)


@dataclass(frozen=True)
class Edit:
    """The document after the intent (None: deleted) and a one-line summary.

    `after_text` equal to the text given means there was nothing to change.
    """

    after_text: str | None
    summary: str


def apply(intent: PolicyIntent, before_text: str | None, env: str, namespace: str) -> Edit:
    """Apply `intent` to the document of its service in env/namespace.

    No clock is read: a time-boxed fault (`/fault ... for 30m`) writes the expiry that
    `policies.intents.resolve` put in the intent, and raises ValueError without one.
    """
    path = document.service_path(env, namespace, intent.service)
    text = before_text
    if text is None:
        text = document.new_document(env, namespace, intent.service)
    doc = document.load(text, path)
    spec = doc.get("spec")
    if not isinstance(spec, CommentedMap):
        raise InvalidDocument(path, ["spec: required, a mapping of the service's settings"])
    refused = owners.refusal(spec.get("managedBy"), intent.action, intent.service)
    if refused is not None:
        raise UserError(refused)
    before = document.to_plain(doc)
    summary = _edit(spec, intent, path, namespace)
    if before_text is not None and document.same(before, doc):
        return Edit(before_text, summary)
    after_text = document.dump(doc, like=text)
    problems = document.validate(document.plain(after_text, path), path)
    if problems:
        raise InvalidDocument(path, problems)
    return Edit(after_text, summary)


def _edit(spec: CommentedMap, intent: PolicyIntent, path: str, namespace: str) -> str:
    """Change `spec` in place; the one-line summary of what changed."""
    match intent:
        case Canary():
            return release.canary(spec, intent, path)
        case BlueGreen():
            return release.bluegreen(spec, intent)
        case Route():
            return routing.route(spec, intent)
        case RateLimit():
            return resilience.rate_limit(spec, intent)
        case CircuitBreak():
            return resilience.circuit_break(spec, intent)
        case Timeout():
            return resilience.timeout(spec, intent)
        case Scale():
            return resilience.scale(spec, intent)
        case Whitelist():
            return access.whitelist(spec, intent, namespace)
        case Fault():
            return faults.fault(spec, intent, path)
