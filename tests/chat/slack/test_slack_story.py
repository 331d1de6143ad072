"""The prod story through `govbot serve` with signed Slack requests and a fake Web API:
/canary → ack → card → Approve by bob (1 of 2) → Approve by carol → merged, applied."""

from __future__ import annotations

import threading
from typing import Any

import yaml

from bot.core.events import Event
from bot.core.types import Command
from tests.chat.slack.conftest import SlackHarness, mrkdwn_texts, serve
from tests.chat.slack.fake_slack import FakeSlack
from tests.conftest import Govbot, card_of


def has_actions(blocks: list[dict[str, Any]]) -> bool:
    return any(block["type"] == "actions" for block in blocks)


def test_prod_story_card_is_approved_by_two_others_then_merged_and_applied(
        slack: SlackHarness) -> None:
    status, ack = slack.command("U0ALICE", "svc-user 20%")
    assert status == 200 and ack.startswith("working on it: /canary svc-user 20%")
    slack.settle()
    card = slack.fake.ok("chat.postMessage")[0].body
    assert card["channel"] == "C0123" and "thread_ts" not in card
    assert card["blocks"][0]["text"]["text"].startswith("#1 canary svc-user")
    assert "<@U0ALICE> asked: /canary svc-user 20%" in mrkdwn_texts(card["blocks"])
    assert has_actions(card["blocks"])
    ref = slack.bot.app.store.chat_ref("slack:change:1")
    assert ref is not None and ref["channel"] == "C0123"
    card_ts = ref["ts"]

    assert slack.click("U0BOB", 1, card_ts)[0] == 200
    slack.settle()
    thread = [c.body for c in slack.fake.ok("chat.postMessage")[1:]]
    assert [m["thread_ts"] for m in thread] == [card_ts]
    assert "approved by bob (1 of 2)" in thread[0]["text"]
    update = slack.fake.ok("chat.update")[0].body
    assert update["ts"] == card_ts and has_actions(update["blocks"])
    assert any("approvals 1 of 2 (bob)" in t for t in mrkdwn_texts(update["blocks"]))

    assert slack.click("U0CAROL", 1, card_ts)[0] == 200
    slack.settle()
    merged = slack.fake.ok("chat.postMessage")[-1].body
    assert merged["thread_ts"] == card_ts and "merged" in merged["text"]
    final = slack.fake.ok("chat.update")[-1].body
    assert not has_actions(final["blocks"])
    assert any("merged and applied, approved by bob, carol" in t
               for t in mrkdwn_texts(final["blocks"]))
    vs = yaml.safe_load(
        (slack.bot.rendered("prod", "demo") / "virtualservice-svc-user.yaml").read_text())
    assert [d["weight"] for d in vs["spec"]["http"][-1]["route"]] == [80, 20]


def test_a_click_counts_as_the_clicker_and_double_clicks_count_once(
        slack: SlackHarness) -> None:
    slack.command("U0ALICE", "svc-user 20%")
    slack.settle()
    ref = slack.bot.app.store.chat_ref("slack:change:1")
    assert ref is not None
    card_ts = ref["ts"]

    slack.click("U0ALICE", 1, card_ts)          # the requester's own click
    clicks = [threading.Thread(target=slack.click, args=("U0BOB", 1, card_ts)) for _ in range(3)]
    for click in clicks:
        click.start()
    for click in clicks:
        click.join()
    slack.settle()

    view = card_of(slack.bot.app, 1)
    assert view.approved_by == ("bob",) and view.state == "open"
    thread = [c.body["text"] for c in slack.fake.ok("chat.postMessage")[1:]]
    assert len([t for t in thread if "approved by bob" in t]) == 1
    private = {c.body["user"]: c.body["text"] for c in slack.fake.ok("chat.postEphemeral")}
    assert "review.self_approval" in private["U0ALICE"]
    assert "already approved" in private["U0BOB"]


