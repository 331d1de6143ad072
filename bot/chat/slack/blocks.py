"""Slack text and Block Kit: mrkdwn escaping and the approval card.

`SlackChat` renders every message through this module, so user text (service names,
reasons, the command typed) can never form `<!channel>` or `<@U…>` sequences: `&`, `<`
and `>` are escaped and nothing else, and no message sets `link_names` or `parse`.
The card stays well inside Block Kit's limits (3000 characters per section, 150 per
header, 50 blocks); a long diff is cut and the pull request holds the full one.

Example:
    blocks = card(workflow.view(1), asked="<@U0ALICE> asked: /canary svc-user 20%")
    client.chat_postMessage(channel="C0123", text=summary_line(view), blocks=blocks)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bot.core.types import ChangeView

APPROVE = "govbot_approve"
REJECT = "govbot_reject"
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
DIFF_LIMIT = 2600
LIST_LIMIT = 10
_USER_ID = re.compile(r"^[UW][A-Z0-9]{1,30}$")
_SAFE_URL = re.compile(r"^https?://[^\s<>|]+$")

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack's three control characters, and only those (api.slack.com formatting)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape(text: str) -> str:
    """Incoming Slack text arrives escaped; the workflow wants what the person typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def mention(user_id: str) -> str:
    """`<@U…>` for a Slack user id; anything that is not an id is shown escaped."""
    return f"<@{user_id}>" if _USER_ID.match(user_id) else escape(user_id)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def summary_line(view: ChangeView, pending: Sequence[str] = ()) -> str:
    """The notification text of a card (shown where blocks are not)."""
    return escape(cut(f"change #{view.id}: {view.summary} ({view.env}/{view.namespace}) "
                      f"— {state_text(view, pending)}", SECTION_LIMIT))


def state_text(view: ChangeView, pending: Sequence[str] = ()) -> str:
    """Where the change stands; `pending` is what its merge could not apply yet."""
    match view.state:
        case "merged":
            done = "merged, apply pending" if pending else "merged and applied"
            return f"{done}, approved by {', '.join(view.approved_by) or 'nobody'}"
        case "rejected":
            return f"rejected: {view.reason}" if view.reason else "rejected"
    approved = ", ".join(view.approved_by) or "none yet"
    who = f" from {' or '.join(view.approvers)}" if view.approvers else ""
    missing = view.approvals_missing
    still = f"; still needs {missing}{who}" if missing else ""
    return (f"open: approvals {len(view.approved_by)} of {view.approvals_required} "
            f"({approved}){still}")


def card(view: ChangeView, asked: str = "", *, pending: Sequence[str] = ()) -> list[Block]:
    """The approval card of a change; buttons only while the change is open.

    `asked` is mrkdwn the caller built already escaped ("<@U…> asked: …"); `pending` is
    what the change's merge could not apply yet.
    """
    blocks: list[Block] = [
        {"type": "header", "text": _plain(cut(f"#{view.id} {view.summary}", HEADER_LIMIT))},
    ]
    if asked:
        blocks.append({"type": "context", "elements": [_mrkdwn(cut(asked, SECTION_LIMIT))]})
    blocks.append({"type": "section", "fields": [
        _mrkdwn(f"*Where*\n{escape(view.env)}/{escape(view.namespace)}"),
        _mrkdwn(f"*Requested by*\n{escape(view.requester)}"),
        _mrkdwn(f"*State*\n{escape(cut(state_text(view, pending), 1900))}"),
    ]})
    blocks.append(_section(verdict(view)))
    blocks.append(_section(diff_block(view)))
    if view.state == "open":
        blocks.append({"type": "actions", "block_id": f"govbot_change_{view.id}", "elements": [
            _button("Approve", APPROVE, view.id, "primary"),
            _button("Reject", REJECT, view.id, "danger"),
        ]})
    return blocks


def verdict(view: ChangeView) -> str:
    """The guard's verdict as mrkdwn: deny reasons, warnings, or a clean bill."""
    if not view.deny and not view.warn:
        return "*Guardrails* passed"
    lines = ["*Guardrails*"]
    lines += [f":no_entry: {escape(cut(d, 300))}" for d in view.deny[:LIST_LIMIT]]
    lines += [f":warning: {escape(cut(w, 300))}" for w in view.warn[:LIST_LIMIT]]
    hidden = max(0, len(view.deny) - LIST_LIMIT) + max(0, len(view.warn) - LIST_LIMIT)
    if hidden:
        lines.append(f"… and {hidden} more")
    return "\n".join(lines)


def diff_block(view: ChangeView) -> str:
    """The diff in a code block, cut to fit; the pull request link carries the rest."""
    # Cut the escaped text at a line end, so no entity is split; a ``` inside the diff
    # would close the code block early.
    diff = escape(view.diff.rstrip("\n") or "(no diff)").replace("```", "`\u200b``")
    shown = diff if len(diff) <= DIFF_LIMIT else diff[:DIFF_LIMIT].rsplit("\n", 1)[0]
    text = f"```{shown}```"
    link = pull_request_link(view)
    if shown != diff:
        lines, total = shown.count("\n") + 1, diff.count("\n") + 1
        text += f"\n_first {lines} of {total} diff lines; the rest is in {link}_"
    elif link:
        text += f"\n{link}"
    return text


def pull_request_link(view: ChangeView) -> str:
    if _SAFE_URL.match(view.url):
        return f"<{view.url}|pull request #{view.id}>"
    return f"pull request `{escape(view.url)}`" if view.url else "the pull request"


def _plain(text: str) -> Block:
    return {"type": "plain_text", "text": text, "emoji": False}


def _mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def _section(text: str) -> Block:
    return {"type": "section", "text": _mrkdwn(cut(text, SECTION_LIMIT))}


def _button(label: str, action_id: str, change_id: int, style: str) -> Block:
    return {"type": "button", "text": _plain(label), "action_id": action_id,
            "value": str(change_id), "style": style}
