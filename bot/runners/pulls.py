"""Pull requests people write by hand: judged, commented, approved and merged like
govbot's own changes.

A pull request against main that is not one of govbot's changes (documents, govbot.yaml,
access.yaml or rego/ edited by a person) is judged file by file with main's rules —
never the branch's own — with its author as the requester, so separation of duties
holds. govbot comments the verdict and the rendered-manifest diff once per head commit
(again only when the verdict changes), sets the `govbot/guard` status, counts approving
reviews on the head and `/approve` comments, and merges it with the trailers when they
suffice — unless govbot.yaml says `merge: forge`, when the status is the gate and people
merge on the forge. What it keeps per pull request (what it last said, approvals given
in comments) lives in the store under `pull:<forge>:<number>`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.change import Change
from bot.core.errors import Denied, InvalidDocument, NotAllowed, NotFound, UserError
from bot.core.events import Answer, Event
from bot.core.types import Approval, Decision, Person
from bot.forge import Pull
from bot.guard.input import file_input
from bot.rollout import CONFIG, render_checked, render_context, with_callers
from bot.runners import Context, counted, describing, merging, switches
from bot.runners.reviews import person_id, tally
from bot.runners.views import rendered_diff
from policies.document import parse_service_path, plain

log = logging.getLogger("govbot.pulls")

KEY = "pull:{}:{}"
_BRANCH = re.compile(r"change/(\d+)-[A-Za-z0-9.-]+")


@dataclass(frozen=True)
class Judged:
    decision: Decision
    paths: tuple[str, ...]
    approvals: list[Approval]
    blockers: tuple[str, ...]
    requester: Person


def govbot_change(ctx: Context, pull: Pull) -> Change | None:
    """The govbot change a pull request belongs to, when it is one of govbot's."""
    found = _BRANCH.fullmatch(pull.branch)
    if found is None:
        return None
    try:
        change = ctx.store.get(int(found[1]))
    except NotFound:
        return None
    return change if change.branch == pull.branch else None


def requester(ctx: Context, pull: Pull) -> Person:
    """The author as a person of access.yaml; an unmapped login is nobody's grant."""
    found = person_id(ctx.config(ctx.main()), ctx.forge.kind, pull.author)
    if found is None:
        return Person(f"{ctx.forge.kind}:{pull.author}", pull.author, "", ())
    return ctx.person(found)


def judge(ctx: Context, pull: Pull, reviewer: str = "",
          extra: Sequence[Approval] = ()) -> Judged:
    """Every file the pull request changes, judged by main's rules with its approvals
    (reviews on the head, `/approve` comments, and `extra`); an approval that would add
    a deny reason (the author's own, someone who may not approve) is left out."""
    ctx.forge.fetch(pull)
    main = ctx.main()
    base = ctx.repo.merge_base(main, pull.head_sha)
    paths = tuple(ctx.repo.changed_paths(base, pull.head_sha)) if base else ()
    config = ctx.config(main)
    author = requester(ctx, pull)
    counted_reviews = tally(ctx.forge.reviews(pull.number), pull.head_sha, _content(pull),
                            config, ctx.forge.kind)
    rules, _config = ctx.rules.at(main)
    problems = _problems(ctx, main, pull.head_sha, paths)
    texts = {p: (ctx.repo.read(base, p), ctx.repo.read(pull.head_sha, p)) for p in paths
             if not any(problem.startswith(f"{p}: ") for problem in problems)}

    meshes = {p: switches.facts(ctx.repo, main, p, *texts[p]) for p in texts}

    def decide(approvals: Sequence[Approval]) -> Decision:
        decided = [(path, ctx.guard.decide(rules, file_input(
            "edit", path, before, after, author, approvals, ctx.clock(), reviewer,
            parse_service_path(path) or ("", "", ""), mesh=meshes[path])))
            for path, (before, after) in texts.items()]
        return _combine(decided, problems)

    candidates = _merge_approvals(counted_reviews.approvals, _comment_approvals(ctx, pull),
                                  list(extra))
    approvals = counted(decide, [], candidates)
    return Judged(decide(approvals), paths, approvals, counted_reviews.blockers, author)


