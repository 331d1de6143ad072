"""/template: save a service's governance sections under a name, apply them to others.

- `save` opens a change that writes `templates/<name>.yaml` (`changesets.for_template_save`);
  templates/ is its own class of file for the guardrails: `templates.approvals` of
  govbot.yaml (default: one approval from anyone who may approve somewhere).
- `apply` opens one change per service (`opening.run` with a `TemplateApply`), each
  judged by the guardrails of its environment and namespace; one refused or denied does
  not stop the others, and the answer lists what was opened and what was refused, why.
- `listing` and `show` read the templates of main.

Example:
    events = apply(ctx, person, Scope("dev", "demo"),
                   TemplateApplyMany("resilient", ("svc-pay", "svc-order")))
"""

from __future__ import annotations

from bot.core.errors import InvalidDocument, Locked, NotFound, TransientError, UserError
from bot.core.events import Answer, ChangeOpened, Event
from bot.core.types import Person, Scope
from bot.runners import Context, changesets, merging, opening
from policies import intents, templates
from policies.document import closest

DIFF_LINES = 60  # of each opened change in the answer; /show <change> has it whole


def save(ctx: Context, person: Person, scope: Scope, intent: intents.TemplateSave,
         origin: opening.Origin = ("", "")) -> list[Event]:
    """/template save <name> from <svc>: the change that writes the template. A template
    belongs to no environment: an open save of the same name anywhere holds it."""
    lock = changesets.template_lock(intent.name)
    merging.refuse_locked(ctx, scope, lock)
    for held in ctx.store.changes("open", service=lock):
        raise Locked(held.id, held.requester, lock)
    main = ctx.main()
    change_set = changesets.for_template_save(ctx.repo, intent, scope, main, person.id)
    return opening.open_change(ctx, person, change_set, main, origin)


def apply(ctx: Context, person: Person, scope: Scope, intent: intents.TemplateApplyMany,
          origin: opening.Origin = ("", "")) -> list[Event]:
    """/template apply <name> to <svc>,…: one change per service, then one answer."""
    template = read(ctx, ctx.main(), intent.name)
    events: list[Event] = []
    opened: list[str] = []
    unchanged: list[str] = []
    refused: list[str] = []
    for service in intent.services:
        try:
            results = opening.run(ctx, person, scope, templates.intent(template, service),
                                  origin)
        except UserError as error:
            refused.append(f"• {service}: {error}")
            continue
        except TransientError as error:  # the others go on; this one may be asked again
            refused.append(f"• {service}: {error}; ask again with /template apply "
                           f"{intent.name} to {service} in a moment")
            continue
        for event in results:
            if isinstance(event, ChangeOpened):
                change = event.change
                diff = "\n".join(change.diff.splitlines()[:DIFF_LINES])
                opened.append(f"• {service}: #{change.id} {change.summary}\n{diff}")
            if isinstance(event, Answer):
                unchanged.append(f"• {service}: {event.text}")
            else:
                events.append(event)
    return [*events, Answer(_summary(intent.name, scope, opened, unchanged, refused),
                            ok=not refused)]


def _summary(name: str, scope: Scope, opened: list[str], unchanged: list[str],
             refused: list[str]) -> str:
    lines = [f"/template apply {name} in {scope}: {len(opened)} opened, "
             f"{len(refused)} refused"]
    for title, items in (("opened", opened), ("nothing to change", unchanged),
                         ("refused", refused)):
        if items:
            lines += [f"{title}:", *items]
    return "\n".join(lines)


def listing(ctx: Context) -> list[Event]:
    """/template list: every template of main with what it sets and where it came from."""
    main = ctx.main()
    names = _names(ctx, main)
    if not names:
        return [Answer("no policy templates yet; /template save <name> from <svc> saves one, "
                       "e.g. /template save resilient from svc-user")]
    lines = [f"policy templates ({len(names)}):"]
    for name in names:
        try:
            template = read(ctx, main, name)
        except UserError as error:
            lines.append(f"• {name}: cannot be used: {error}")
            continue
        source = f", from {template.source}" if template.source else ""
        lines.append(f"• {name}: {template.summary}{source}")
    lines.append("/template show <name> shows one; /template apply <name> to <svc>,… sets "
                 "it on services")
    return [Answer("\n".join(lines))]


def show(ctx: Context, name: str) -> list[Event]:
    """/template show <name>: the template's file as main holds it."""
    main = ctx.main()
    template = read(ctx, main, name)
    text = ctx.repo.read(main, templates.path(name)) or ""
    return [Answer(f"template {name} ({templates.path(name)}) sets {template.summary}:\n"
                   f"{text.rstrip()}\n/template apply {name} to <svc>,… sets it on services")]


def read(ctx: Context, main: str, name: str) -> templates.PolicyTemplate:
    """The template `name` of main; NotFound with a "did you mean", UserError when the
    file is not a valid template."""
    path = templates.path(name)
    text = ctx.repo.read(main, path)
    if text is None:
        known = _names(ctx, main)
        near = closest(name, known)
        if near is not None:
            raise NotFound(f"no policy template named {name}. Did you mean {near}? "
                           "(/template list shows them all)")
        if known:
            raise NotFound(f"no policy template named {name}; the templates are "
                           f"{', '.join(known)}")
        raise NotFound(f"no policy template named {name}, and there are none yet; "
                       "/template save <name> from <svc> saves one")
    try:
        return templates.load(text, path)
    except InvalidDocument as error:
        raise UserError(f"{path} is not a valid template, so it cannot be used until it is "
                        f"fixed: {'; '.join(error.problems)}") from None


def _names(ctx: Context, main: str) -> list[str]:
    return sorted(n for p in ctx.repo.list_files(main, templates.FOLDER)
                  if (n := templates.name_of(p)) is not None)
