"""The daily digest (`Workflow.digest`): a scenario run through the real workflow on the
embedded default, with the app's clock moved by the test, and its message read line by
line."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.core.events import GovernanceEvent
from tests.conftest import FIXED_NOW, SEEDER, Govbot, seed
from tests.ops.support import Clock, timed_govbot, told
from tests.support.postgres import empty_postgres

DAY = timedelta(days=1)


@pytest.fixture
def clock() -> Clock:
    return Clock(FIXED_NOW - timedelta(days=2))


@pytest.fixture
def govbot(tmp_path: Path, clock: Clock) -> Iterator[Govbot]:
    bot = timed_govbot(tmp_path / "home", clock)
    seed(bot.app, "svc-user", "svc-order", "svc-pay")
    yield bot
    bot.app.close()


def event(kind: str, service: str, hours_ago: float, count: int,
          env: str = "dev") -> GovernanceEvent:
    return GovernanceEvent(kind, env, "demo", service, FIXED_NOW - timedelta(hours=hours_ago),
                           count=count)


def ok(events: list[object]) -> None:
    assert events and all(getattr(e, "ok", False) for e in events), events


def test_a_day_of_changes_and_events_in_one_message(govbot: Govbot, clock: Clock) -> None:
    ok(govbot.say("/canary svc-pay 10%"))                       # #1, merged two days ago
    ok(govbot.say("/approve 1", user="bob"))
    clock.now = FIXED_NOW - timedelta(hours=20)
    ok(govbot.say("/canary svc-user 20%"))                      # #2, merged in the window
    ok(govbot.say("/approve 2", user="bob"))
    clock.now = FIXED_NOW - timedelta(hours=10)
    ok(govbot.say("/ratelimit svc-order 100/1s"))               # #3, still open
    ok(govbot.say("/fault svc-pay abort 503 10%"))              # #4, rejected
    ok(govbot.say("/reject 4 too early", user="bob"))
    ok(govbot.say("/timeout svc-user 2s"))                      # #5, rejected, no reason
    ok(govbot.say("/reject 5"))
    clock.now = FIXED_NOW
    govbot.app.workflow.ingest([
        event("circuit_break", "svc-user", 1, 42),
        event("rate_limit", "svc-order", 2, 7),
        event("rate_limit", "svc-order", 3, 5),
        event("fault", "svc-pay", 4, 3),
        event("circuit_break", "svc-pay", 48, 1000),  # before the window
    ])

    digest = govbot.app.workflow.digest(DAY)
    # prod/demo's Slack and DingTalk channels had a quiet day: no message for them
    assert [(e.platform, e.channel, e.key, e.severity) for e in told(digest)] == [
        ("console", "*", "digest:2026-11-27", "info")]
    assert len(digest) == 1
    assert digest[0].text.splitlines() == [
        "govbot digest, 2026-11-26 10:00:00 UTC to 2026-11-27 10:00:00 UTC:",
        "merged (1):",
        "  #2 svc-user: canary svc-user 0% → 20%, asked by alice",
        "pending (1):",
        "  #3 svc-order: ratelimit svc-order 100/1s, asked by alice; waits for 1 approval "
        "from bob or carol or dave",
        "rejected or closed (2):",
        "  #4 svc-pay: fault svc-pay abort 503 10%, asked by alice; too early",
        "  #5 svc-user: timeout svc-user 2s, asked by alice; rejected by alice",
        "top governance events:",
        "  circuit_break on svc-user: 42×",
        "  rate_limit on svc-order: 12×",
        "  fault on svc-pay: 3×"]
    assert govbot.app.workflow.digest(DAY) == []  # once a day, however often it runs

    clock.advance(DAY)  # the next day: #3 still pending, nothing else
    next_day = told(govbot.app.workflow.digest(DAY))
    assert [e.key for e in next_day] == ["digest:2026-11-28"]
    assert next_day[0].text.splitlines()[1:] == [
        "pending (1):",
        "  #3 svc-order: ratelimit svc-order 100/1s, asked by alice; waits for 1 approval "
        "from bob or carol or dave"]


def test_each_channel_gets_its_namespace_and_the_top_five(govbot: Govbot,
                                                          clock: Clock) -> None:
    clock.now = FIXED_NOW
    govbot.app.workflow.ingest([
        event("denied", "svc-a", 1, 1, env="prod"),
        event("timeout", "svc-b", 1, 2, env="prod"),
        event("retry", "svc-b", 1, 30, env="prod"),
        event("rate_limit", "svc-c", 1, 4, env="prod"),
        event("rate_limit", "svc-c", 5, 40, env="prod"),
        event("fault", "svc-d", 1, 5, env="prod"),
        event("circuit_break", "svc-e", 2, 6, env="prod"),
    ])
    digest = told(govbot.app.workflow.digest(DAY))
    assert [(e.platform, e.channel) for e in digest] == [("slack", "C0123"),
                                                         ("dingtalk", "cidXXXX")]
    assert digest[0].text == digest[1].text
    assert digest[0].text.splitlines()[1:] == [
        "top governance events:",
        "  rate_limit on svc-c: 44×",
        "  retry on svc-b: 30×",
        "  circuit_break on svc-e: 6×",
        "  fault on svc-d: 5×",
        "  timeout on svc-b: 2×"]


def test_a_quiet_day_says_nothing(govbot: Govbot, clock: Clock) -> None:
    clock.now = FIXED_NOW
    assert govbot.app.workflow.digest(DAY) == []


def test_a_channel_bound_to_two_namespaces_gets_one_message_in_sections(
        govbot: Govbot, clock: Clock) -> None:
    repo = govbot.app.repo
    old = repo.head("main")
    config = yaml.safe_load(repo.read_many(old, ["govbot.yaml"])["govbot.yaml"] or "")
    config["channels"].append({"platform": "console", "channel": "*", "env": "prod",
                               "namespace": "demo"})
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": yaml.safe_dump(config)}, SEEDER,
                                     "console gets prod/demo's news too"), old=old)
    clock.now = FIXED_NOW
    govbot.app.workflow.ingest([event("fault", "svc-pay", 1, 3),
                                event("retry", "svc-b", 1, 30, env="prod")])
    console = [e for e in told(govbot.app.workflow.digest(DAY)) if e.platform == "console"]
    assert len(console) == 1
    assert console[0].text.splitlines()[1:] == [
        "dev/demo:",
        "  top governance events:",
        "    fault on svc-pay: 3×",
        "prod/demo:",
        "  top governance events:",
        "    retry on svc-b: 30×"]


def test_two_replicas_on_postgresql_tell_the_digest_once(
        tmp_path: Path, postgres_database: str, clock: Clock) -> None:
    url = empty_postgres(postgres_database)
    first = timed_govbot(tmp_path / "home", clock, GOVBOT_DATABASE_URL=url)
    second = timed_govbot(tmp_path / "home", clock, GOVBOT_DATABASE_URL=url)
    try:
        clock.now = FIXED_NOW
        first.app.workflow.ingest([event("retry", "svc-b", 1, 30),
                                   event("retry", "svc-b", 2, 12),
                                   event("fault", "svc-a", 1, 30)])
        texts = [e.text for app in (second.app, first.app, second.app)
                 for e in told(app.workflow.digest(DAY))]
        assert len(texts) == 1
        assert texts[0].splitlines()[1:] == ["top governance events:",
                                             "  retry on svc-b: 42×",
                                             "  fault on svc-a: 30×"]
    finally:
        first.app.close()
        second.app.close()
