"""/template save <name> from <svc> | apply <name> to <svc>[,<svc>…] | list | show <name> — saved policy templates.

`save` stores a service's governance sections (rate limit, circuit breaker, whitelist,
timeout and retries, autoscale; a fault saved off) as `templates/<name>.yaml` through a
change; `apply` opens one change per service that sets the template's sections, each
judged by the guardrails of its environment; `list` and `show` read the templates of main.

Alias: 模板
Examples:
    /template save resilient from svc-user
    /template apply resilient to svc-pay,svc-order
    /template apply resilient-http to svc-pay svc-order --env prod
    /template list
    /template show resilient-http
    模板 apply resilient to svc-pay、svc-order
"""  # noqa: E501 -- the first line is the usage /help shows, whole

from __future__ import annotations

import re

from bot.core.errors import UsageError
from commands import grammar
from commands.spec import CommandSpec
from policies import kinds, templates
from policies.intents import TemplateApplyMany, TemplateList, TemplateSave, TemplateShow

USAGE = kinds.TEMPLATE.usage
_VERBS = ("save", "apply", "list", "show")
# "、" is how Chinese text lists things; NFKC has already turned "，" into ",".
_SEPARATORS = re.compile(r"[,、]")

Parsed = TemplateSave | TemplateApplyMany | TemplateList | TemplateShow


def parse(words: list[str]) -> Parsed:
    if not words:
        raise grammar.missing("save, apply, list or show")
    verb = grammar.keyword(words[0], _VERBS, "save, apply, list or show")
    rest = words[1:]
    match verb:
        case "list":
            _nothing_after(rest)
            return TemplateList()
        case "show":
            if not rest:
                raise UsageError("missing the template's name", example="/template show "
                                 "resilient-http")
            _nothing_after(rest[1:])
            return TemplateShow(name(rest[0]))
        case "save":
            template, service = _name_and(rest, "from", "the service to save from",
                                          "/template save resilient from svc-user")
            return TemplateSave(template, _one_service(service))
    template, targets = _name_and(rest, "to", "the services to apply it to",
                                  "/template apply resilient to svc-pay,svc-order")
    return TemplateApplyMany(template, _services(targets))


def name(word: str) -> str:
    """A template's name: a DNS-1123 label (at most 53 characters)."""
    problem = templates.name_problem(word)
    if problem is not None:
        raise UsageError(problem.replace(repr(word[:80]), grammar.show(word), 1))
    return word


def _name_and(words: list[str], keyword: str, what: str,
              example: str) -> tuple[str, list[str]]:
    """`<name> <keyword> <words…>`: the name and the words after the keyword."""
    if not words:
        raise UsageError("missing the template's name", example=example)
    template = name(words[0])
    if len(words) == 1:
        raise UsageError(f"missing {keyword} and {what}", example=example)
    if words[1].lower() != keyword:
        raise UsageError(f'expected "{keyword}" after the name, not {grammar.show(words[1])}',
                         example=example)
    if len(words) == 2:
        raise UsageError(f"missing {what} after {keyword}", example=example)
    return template, words[2:]


def _one_service(words: list[str]) -> str:
    service = grammar.service(words[0])
    _nothing_after(words[1:])
    return service


def _services(words: list[str]) -> tuple[str, ...]:
    """The services after `to`, in the order given, each once."""
    names = [n for word in words for n in _SEPARATORS.split(word) if n]
    if not names:
        raise UsageError("missing the services after to",
                         example="/template apply resilient to svc-pay,svc-order")
    return tuple(dict.fromkeys(grammar.service(n) for n in names))


def _nothing_after(words: list[str]) -> None:
    if words:
        raise grammar.unexpected(words)


SPEC = CommandSpec.from_doc("template", __doc__, usage=USAGE, parse=parse, mutating=True)
