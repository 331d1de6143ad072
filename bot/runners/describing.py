"""What a reviewer on the forge reads: the pull request's description and its status.

The description says who asked for what and where, the policy diff, what will change in
the cluster object by object, the guard's verdict with rule ids and warnings, and which
approvals are still needed from whom. It is written when the pull request opens and
rewritten in place whenever the change is judged again (an approval, a replay). The
commit status `govbot/guard` on the head carries the verdict: failure when the
guardrails deny, pending while approvals are missing, success when it may merge.

On the local forge none of this is sent anywhere: the chat card is the description.
"""

from __future__ import annotations

import logging

from bot.change import Change
from bot.core.errors import GovbotError
from bot.core.types import Approval, Decision
from bot.forge import StatusState
from bot.runners import Context
from bot.runners.views import frozen_only, manifest_diff, needs

log = logging.getLogger("govbot.describing")

ORIGIN = "origin:{}"
MAX_DIFF = 20_000  # forges cap descriptions (GitHub: 65,536 characters)


def remember_origin(ctx: Context, change_id: int, platform: str, channel: str) -> None:
    """Where the change was asked for, for its description."""
    ctx.store.set_chat_ref(ORIGIN.format(change_id), {"platform": platform,
                                                       "channel": channel})


def origin(ctx: Context, change_id: int) -> str:
    found = ctx.store.chat_ref(ORIGIN.format(change_id)) or {}
    platform, channel = str(found.get("platform", "")), str(found.get("channel", ""))
    if not platform:
        return ""
    if platform == "console" or not channel:
        return f" in the {platform}" if platform == "console" else f" in {platform}"
    return f" in {platform.capitalize()} channel {channel}"


def status(decision: Decision, blockers: tuple[str, ...] = ()) -> tuple[StatusState, str]:
    """The commit status of a verdict, with a one-line description."""
    if frozen_only(decision):
        return "pending", "waits for the change freeze: " + "; ".join(decision.deny)
    if not decision.allow:
        return "failure", "denied: " + "; ".join(decision.deny)
    if blockers:
        return "pending", f"changes requested by {', '.join(blockers)}"
    if not decision.mergeable:
        return "pending", f"allowed; needs {needs(decision)}"
    return "success", "allowed and approved"


def body(ctx: Context, change: Change, decision: Decision, approvals: list[Approval],
         blockers: tuple[str, ...] = ()) -> str:
    requester = ctx.person(change.requester)
    lines = [f"**{change.summary}** in `{change.env}/{change.namespace}`, asked by "
             f"{requester.name} (`{requester.id}`){origin(ctx, change.id)} — govbot change "
             f"#{change.id}.", ""]
    lines += verdict(decision, approvals, blockers)
    lines += ["", f"Approve with an approving review or a comment `/approve`; "
              f"`/reject <reason>` closes it. In chat: `/approve {change.id}`.", ""]
    lines += ["### Policy diff", "", "```diff", cut(change.diff).rstrip("\n"), "```", ""]
    rendered = manifest_diff(ctx, change)
    lines += ["### What changes in the cluster", ""]
    lines += (["```diff", cut(rendered).rstrip("\n"), "```"] if rendered.startswith("---")
              else [rendered or "Nothing rendered changes."])
    page = ctx.links.change(change.id)
    service = ctx.links.service(change.env, change.namespace, change.service)
    if page:
        lines += ["", f"On govbot's dashboard: [this change]({page}) · "
                  f"[{change.service}]({service})."]
    lines += ["", f"<!-- govbot change {change.id} -->"]
    return "\n".join(lines) + "\n"


def verdict(decision: Decision, approvals: list[Approval],
            blockers: tuple[str, ...] = ()) -> list[str]:
    """The verdict section: deny reasons or approvals given and still needed."""
    lines = ["### Verdict", ""]
    if frozen_only(decision):
        lines += ["⏸️ **Waits for the change freeze**; it keeps its approvals and merges by "
                  "itself once the window has ended:", *(f"- `{r}`" for r in decision.deny)]
    elif not decision.allow:
        lines += ["❌ **Denied** by the guardrails:", *(f"- `{r}`" for r in decision.deny)]
    elif decision.mergeable and not blockers:
        lines.append("✅ **Allowed** and approved.")
    else:
        lines.append(f"⏳ **Allowed**; needs {needs(decision)}.")
    lines += [f"- ⚠️ `{w}`" for w in decision.warn]
    given = ", ".join(f"{a.by}" for a in approvals) or "none yet"
    if decision.approvals_required or approvals:
        lines += ["", f"Approvals ({len(approvals)}/{decision.approvals_required}): {given}."]
    if blockers:
        lines.append(f"Changes requested by {', '.join(blockers)}: the merge waits until "
                     "they approve or their review is dismissed.")
    return lines


def publish(ctx: Context, change: Change, decision: Decision) -> None:
    """Rewrite the pull request's description and set its status; a forge that fails
    here only loses a description (logged), never the change."""
    if ctx.forge.kind == "local" or not change.head_sha or change.state != "open":
        return
    try:
        pull = ctx.forge.pull_of(change)
        if pull is None:
            return
        tally = ctx.reviews(change)
        approvals = ctx.approvals(change)
        ctx.forge.describe(pull.number, body(ctx, change, decision, approvals,
                                             tally.blockers))
        ctx.forge.set_status(change.head_sha, *status(decision, tally.blockers))
    except GovbotError as error:
        log.warning("describing #%s on %s: %s", change.id, ctx.forge.name, error)


def set_status(ctx: Context, change: Change, decision: Decision) -> None:
    """Only the status (right after opening, when the description is fresh)."""
    if ctx.forge.kind == "local":
        return
    try:
        ctx.forge.set_status(change.head_sha, *status(decision))
    except GovbotError as error:
        log.warning("setting the status of #%s on %s: %s", change.id, ctx.forge.name, error)


def comment(ctx: Context, change: Change, text: str) -> None:
    """A comment on the change's pull request, if it has one; failures are logged."""
    if ctx.forge.kind == "local":
        return
    try:
        pull = ctx.forge.pull_of(change)
        if pull is not None:
            ctx.forge.comment(pull.number, text)
    except GovbotError as error:
        log.warning("commenting on #%s on %s: %s", change.id, ctx.forge.name, error)


def cut(text: str) -> str:
    if len(text) <= MAX_DIFF:
        return text
    return text[:MAX_DIFF] + f"\n… {len(text) - MAX_DIFF} more characters; see the branch\n"
