"""How a change reads: its view (the card's content) and the lines that describe it.

Every change event carries a view made here, from the change as the store has it and the
approvals that count for its current content. `rendered_diff` is what a change does in
the cluster: a document's objects before and after; for govbot.yaml, the objects of every
service whose rendering it changes (a namespace switched between sidecar and ambient).
"""

from __future__ import annotations

import difflib
from datetime import UTC, datetime

import yaml

from bot.change import Change
from bot.config import rendering_changes
from bot.core.errors import InvalidDocument
from bot.core.types import ChangeView, Decision
from bot.rollout import CONFIG, config_at, render_checked, render_context, with_callers
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
    unified diff per object (`<document path>:Kind/name`)."""
    return rendered_diff(ctx, change.base_sha, change.head_sha or change.base_sha, change.path)


def rendered_diff(ctx: Context, base: str, head: str, path: str) -> str:
    """The rendered objects of the document at `path`, from `base` to `head`, as a
    unified diff per object named `<path>:Kind/name`; for govbot.yaml those of the
    services it re-renders, named by their own paths, so both read alike; "" for any
    other file."""
    if path == CONFIG:
        return _config_diff(ctx, base, head)
    if parse_service_path(path) is None and parse_app_path(path) is None:
        return ""
    context = render_context(ctx.config(ctx.main()), ctx.clock())
    try:
        before = _objects(ctx, base, path, context)
        after = _objects(ctx, head, path, context)
    except InvalidDocument as error:
        return f"{path} cannot be rendered: {'; '.join(error.problems)}\n"
    return _diffs(before, after, f"{path}:")


DIFF_SERVICES = 25  # services a govbot.yaml diff shows in full; the others are counted


def _config_diff(ctx: Context, base: str, head: str) -> str:
    """Every service whose objects govbot.yaml's change alters (a namespace's data plane,
    a domain every host reads): "before" rendered with the base's govbot.yaml, "after"
    with the head's, each object named `<service path>:Kind/name`."""
    old, new = config_at(ctx.repo, base), config_at(ctx.repo, head)
    if old is None or new is None:
        return ""
    reach = rendering_changes(old, new)
    if reach is not None and not reach:
        return ""
    paths = [p for p in ctx.repo.list_files(head, "services/")
             if (where := parse_service_path(p)) is not None
             and (reach is None or where[:2] in reach)]
    before, after = render_context(old, ctx.clock()), render_context(new, ctx.clock())
    diffs: list[str] = []
    for path in paths:  # every one is rendered, so the count of those left out is true
        try:
            diff = _diffs(_objects(ctx, base, path, before), _objects(ctx, head, path, after),
                          f"{path}:")
        except InvalidDocument as error:
            diff = f"{path} cannot be rendered: {'; '.join(error.problems)}\n"
        if diff:
            diffs.append(diff)
    parts = diffs[:DIFF_SERVICES]
    if len(diffs) > DIFF_SERVICES:
        parts.append(f"... and {len(diffs) - DIFF_SERVICES} more services{_places(reach)} "
                     "change with it (not shown)\n")
    return "".join(parts)


def _places(reach: frozenset[tuple[str, str]] | None) -> str:
    """` in dev/demo, prod/demo`; "" when the change reaches every namespace."""
    return "" if reach is None else " in " + ", ".join(
        f"{env}/{namespace}" for env, namespace in sorted(reach))


def _diffs(before: dict[str, str], after: dict[str, str], prefix: str) -> str:
    """A unified diff per object that differs, named `<prefix>Kind/name`."""
    parts: list[str] = []
    for key in sorted(set(before) | set(after)):
        old, new = before.get(key, ""), after.get(key, "")
        if old != new:
            parts += difflib.unified_diff(old.splitlines(keepends=True),
                                          new.splitlines(keepends=True),
                                          f"a/{prefix}{key}" if old else "/dev/null",
                                          f"b/{prefix}{key}" if new else "/dev/null")
    return "".join(parts)


def manifests(ctx: Context, commit: str, path: str) -> dict[str, str]:
    """The objects the document at `path` renders to at `commit`, by `Kind/name`, as the
    rollout renders them (the dashboard's service page)."""
    return _objects(ctx, commit, path, render_context(ctx.config(ctx.main()), ctx.clock()))


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