def _problems(ctx: Context, main: str, head: str, paths: Sequence[str]) -> list[str]:
    """Why files of the pull request could never be applied or loaded: documents that do
    not render, and guardrails (govbot.yaml, access.yaml, rego/) that do not pass what
    `govbot check` checks — merging those would leave govbot unable to judge anything."""
    problems: list[str] = []
    for path in paths:
        if parse_service_path(path) is None:
            continue
        try:
            _check_renders(ctx, main, path, ctx.repo.read(head, path))
        except InvalidDocument as error:
            problems += [f"{path}: [document.invalid] {p}" for p in error.problems]
    if any(_is_guardrail(p) for p in paths):
        problems += [f"[governance.invalid] {p}" for p in ctx.check_commit(head)]
    return problems


def _is_guardrail(path: str) -> bool:
    """A file `govbot check` validates beside the documents: the guardrails, and the
    policy templates that /template apply reads."""
    return path in ("govbot.yaml", "access.yaml") or path.startswith(("rego/", "templates/"))


def refresh(ctx: Context, pull: Pull) -> list[Event]:
    """Judge a pull request again; comment when the verdict is news, set the status,
    merge when it may."""
    key = KEY.format(ctx.forge.kind, pull.number)
    with ctx.holding_key(key, f"pull request {pull.number}"):
        judged = judge(ctx, pull)
        record = ctx.store.chat_ref(key) or {}
        decision = judged.decision
        state, line = describing.status(decision, judged.blockers)
        said = _digest(pull.head_sha, decision)
        if record.get("said") != said:
            ctx.forge.comment(pull.number, comment(ctx, pull, judged))
            record["said"] = said
        if record.get("status") != [pull.head_sha, state, line]:
            ctx.forge.set_status(pull.head_sha, state, line)
            record["status"] = [pull.head_sha, state, line]
        ctx.store.set_chat_ref(key, record)
        if state != "success" or not judged.paths or _merged_by_forge(ctx):
            return []
        return _merge(ctx, pull, judged)


def command(ctx: Context, pull: Pull, person: Person, text: str) -> list[Event]:
    """`/approve` or `/reject <reason>` commented on a pull request written by hand."""
    key = KEY.format(ctx.forge.kind, pull.number)
    verb, _space, reason = text.strip().partition(" ")
    if verb == "/reject":
        judged = judge(ctx, pull, reviewer=person.id)
        if not judged.decision.may_reject:
            raise NotAllowed(f"{person.id} may not reject pull request {pull.number}: only "
                             "its author or someone who may approve it may")
        why = f": {reason.strip()}" if reason.strip() else ""
        ctx.forge.set_status(pull.head_sha, "failure", f"rejected by {person.id}{why}"[:140])
        ctx.forge.comment(pull.number, f"Rejected by {person.id}{why}; govbot closed this "
                          "pull request.")
        ctx.forge.close_pull(pull.number)
        return [Answer(f"pull request {pull.number} rejected by {person.id}{why}")]
    if person.id == requester(ctx, pull).id:
        raise UserError(f"{person.id} wrote pull request {pull.number}; someone else must "
                        "approve it")
    candidate = Approval(person.id, ctx.clock(), _content(pull))
    judged = judge(ctx, pull, extra=[candidate])
    if person.id not in {a.by for a in judged.approvals}:
        reasons = list(judge_with(ctx, pull, candidate)) or [
            f"[review.not_counted] {person.id}'s approval does not count here"]
        raise Denied(reasons, header=f"approval of pull request {pull.number} by "
                                     f"{person.id} refused")
    with ctx.holding_key(key, f"pull request {pull.number}"):
        record = ctx.store.chat_ref(key) or {}
        given = [a for a in record.get("approvals", []) if a.get("head") == pull.head_sha]
        if not any(a.get("by") == person.id for a in given):
            given.append({"by": person.id, "at": ctx.clock().isoformat(),
                          "head": pull.head_sha})
        record["approvals"] = given
        ctx.store.set_chat_ref(key, record)
    return [Answer(f"pull request {pull.number}: approval by {person.id} recorded for "
                   f"{pull.head_sha[:12]}"), *refresh(ctx, pull)]


def judge_with(ctx: Context, pull: Pull, approval: Approval) -> tuple[str, ...]:
    """The deny reasons when `approval` is forced in, to say why it does not count."""
    main = ctx.main()
    base = ctx.repo.merge_base(main, pull.head_sha)
    rules, _config = ctx.rules.at(main)
    author = requester(ctx, pull)
    reasons: list[str] = []
    for path in ctx.repo.changed_paths(base, pull.head_sha) if base else []:
        try:
            decision = ctx.guard.decide(rules, file_input(
                "edit", path, ctx.repo.read(base, path), ctx.repo.read(pull.head_sha, path),
                author, [approval], ctx.clock(), "", parse_service_path(path) or ("", "", "")))
        except InvalidDocument:
            continue
        reasons += [r for r in decision.deny if r.startswith("[review.")]
    return tuple(dict.fromkeys(reasons))


