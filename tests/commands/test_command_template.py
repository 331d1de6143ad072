"""/template: its grammar, and a precise message for each mistake."""

from __future__ import annotations

import pytest

import commands
from bot.core.errors import UsageError
from policies.intents import TemplateApplyMany, TemplateList, TemplateSave, TemplateShow


@pytest.mark.parametrize(("text", "intent"), [
    ("/template save resilient from svc-user", TemplateSave("resilient", "svc-user")),
    ("template SAVE resilient FROM svc-user", TemplateSave("resilient", "svc-user")),
    ("/template apply resilient to svc-pay,svc-order",
     TemplateApplyMany("resilient", ("svc-pay", "svc-order"))),
    ("/template apply resilient to svc-pay svc-order, svc-pay",
     TemplateApplyMany("resilient", ("svc-pay", "svc-order"))),
    ("模板 apply resilient to svc-pay、svc-order",
     TemplateApplyMany("resilient", ("svc-pay", "svc-order"))),
    ("/template list", TemplateList()),
    ("/template show resilient-http", TemplateShow("resilient-http")),
])
def test_template_commands_parse(text: str, intent: object) -> None:
    assert commands.parse(text).intent == intent


def test_flags_land_where_they_say() -> None:
    parsed = commands.parse("/template apply resilient to svc-pay --env prod")
    assert parsed.env == "prod"
    assert parsed.intent == TemplateApplyMany("resilient", ("svc-pay",))


@pytest.mark.parametrize(("text", "says"), [
    ("/template", "missing save, apply, list or show"),
    ("/template sav x from svc-user", 'did you mean "save"'),
    ("/template save", "missing the template's name"),
    ("/template save Resilient from svc-user", "is not a template name"),
    ("/template save " + "x" * 54 + " from svc-user", "at most 53"),
    ("/template save resilient", "missing from and the service to save from"),
    ("/template save resilient form svc-user", 'expected "from" after the name, not "form"'),
    ("/template save resilient from", "missing the service to save from after from"),
    ("/template save resilient from SVC", "is not a service name"),
    ("/template save resilient from svc-user svc-pay", 'unexpected "svc-pay"'),
    ("/template apply resilient", "missing to and the services to apply it to"),
    ("/template apply resilient to", "missing the services to apply it to after to"),
    ("/template apply resilient to ,", "missing the services after to"),
    ("/template apply resilient to svc-pay,Bad", "is not a service name"),
    ("/template list all", 'unexpected "all"'),
    ("/template show", "missing the template's name"),
    ("/template show a b", 'unexpected "b"'),
])
def test_mistakes_say_what_was_wrong_with_usage_and_example(text: str, says: str) -> None:
    with pytest.raises(UsageError) as raised:
        commands.parse(text)
    message = str(raised.value)
    assert says in message, message
    assert "/template save <name> from <svc>" in message  # the usage line
    assert "example:" in message
