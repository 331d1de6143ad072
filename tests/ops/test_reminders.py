"""Reminders and stale changes (`Workflow.remind`) with the app's clock moved by the test:
each reminder told once, however often and wherever it runs; a stale change closed like
/reject closes it, its service free again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot import resources
from bot.core.events import ChangeRejected, EventsReported
from bot.core.types import Author, Command
from bot.repo.git import PolicyRepo
from tests.conftest import SEEDER, Govbot, seed
from tests.ops.support import Clock, remind, timed_govbot, told
from tests.support.fake_github import FakeGitHub
from tests.support.postgres import empty_postgres

STALE = ("closed as stale: no approval in 7 d; ask again with /canary svc-user … "
         "--env prod --ns demo if it is still wanted")


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def govbot(tmp_path: Path, clock: Clock) -> Iterator[Govbot]:
    bot = timed_govbot(tmp_path / "home", clock)
    seed(bot.app, "svc-user")
    seed(bot.app, "svc-user", env="prod")
    yield bot
    bot.app.close()


def ask_in_slack(govbot: Govbot, text: str) -> None:
    """alice asks in the Slack channel bound to prod/demo."""
    events = govbot.app.workflow.handle(Command("slack", "U0ALICE", "C0123", text,
                                                team="T0123"))
    assert events and events[0].ok, events


def test_a_waiting_change_is_reminded_in_its_channel_then_to_its_approvers(
        govbot: Govbot, clock: Clock) -> None:
    ask_in_slack(govbot, "/canary svc-user 20% --env prod")
    content = govbot.app.store.get(1).content_hash
    clock.advance(timedelta(hours=3, minutes=59))
    assert remind(govbot.app) == []

    clock.advance(timedelta(minutes=1))
    first = remind(govbot.app)
    assert first == [EventsReported(
        "slack", "C0123", f"remind:1:{content}:1",
        "reminder: #1 canary svc-user 0% → 20% (prod/demo), asked by alice 4 h ago, still "
        "needs 2 approvals from sre. /approve 1 or /reject 1 <reason>; /show 1 shows the "
        "diff", 1, "info")]
    assert remind(govbot.app) == []  # told once

    clock.advance(timedelta(hours=20))
    second = told(remind(govbot.app))
    # to every channel bound to prod/demo, the asking one among them, once each
    assert [(e.platform, e.channel) for e in second] == [("slack", "C0123"),
                                                         ("dingtalk", "cidXXXX")]
    assert {e.key for e in second} == {f"remind:1:{content}:2"}
    assert second[0].text.splitlines() == [
        "reminder to approvers: #1 canary svc-user 0% → 20% (prod/demo), asked by alice, "
        "has waited 1 d for 2 approvals from sre",
        "may approve: sre (bob, carol, dave)",
        "/approve 1 or /reject 1 <reason>; without approval it is closed as stale in 6 d"]
    assert remind(govbot.app) == []


def test_an_approval_that_does_not_suffice_is_counted_in_the_reminder(
        govbot: Govbot, clock: Clock) -> None:
    ask_in_slack(govbot, "/canary svc-user 20% --env prod")
    recorded = govbot.say("/approve 1", user="bob")
    assert recorded[0].ok, recorded
    clock.advance(timedelta(hours=25))
    texts = {e.text for e in told(remind(govbot.app))}
    assert len(texts) == 1
    assert texts.pop().splitlines()[0].endswith("has waited 1 d for 1 approval from sre")


def test_a_change_asked_in_the_console_is_reminded_there(govbot: Govbot,
                                                         clock: Clock) -> None:
    assert govbot.one("/canary svc-user 20%").ok
    clock.advance(timedelta(hours=5))
    reminded = told(remind(govbot.app))
    assert [(e.platform, e.channel) for e in reminded] == [("console", "*")]
    assert reminded[0].text.startswith("reminder: #1 canary svc-user 0% → 20% (dev/demo), "
                                       "asked by alice 5 h ago, still needs 1 approval")


def test_changes_that_wait_for_no_one_are_not_reminded(govbot: Govbot, clock: Clock) -> None:
    assert govbot.one("/canary svc-user 20%").ok
    merged = govbot.say("/approve 1", user="bob")
    assert merged[-1].ok, merged
    ask_in_slack(govbot, "/canary svc-user 20% --env prod")
    assert [e.ok for e in govbot.say("/reject 2 not now", user="bob")] == [True]
    clock.advance(timedelta(days=2))
    assert remind(govbot.app) == []


def test_a_stale_change_is_closed_and_its_service_is_free_again(govbot: Govbot,
                                                                clock: Clock) -> None:
    ask_in_slack(govbot, "/canary svc-user 20% --env prod")
    assert "change/1-svc-user" in govbot.branches()
    clock.advance(timedelta(days=7))
    events = remind(govbot.app)
    text = f"#1 canary svc-user 0% → 20% (prod/demo) {STALE}. svc-user is free for a new change."
    rejected = [e for e in events if isinstance(e, ChangeRejected)]
    assert [(e.change.id, e.change.state, e.text) for e in rejected] == [(1, "rejected", text)]
    assert [(e.platform, e.channel, e.key, e.text) for e in told(events)] == [
        ("slack", "C0123", "stale:1", text), ("dingtalk", "cidXXXX", "stale:1", text)]
    change = govbot.app.store.get(1)
    assert (change.state, change.reason) == ("rejected", STALE)
    assert "change/1-svc-user" not in govbot.branches()
    assert remind(govbot.app) == []  # closed once

    reopened = govbot.say("/canary svc-user 25% --env prod")
    assert reopened[0].ok and reopened[0].change_id == 2, reopened


def test_govbot_stopped_for_days_tells_only_the_latest_reminder(govbot: Govbot,
                                                               clock: Clock) -> None:
    ask_in_slack(govbot, "/canary svc-user 20% --env prod")
    clock.advance(timedelta(days=2))
    keys = {e.key for e in told(remind(govbot.app))}
    content = govbot.app.store.get(1).content_hash
    assert keys == {f"remind:1:{content}:2"}
    assert remind(govbot.app) == []


def test_two_replicas_on_one_database_tell_each_reminder_once(
        tmp_path: Path, postgres_database: str, clock: Clock) -> None:
    url = empty_postgres(postgres_database)
    first = timed_govbot(tmp_path / "home", clock, GOVBOT_DATABASE_URL=url)
    second = timed_govbot(tmp_path / "home", clock, GOVBOT_DATABASE_URL=url)
    try:
        seed(first.app, "svc-user", "svc-order", env="prod")
        ask_in_slack(first, "/canary svc-user 20% --env prod")
        ask_in_slack(second, "/canary svc-order 10% --env prod")
        clock.advance(timedelta(hours=4))
        keys = [e.key for app in (first.app, second.app, first.app, second.app)
                for e in remind(app)]
        hashes = {n: first.app.store.get(n).content_hash for n in (1, 2)}
        assert sorted(keys) == sorted(f"remind:{n}:{h}:1" for n, h in hashes.items())
        clock.advance(timedelta(days=7))
        closed = [e for app in (second.app, first.app) for e in remind(app)
                  if isinstance(e, ChangeRejected)]
        assert sorted(e.change.id for e in closed) == [1, 2]
    finally:
        first.app.close()
        second.app.close()



def test_on_a_hosted_forge_the_stale_pull_request_is_commented_and_closed(
        tmp_path: Path, clock: Clock) -> None:
    origin = PolicyRepo.init(tmp_path / "origin.git", resources.template_files(),
                             Author("govbot", "govbot@localhost"))
    fake = FakeGitHub(origin.path)
    with fake.serve() as api:
        bot = timed_govbot(tmp_path / "home", clock, GOVBOT_FORGE="github",
                           GOVBOT_REPO_URL=str(origin.path), GOVBOT_FORGE_URL=api,
                           GOVBOT_FORGE_TOKEN=fake.token, GOVBOT_FORGE_REPO=fake.repo,
                           GOVBOT_FORGE_BACKOFF_SECONDS="0", GOVBOT_FORGE_PACING_SECONDS="0")
        try:
            assert bot.one("/canary svc-user 20%").ok
            assert bot.one("/canary svc-order 20%").ok
            pull = fake.pull_for("change/1-svc-user")
            assert pull is not None and pull["state"] == "open"
            clock.advance(timedelta(days=7))
            fake.fail("close_pull", 422)  # the forge refuses to close #1 this time
            closed = [e for e in remind(bot.app) if isinstance(e, ChangeRejected)]
            assert [e.change.id for e in closed] == [2]  # #1 does not hold #2 back
            assert bot.app.store.get(1).state == "open"
            assert fake.comments_of(pull["number"]) == []

            closed = [e for e in remind(bot.app) if isinstance(e, ChangeRejected)]
            assert [e.change.id for e in closed] == [1]
            assert fake.pull(pull["number"])["state"] == "closed"
            assert fake.comments_of(pull["number"]) == [
                "Closed by govbot: closed as stale: no approval in 7 d; ask again with "
                "/canary svc-user … --env dev --ns demo if it is still wanted."]
            assert bot.app.store.get(1).state == "rejected"
        finally:
            bot.app.close()


def set_prod_canary_step(govbot: Govbot, step: int) -> None:
    """Main's govbot.yaml with another prod canary step limit, as a reviewed change
    would leave it."""
    repo = govbot.app.repo
    old = repo.head("main")
    config = yaml.safe_load(repo.read_many(old, ["govbot.yaml"])["govbot.yaml"] or "")
    config["environments"]["prod"]["limits"]["canaryMaxStep"] = step
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": yaml.safe_dump(config)}, SEEDER,
                                     f"prod canary steps of {step}"), old=old)


def test_a_change_main_denies_now_is_reminded_only_once_it_waits_for_people_again(
        govbot: Govbot, clock: Clock) -> None:
    ask_in_slack(govbot, "/canary svc-user 20% --env prod")
    set_prod_canary_step(govbot, 10)  # like a freeze: main's rules deny it for now
    clock.advance(timedelta(hours=5))
    assert remind(govbot.app) == []
    assert remind(govbot.app) == []
    set_prod_canary_step(govbot, 25)
    reminded = told(remind(govbot.app))
    assert [(e.platform, e.channel) for e in reminded] == [("slack", "C0123")]
    assert reminded[0].text.startswith("reminder: #1 canary svc-user 0% → 20% (prod/demo)")
    clock.advance(timedelta(days=7))
    set_prod_canary_step(govbot, 10)
    assert remind(govbot.app) == []  # not closed as stale while it waits for no one
    assert govbot.app.store.get(1).state == "open"
