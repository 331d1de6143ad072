"""How a change reads: its view (the card's content) and the lines that describe it.

Every change event carries a view made here, from the change as the store has it and the
approvals that count for its current content.
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

import yaml

from bot.change import Change
from bot.core.errors import InvalidDocument
from bot.core.types import ChangeView, Decision
from bot.rollout import render_checked, render_context, with_callers
from bot.runners import Context, appchanges
from policies.apps import render as app_render
from policies.apps.deployment import parse_app_path
from policies.document import parse_service_path, plain
from policies.render import RenderContext


def view(ctx: Context, change: Change) -> ChangeView:
    approvals = ctx.approvals(change)
    verdict = change.verdict
    return ChangeView(change.id, change.summary, change.env, change.namespace,
                      change.service, change.requester, change.state, change.diff,
                      verdict.deny, verdict.warn, tuple(a.by for a in approvals),
                      verdict.approvals_required, verdict.approvers, change.url,
                      change.reason)


FREEZE = "[schedule.freeze]"


def frozen_only(decision: Decision) -> bool:
    """Whether only a change freeze (rego/rules/schedule.rego) holds the change back: it
    stays open with its approvals and may merge once the window has ended."""
    return bool(decision.deny) and all(r.startswith(FREEZE) for r in decision.deny)


def progress(ctx: Context, change: Change) -> str:
    approvals = ctx.approvals(change)
    names = ", ".join(a.by for a in approvals) or "none yet"
    return f"approvals {len(approvals)}/{change.verdict.approvals_required} ({names})"


def needs(decision: Decision, groups: frozenset[str] = frozenset()) -> str:
    """`Needs 2 approvals from sre` — what is still missing."""
    missing = max(0, decision.approvals_required - decision.approvals_valid)
    text = f"{missing} approval{'s' if missing != 1 else ''}"
    named = [a for a in decision.approvers if not groups or a in groups]
    return f"{text} from {' or '.join(named)}" if named else text


def opened(change: Change, decision: Decision, groups: frozenset[str]) -> str:
    created = ", new document" if change.diff.startswith("--- /dev/null") else ""
    if decision.automatic and decision.approvals_required == 0:
        line = (f"change #{change.id} opened by {change.requester}: {change.summary} "
                f"({change.env}/{change.namespace}{created}). No approval needed: "
                f"{'; '.join(decision.automatic)}")
        return "\n".join([line, *(f"warning: {w}" for w in decision.warn)])
    required = decision.approvals_required
    text = f"Needs {required} approval{'s' if required != 1 else ''}"
    named = [a for a in decision.approvers if a in groups]
    if named:
        text += f" from {' or '.join(named)}"
    line = (f"change #{change.id} opened: {change.summary} ({change.env}/{change.namespace}"
            f"{created}). {text}, not by {change.requester}.")
    return "\n".join([line, *(f"warning: {w}" for w in decision.warn)])


def when(moment: datetime) -> str:
    """A time people can read: date, to the second, in UTC, the zone named."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def manifest_diff(ctx: Context, change: Change) -> str:
    """What the change does in the cluster: the rendered objects before and after, as a
    unified diff per object (`Kind/name`)."""
    return rendered_diff(ctx, change.base_sha, change.head_sha or change.base_sha, change.path)


def rendered_diff(ctx: Context, base: str, head: str, path: str) -> str:
    """The rendered objects of the document at `path`, from `base` to `head`, as a
    unified diff per object; "" for a file that is neither a service's nor an app's."""
    if parse_service_path(path) is None and parse_app_path(path) is None:
        return ""
    context = render_context(ctx.config(ctx.main()), ctx.clock())
    try:
        before = _objects(ctx, base, path, context)
        after = _objects(ctx, head, path, context)
    except InvalidDocument as error:
        return f"cannot be rendered: {'; '.join(error.problems)}"
    parts: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, ""), after.get(key, "")
        if old != new:
            parts += difflib.unified_diff(old.splitlines(keepends=True),
                                          new.splitlines(keepends=True),
                                          f"a/{key}" if old else "/dev/null",
                                          f"b/{key}" if new else "/dev/null")
    return "".join(parts)


def _objects(ctx: Context, commit: str, path: str, context: RenderContext) -> dict[str, str]:
    text = ctx.repo.read(commit, path)
    if text is None:
        return {}
    data = plain(text, path)
    if parse_app_path(path) is not None:  # a store app, with the catalog of that commit
        objects = app_render.render(data, path, appchanges.entries(ctx.repo, commit))
    else:
        here = with_callers(ctx.repo, commit, path, data, context)
        objects = render_checked(None, text, path, here, data)
    return {f"{o['kind']}/{o['metadata']['name']}":
            yaml.safe_dump(o, sort_keys=False, default_flow_style=False)
            for o in objects}
