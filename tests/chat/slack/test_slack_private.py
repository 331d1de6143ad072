"""A private answer (the /dashboard link) asked for in a mention is posted ephemerally to
the asker, never into the thread the channel reads."""

from __future__ import annotations

from pathlib import Path

from tests.chat.slack.conftest import SlackHarness, serve
from tests.chat.slack.fake_slack import FakeSlack
from tests.web.conftest import dashboard_of


def test_a_dashboard_link_asked_in_a_mention_is_ephemeral(tmp_path: Path,
                                                          fake: FakeSlack) -> None:
    dashboard = dashboard_of(tmp_path / "home")
    chat, url, server = serve(dashboard.bot, fake)
    slack = SlackHarness(dashboard.bot, fake, chat, url)
    try:
        status, _body = slack.mention("U0ALICE", "/dashboard", "Ev-dashboard")
        assert status == 200
        fake.wait_for(lambda f: bool(f.ok("chat.postEphemeral")))
        slack.settle()
        whispered = fake.ok("chat.postEphemeral")
        assert len(whispered) == 1 and "/ui/login?token=" in whispered[0].raw
        assert "U0ALICE" in whispered[0].raw
        assert all("token=" not in c.raw for c in fake.ok("chat.postMessage"))
    finally:
        chat.stop()
        server.shutdown()
        server.server_close()
        dashboard.bot.app.close()
