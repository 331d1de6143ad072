"""The input document of `data.govbot.decision`: one change, who asked, who approved.

    {"action": "canary", "actor": {"id": "alice", "groups": ["team"]},
     "env": "prod", "namespace": "demo", "target": "svc-user", "path": "services/…",
     "before": {...} | null, "after": {...} | null,
     "approvals": [{"by": "bob", "at": "2026-11-27T10:05:00Z"},
                   {"by": "alice", "at": "…", "break_glass": true, "reason": "…"}],
     "reviewer": {"id": "carol"},            # only when someone closes the change
     "app": {...},                           # only for apps/: bot/runners/appchanges.py
     "mesh": {"switches": [...]},            # only for govbot.yaml: bot/runners/switches.py
     "now": "2026-11-27T10:00:00Z"}

`mesh` says which namespaces a change of govbot.yaml gives another data plane, and what
their services hold that some mode cannot carry (rego/rules/mesh.rego judges it):

    {"switches": [{"env": "prod", "namespace": "demo",
                   "from": {"mode": "sidecar", "channel": "standard", "faultInjection": "off"},
                   "to": {"mode": "ambient", "channel": "standard", "faultInjection": "off"},
                   "services": {"svc-user": ["fault", "rateLimit"], "svc-index": []}}]}

A plane's `mode` is sidecar | ambient, `channel` Gateway API's standard | experimental,
`faultInjection` off | alpha; `services` lists, per service document of the namespace on
main, which of fault, rateLimit and retries it holds (on).

The runners build it for every judgement (opening, each approval, merging, rejecting);
documents are parsed once and cached, since one change is judged several times.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from bot.change import ChangeSet
from bot.core.types import Approval, Person
from policies.document import plain


@functools.lru_cache(maxsize=64)
def _plain(text: str | None) -> dict[str, Any] | None:
    return plain(text) if text is not None else None


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _approval(approval: Approval) -> dict[str, object]:
    given: dict[str, object] = {"by": approval.by, "at": _time(approval.at)}
    if approval.break_glass:
        given.update(break_glass=True, reason=approval.break_glass)
    return given


def guard_input(change_set: ChangeSet, requester: Person, approvals: Sequence[Approval],
                now: datetime, reviewer: str = "",
                app: Mapping[str, Any] | None = None,
                mesh: Mapping[str, Any] | None = None) -> dict[str, object]:
    """The input for a change; `app` is what the app store's rules need of a change of
    an AppDeployment (its catalog entry's bounds, the namespace's sums and quota), `mesh`
    what the mesh rules need of a change of govbot.yaml."""
    data = file_input(change_set.action, change_set.path, change_set.before_text,
                      change_set.after_text, requester, approvals, now, reviewer,
                      scope=(change_set.env, change_set.namespace, change_set.service),
                      mesh=mesh)
    if app is not None:
        data["app"] = dict(app)
    return data


def file_input(action: str, path: str, before: str | None, after: str | None,
               requester: Person, approvals: Sequence[Approval], now: datetime,
               reviewer: str = "", scope: tuple[str, str, str] = ("", "", ""),
               mesh: Mapping[str, Any] | None = None) -> dict[str, object]:
    """The input for one file of a change: a policy document (its env, namespace and
    service in `scope`) or a file of the guardrails themselves (govbot.yaml, rego/…)."""
    env, namespace, target = scope
    is_document = path.startswith(("services/", "apps/"))
    data: dict[str, object] = {
        "action": action,
        "actor": {"id": requester.id, "groups": list(requester.groups)},
        "env": env,
        "namespace": namespace,
        "target": target,
        "path": path,
        "before": _plain(before) if is_document else None,
        "after": _plain(after) if is_document else None,
        "approvals": [_approval(a) for a in approvals],
        "now": _time(now),
    }
    if reviewer:
        data["reviewer"] = {"id": reviewer}
    if mesh is not None:
        data["mesh"] = dict(mesh)
    return data
