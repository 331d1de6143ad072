"""Apply a policy intent to a ServicePolicy document: text in, text out, no I/O.

The workflow calls `apply` with the document's text on main (None when the service has no
document yet) and opens a pull request with `Edit.after_text`. Only the keys the intent
changes are touched: comments, key order and layout elsewhere survive, and a new key goes
at the end of its mapping, so the pull request's diff shows exactly the change. The edit
of each intent lives in `policies.edits`, by concern.

Example:
    >>> from policies.intents import Canary
    >>> edit = apply(Canary("svc-user", "set", 20), None, "prod", "demo")
    >>> edit.summary
    'canary svc-user 0% → 20%'
"""

from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.comments import CommentedMap

from bot.core.errors import InvalidDocument, UsageError, UserError
from policies import document, kinds
from policies.edits import owners
from policies.edits.section import Where
from policies.intents import PolicyIntent


@dataclass(frozen=True)
class Edit:
    """The document after the intent (None: deleted) and a one-line summary.

    `after_text` equal to the text given means there was nothing to change.
    """

    after_text: str | None
    summary: str


def apply(intent: PolicyIntent, before_text: str | None, env: str, namespace: str,
          live_owner: str | None = None) -> Edit:
    """Apply `intent` to the document of its service in env/namespace.

    No clock is read: a time-boxed fault (`/fault ... for 30m`) writes the expiry that
    `policies.intents.resolve` put in the intent, and raises ValueError without one.
    `live_owner` is the controller the cluster shows steering the service (`flagger`,
    `argo-rollouts`): what it owns is refused as for a `spec.managedBy`, whatever the
    document says, since the controller rewrites it either way.
    """
    kind = kinds.of(intent)
    path = document.service_path(env, namespace, intent.service)
    if kind.creates and before_text is not None:
        raise UserError(f"{intent.service} already has a policy document in {env}/{namespace} "
                        f"({path}); /status {intent.service} shows it")
    text = before_text
    if text is None:
        text = document.new_document(env, namespace, intent.service)
    doc = document.load(text, path)
    spec = doc.get("spec")
    if not isinstance(spec, CommentedMap):
        raise InvalidDocument(path, ["spec: required, a mapping of the service's settings"])
    refused = owners.refusal(spec.get("managedBy"), kind.owned_by, intent.service)
    if refused is None and live_owner is not None:
        refused = owners.refusal(live_owner, kind.owned_by, intent.service, live=True)
    if refused is not None:
        raise UserError(refused)
    before = document.to_plain(doc)
    summary = _edit(kind, doc if kind.whole_document else spec, intent, Where(path, namespace))
    if before_text is not None and document.same(before, doc):
        return Edit(before_text, summary)
    after_text = document.dump(doc, like=text)
    problems = document.validate(document.plain(after_text, path), path)
    if problems:
        raise InvalidDocument(path, problems)
    return Edit(after_text, summary)


def _edit(kind: kinds.PolicyKind[PolicyIntent], target: CommentedMap, intent: PolicyIntent,
          where: Where) -> str:
    """Change `target` (the spec, or the document for a `whole_document` kind) in place by
    the kind's edit; the one-line summary of what changed. An incomplete intent's
    UsageError gets the kind's usage line."""
    try:
        return kind.edit(target, intent, where)
    except UsageError as error:
        if error.usage:
            raise
        raise UsageError(error.problem, kind.usage, error.example) from None