def comment(ctx: Context, pull: Pull, judged: Judged) -> str:
    """The verdict comment: what the guardrails say, the files, what changes in the
    cluster."""
    lines = [f"govbot judged this pull request at `{pull.head_sha[:12]}` with main's "
             f"guardrails, as a change by {judged.requester.id}.", ""]
    if not judged.paths:
        return "\n".join([*lines, "It changes nothing against main."])
    lines += describing.verdict(judged.decision, judged.approvals, judged.blockers)
    lines += ["", "### Files", "", *(f"- `{p}`" for p in judged.paths), ""]
    rendered = "".join(rendered_diff(ctx, ctx.repo.merge_base(ctx.main(), pull.head_sha),
                                     pull.head_sha, p) for p in judged.paths
                       if parse_service_path(p) or p == CONFIG)
    if rendered.startswith("---"):
        lines += ["### What changes in the cluster", "", "```diff",
                  describing.cut(rendered).rstrip("\n"), "```", ""]
    how = ("People merge it on the forge once the `govbot/guard` status passes."
           if _merged_by_forge(ctx) else "govbot merges it once it is approved.")
    lines += [f"Approve with an approving review or a comment `/approve`; a comment "
              f"`/reject <reason>` closes the pull request. {how}"]
    return "\n".join(lines) + "\n"


def _merge(ctx: Context, pull: Pull, judged: Judged) -> list[Event]:
    trailers = [f"Requested-by: {judged.requester.id}",
                *(f"Approved-by: {a.by}" for a in judged.approvals)]
    message = "\n".join([f"Merge pull request {pull.number}: {pull.title}", "", *trailers, ""])
    merged = ctx.forge.merge_pull(pull, message, head=pull.head_sha)
    rolled = merging.apply_main(ctx, merged)
    applied = ("apply pending: " + "; ".join(rolled.pending) if rolled.pending else
               "applied" + (": " + "; ".join(rolled.lines) if rolled.lines else ""))
    by = ", ".join(a.by for a in judged.approvals)
    text = f"pull request {pull.number} approved by {by}, merged, {applied}."
    ctx.forge.comment(pull.number, text[0].upper() + text[1:])
    return [Answer(text)]


def _combine(decisions: Iterable[tuple[str, Decision]], problems: list[str]) -> Decision:
    decided = list(decisions)
    if not decided and not problems:
        return Decision(allow=True, may_reject=True)
    return Decision(
        allow=not problems and all(d.allow for _p, d in decided),
        deny=tuple(problems) + tuple(f"{p}: {r}" for p, d in decided for r in d.deny),
        warn=tuple(f"{p}: {w}" for p, d in decided for w in d.warn),
        approvals_required=max((d.approvals_required for _p, d in decided), default=0),
        approvals_valid=min((d.approvals_valid for _p, d in decided), default=0),
        approvers=tuple(sorted({a for _p, d in decided for a in d.approvers})),
        may_reject=all(d.may_reject for _p, d in decided),
    )


def _check_renders(ctx: Context, main: str, path: str, after: str | None) -> None:
    if after is None or parse_service_path(path) is None:
        return
    data = plain(after, path)
    context = with_callers(ctx.repo, main, path, data,
                           render_context(ctx.config(main), ctx.clock()))
    render_checked(None, after, path, context, data)


def _content(pull: Pull) -> str:
    return f"pull:{pull.head_sha}"


def _comment_approvals(ctx: Context, pull: Pull) -> list[Approval]:
    record: dict[str, Any] = ctx.store.chat_ref(KEY.format(ctx.forge.kind, pull.number)) or {}
    return [Approval(str(a["by"]), datetime.fromisoformat(str(a["at"])), _content(pull))
            for a in record.get("approvals", []) if a.get("head") == pull.head_sha]


def _merge_approvals(*groups: Sequence[Approval]) -> list[Approval]:
    seen: dict[str, Approval] = {}
    for group in groups:
        for approval in group:
            seen.setdefault(approval.by, approval)
    return list(seen.values())


def _merged_by_forge(ctx: Context) -> bool:
    return str(ctx.config(ctx.main()).config.get("merge") or "govbot") == "forge"


def _digest(head: str, decision: Decision) -> str:
    seen = [head, decision.allow, list(decision.deny), list(decision.warn)]
    return hashlib.sha256(repr(seen).encode()).hexdigest()[:16]
