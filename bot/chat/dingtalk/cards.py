"""The approval card of a change, in DingTalk's three shapes, and the click that comes back.

- `card_params`: the `cardParamMap` of a configured card template (strings only). The
  template's Approve / Reject buttons use the "callback" action and send either the action
  id `approve` / `reject` or a param `action` with that value.
- `standard_card`: DingTalk's StandardCard JSON (no template needed), with `request`
  buttons whose ids are `approve` and `reject`.
- `text_card`: markdown for a send-only robot, which can only show link buttons: it says
  how to approve by text (`/approve 12`).

Every card names its change (`#12`), because DingTalk has no threads.

Example:
    parse_click({"outTrackId": "govbot-change-12", "userId": "0457…", "corpId": "ding…",
                 "content": '{"cardPrivateData": {"actionIds": ["approve"]}}'})
    # Click(change_id=12, action='approve', user='0457…', corp='ding…')
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.types import ChangeView

TRACK_PREFIX = "govbot-change-"
DIFF_LIMIT = 3000  # characters; a card carries a few kB at most
ACTIONS = ("approve", "reject")
_TRACK = re.compile(rf"{TRACK_PREFIX}([1-9][0-9]{{0,8}})")  # ASCII digits; fullmatch


@dataclass(frozen=True)
class Click:
    """A button press on an approval card: who pressed what on which change."""

    change_id: int
    action: str
    user: str
    corp: str


def track_id(change_id: int) -> str:
    """The card's outTrackId (template) or cardBizId (StandardCard)."""
    return f"{TRACK_PREFIX}{change_id}"


def title(view: ChangeView) -> str:
    return f"#{view.id} {view.summary}"


def progress(view: ChangeView, pending: Sequence[str] = ()) -> str:
    """One line on where the change stands, e.g. `open, 1 of 2 approvals (bob)`;
    `pending` is what the merge could not apply yet (`merged, apply pending, …`)."""
    by = f" ({', '.join(view.approved_by)})" if view.approved_by else ""
    if view.state == "open":
        return f"open, {len(view.approved_by)} of {view.approvals_required} approvals{by}"
    if view.state == "merged":
        merged = "merged, apply pending" if pending else "merged"
        return f"{merged}, approved by {', '.join(view.approved_by) or 'nobody'}"
    return f"rejected{': ' + view.reason if view.reason else ''}"


def _diff(view: ChangeView) -> str:
    if len(view.diff) <= DIFF_LIMIT:
        return view.diff
    return view.diff[:DIFF_LIMIT] + "\n… (diff cut; see the pull request)"


def _body(view: ChangeView, pending: Sequence[str] = ()) -> str:
    lines = [f"**{view.env}/{view.namespace}** · {view.service} · requested by "
             f"{view.requester}", f"Status: {progress(view, pending)}"]
    if view.state == "open" and view.approvers:
        lines.append(f"May approve: {', '.join(view.approvers)}")
    lines += [f"Warning: {w}" for w in view.warn]
    if view.url:
        lines.append(f"Pull request: {view.url}")
    return "\n\n".join(lines)


def card_params(view: ChangeView, *, pending: Sequence[str] = ()) -> dict[str, str]:
    return {
        "changeId": str(view.id), "title": title(view), "summary": view.summary,
        "scope": f"{view.env}/{view.namespace}", "service": view.service,
        "requester": view.requester, "state": view.state,
        "status": progress(view, pending), "body": _body(view, pending),
        "diff": _diff(view), "url": view.url,
        "actionsVisible": "true" if view.state == "open" else "false",
    }


def _button(action: str, label: str, status: str) -> dict[str, Any]:
    return {"type": "button", "id": action, "actionType": "request", "status": status,
            "label": {"type": "text", "text": label, "id": f"{action}-label"}}


def standard_card(view: ChangeView, *, pending: Sequence[str] = ()) -> dict[str, Any]:
    contents: list[dict[str, Any]] = [
        {"type": "markdown", "id": "body", "text": _body(view, pending)},
        {"type": "markdown", "id": "diff", "text": f"```\n{_diff(view)}\n```"},
    ]
    if view.state == "open":
        contents.append({"type": "action", "id": "actions", "actions": [
            _button("approve", "Approve", "primary"), _button("reject", "Reject", "warning")]})
    return {"config": {"autoLayout": True, "enableForward": False},
            "header": {"title": {"type": "text", "text": title(view)}},
            "contents": contents}


def text_card(view: ChangeView, *, typed: bool = True) -> str:
    """The card as markdown; `typed` says whether `/approve N` typed to the robot counts
    (not when the callback, whose body DingTalk does not sign, is the only way in)."""
    lines = [f"### {title(view)}", _body(view)]
    if view.state == "open" and typed:
        lines.append(f"Approve by replying `/approve {view.id}`, or reject with "
                     f"`/reject {view.id} <reason>`.")
    elif view.state == "open":
        lines.append(f"Approve or reject #{view.id} on the pull request or from another "
                     "chat platform: decisions typed to this robot are not accepted here.")
    return "\n\n".join(lines)


def _content(payload: Mapping[str, Any]) -> Mapping[str, Any]:
    content = payload.get("content")
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return {}
    return content if isinstance(content, Mapping) else {}


def _action(content: Mapping[str, Any]) -> str:
    private = content.get("cardPrivateData")
    private = private if isinstance(private, Mapping) else {}
    params = private.get("params")
    params = params if isinstance(params, Mapping) else {}
    candidates = [params.get("action"), *(private.get("actionIds") or ())]
    for candidate in candidates:
        if isinstance(candidate, str) and candidate.lower() in ACTIONS:
            return candidate.lower()
    return ""


def parse_click(payload: Mapping[str, Any]) -> Click | None:
    """The click in a card callback, or None when it is not an approval button of ours."""
    match = _TRACK.fullmatch(str(payload.get("outTrackId") or ""))
    action = _action(_content(payload))
    user = str(payload.get("userId") or "")
    if not match or not action or not user:
        return None
    return Click(int(match.group(1)), action, user, str(payload.get("corpId") or ""))
