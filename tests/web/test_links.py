"""Chat replies and pull-request descriptions link to the dashboard when
GOVBOT_PUBLIC_URL is set, and /dashboard says so when it is not."""

from __future__ import annotations

from bot.core.events import Answer, ChangeOpened
from bot.runners import describing
from tests.conftest import Govbot
from tests.web.conftest import PUBLIC, Dashboard


def test_the_opened_change_reply_links_to_its_dashboard_page(dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    opened = dashboard.bot.one("/canary svc-user 20%")
    assert isinstance(opened, ChangeOpened)
    assert f"on the dashboard: {PUBLIC}/ui/changes#1" in opened.text


def test_the_pull_request_body_links_to_the_change_and_the_service(
        dashboard: Dashboard) -> None:
    dashboard.bot.seed("svc-user")
    dashboard.bot.one("/canary svc-user 20%")
    ctx = dashboard.bot.app.workflow.context
    change = ctx.store.get(1)
    body = describing.body(ctx, change, change.verdict, [])
    assert f"[this change]({PUBLIC}/ui/changes#1)" in body
    assert f"[svc-user]({PUBLIC}/ui/dev/demo/svc-user)" in body


def test_without_a_public_url_there_is_no_link(govbot: Govbot) -> None:
    govbot.seed("svc-user")
    opened = govbot.one("/canary svc-user 20%")
    assert "/ui/" not in opened.text
    refused = govbot.one("/dashboard")
    assert isinstance(refused, Answer) and not refused.ok
    assert "GOVBOT_PUBLIC_URL" in refused.text and "token=" not in refused.text


def test_the_link_is_said_to_the_asker_only(dashboard: Dashboard) -> None:
    reply = dashboard.bot.one("/dashboard", "carol")
    assert isinstance(reply, Answer) and reply.private and reply.ok
