"""A change to one policy document: as computed (`ChangeSet`) and as kept (`Change`).

A `ChangeSet` is what an intent does to a document on a given main: the text before and
after, the summary and the intent itself, so the change can be computed again on a newer
main (a replay). A `Change` is the change request the store keeps once it is opened: the
same content plus its id, branch, commits, the guard's last verdict and its state.

The intent is typed: a policy intent of `policies.intents`, a `Rollback` naming the
merged change it reverts, a `TemplateSave` (a policy template's file, not a service's
document) or a `MeshSwitch` (govbot.yaml: a namespace's data plane). `intent_to_json` /
`intent_from_json` are its stored form.

Example:
    change_set = ChangeSet("dev", "demo", "svc-user", "services/dev/demo/svc-user.yaml",
                           "canary", "canary svc-user 0% → 20%", None, after_text,
                           Canary("svc-user", "set", 20))
    change_set.content_hash      # what approvals are bound to
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.core.types import ChangeState, Decision, Scope
from policies import intents

ROLLBACK = "rollback"
TEMPLATE_SAVE = "template-save"
MESH = "mesh"
StoredIntent = (intents.PolicyIntent | intents.Rollback | intents.TemplateSave
                | intents.MeshSwitch)


def intent_to_json(intent: StoredIntent) -> dict[str, Any]:
    if isinstance(intent, intents.Rollback):
        return {"action": ROLLBACK, "change_id": intent.change_id}
    if isinstance(intent, intents.TemplateSave):
        return {"action": TEMPLATE_SAVE, "name": intent.name, "service": intent.service}
    if isinstance(intent, intents.MeshSwitch):
        return {"action": MESH, "namespace": intent.namespace, "mode": intent.mode}
    return intents.to_json(intent)


def intent_from_json(data: dict[str, Any]) -> StoredIntent:
    if data.get("action") == ROLLBACK:
        return intents.Rollback(change_id=int(data["change_id"]))
    if data.get("action") == TEMPLATE_SAVE:
        return intents.TemplateSave(str(data["name"]), str(data["service"]))
    if data.get("action") == MESH:
        return intents.MeshSwitch(str(data["namespace"]), str(data["mode"]))
    return intents.from_json(data)


@dataclass(frozen=True)
class ChangeSet:
    """One policy document before and after an intent was applied to it.

    `before_text` is None when the change creates the document; `after_text` is None
    when it deletes it.
    """

    env: str
    namespace: str
    service: str
    path: str
    action: str
    summary: str
    before_text: str | None
    after_text: str | None
    intent: StoredIntent

    @property
    def scope(self) -> Scope:
        return Scope(self.env, self.namespace)

    @property
    def diff(self) -> str:
        before = (self.before_text or "").splitlines(keepends=True)
        after = (self.after_text or "").splitlines(keepends=True)
        old = f"a/{self.path}" if self.before_text is not None else "/dev/null"
        new = f"b/{self.path}" if self.after_text is not None else "/dev/null"
        return "".join(difflib.unified_diff(before, after, old, new))

    @property
    def content_hash(self) -> str:
        """What an approval is bound to: the document diff, not the commit."""
        return hashlib.sha256(f"{self.path}\n{self.diff}".encode()).hexdigest()

    @property
    def empty(self) -> bool:
        return self.before_text == self.after_text


@dataclass(frozen=True)
class Change:
    """A change request (pull request) as the store keeps it.

    `head_sha` is empty while the change is being opened (its branch not written yet);
    `verdict` is the guard's decision at the last judgement (opening or an approval).
    """

    id: int
    env: str
    namespace: str
    service: str
    path: str
    action: str
    summary: str
    requester: str
    state: ChangeState
    branch: str
    base_sha: str
    head_sha: str
    content_hash: str
    diff: str
    intent: StoredIntent
    verdict: Decision
    created_at: datetime
    updated_at: datetime
    merged_sha: str = ""
    reason: str = ""
    url: str = ""

    @property
    def scope(self) -> Scope:
        return Scope(self.env, self.namespace)