class HeldCore:
    """The workflow, held until the test releases it: shows the ack comes first."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.release = threading.Event()

    def handle(self, command: Command) -> list[Event]:
        assert self.release.wait(60), "the test never released the work"
        events: list[Event] = self.inner.handle(command)
        return events


def test_ack_returns_before_the_work_runs(govbot_home: Govbot, fake: FakeSlack) -> None:
    held = HeldCore(govbot_home.app.workflow)
    chat, url, server = serve(govbot_home, fake, held)
    harness = SlackHarness(govbot_home, fake, chat, url)
    try:
        status, ack = harness.command("U0ALICE", "svc-user 20%")
        assert status == 200 and "working on it" in ack
        assert govbot_home.app.store.changes() == [] and fake.calls == []
        held.release.set()
        fake.wait_for(lambda f: len(f.ok("chat.postMessage")) == 1)
        assert [c.id for c in govbot_home.app.store.changes()] == [1]
    finally:
        held.release.set()
        chat.stop()
        server.shutdown()
        server.server_close()


def test_a_command_delivered_three_times_opens_one_change(slack: SlackHarness) -> None:
    body = slack.command_body("U0ALICE", "svc-user 20%", trigger="13345224609.738474920.8088")
    assert [slack.post(body)[0] for _ in range(3)] == [200, 200, 200]
    slack.settle()
    assert [c.id for c in slack.bot.app.store.changes()] == [1]
    assert len(slack.fake.ok("chat.postMessage")) == 1


def test_a_retried_mention_opens_one_change_and_threads_under_the_mention(
        slack: SlackHarness) -> None:
    statuses = [slack.mention("U0ALICE", "灰度 svc-user 20%", "Ev0001", retry=n)[0]
                for n in range(3)]
    assert statuses == [200, 200, 200]
    slack.settle()
    assert [c.id for c in slack.bot.app.store.changes()] == [1]
    posted = slack.fake.ok("chat.postMessage")
    assert [p.body["thread_ts"] for p in posted] == ["1700000050.000100"]
    ref = slack.bot.app.store.chat_ref("slack:change:1")
    assert ref is not None and ref["thread_ts"] == "1700000050.000100"


def test_user_text_is_escaped_so_it_cannot_mention_the_channel(slack: SlackHarness) -> None:
    slack.command("U0ALICE", "svc-user 20%")
    slack.settle()
    status, ack = slack.command("U0BOB", "1 <!channel> & <@U0CAROL> say no", command="/reject")
    assert status == 200 and "<!channel>" not in ack
    slack.settle()  # the rejection's thread reply first, then the mention's answer
    slack.mention("U0ALICE", "canary <!here> 20%", "Ev0002")
    slack.settle()
    raw = "\n".join(call.raw for call in slack.fake.calls)
    assert "<!channel>" not in raw and "<!here>" not in raw and "<@U0CAROL>" not in raw
    thread = slack.fake.ok("chat.postMessage")[1].body
    assert "&lt;!channel&gt; &amp; &lt;@U0CAROL&gt; say no" in thread["text"]
    card = slack.fake.ok("chat.update")[-1].body
    assert any("rejected: &lt;!channel&gt;" in t for t in mrkdwn_texts(card["blocks"]))
    refusal = slack.fake.ok("chat.postMessage")[-1].body
    assert refusal["thread_ts"] == "1700000050.000100" and "&lt;!here&gt;" in refusal["text"]


def test_a_refused_slash_command_is_answered_privately_through_response_url(
        slack: SlackHarness) -> None:
    slack.command("U0NOBODY", "svc-user 20%")
    slack.fake.wait_for(lambda f: len(f.ok("response")) == 1)
    answer = slack.fake.ok("response")[0].body
    assert answer["response_type"] == "ephemeral" and "not in access.yaml" in answer["text"]
    assert slack.bot.app.store.changes() == [] and slack.fake.ok("chat.postMessage") == []


def test_the_govbot_umbrella_command_reaches_commands_slack_reserves(slack: SlackHarness) -> None:
    status, _ack = slack.command("U0ALICE", "canary svc-user 20%", command="/govbot")
    assert status == 200
    slack.settle()
    assert [c.summary for c in slack.bot.app.store.changes()] == \
        ["canary svc-user 0% → 20%"]
