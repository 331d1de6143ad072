"""A time-boxed policy ends through a revert change govbot opens and merges itself, on the
embedded default (local forge, embedded OPA, SQLite, directory target), the channel told
with a link to the change that set it. `expire_due` is called in a deadline loop, as the
scheduler would; the clock holds still while the story is set up, then runs for real."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import App, build
from bot.change import Change
from bot.core.events import ChangeMerged, ChangeOpened, Event, EventsReported
from bot.core.types import Command
from bot.settings import Settings
from policies.document import plain, service_path
from policies.intents import Expire
from tests.conftest import SEEDER

PATH = service_path("dev", "demo", "svc-user")
LIMITER = "envoyfilter-svc-user-local-ratelimit"
DEADLINE = 30.0  # seconds; the time boxes below are 2s


@dataclass
class Clock:
    """Still at `start` until `run`, then moving with the real time."""

    start: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    since: float | None = None

    def __call__(self) -> datetime:
        if self.since is None:
            return self.start
        return self.start + timedelta(seconds=time.monotonic() - self.since)

    def run(self) -> None:
        self.since = time.monotonic()


@dataclass
class Story:
    app: App
    home: Path
    clock: Clock

    def say(self, text: str, user: str = "alice") -> list[Event]:
        events = self.app.workflow.handle(Command("console", user, "console", text))
        assert all(getattr(e, "ok", True) for e in events), events
        return events

    def document(self) -> dict[str, Any]:
        context = self.app.workflow.context
        text = context.repo.read(context.main(), PATH)
        assert text is not None
        return plain(text, PATH)

    def rendered(self, name: str) -> dict[str, Any]:
        file = self.home / "rendered" / "dev" / "demo" / f"{name}.yaml"
        return yaml.safe_load(file.read_text()) if file.exists() else {}

    def reverts(self) -> list[Change]:
        return [c for c in self.app.store.changes(None) if c.action == "expire"]

    def expire_until(self, done: Any) -> list[Event]:
        """expire_due() until `done(events so far)` holds, within the deadline."""
        events: list[Event] = []
        deadline = time.monotonic() + DEADLINE
        while not done(events):
            assert time.monotonic() < deadline, events
            events += self.app.workflow.expire_due()
            time.sleep(0.05)
        return events


@pytest.fixture
def story(tmp_path: Path) -> Iterator[Story]:
    clock = Clock()
    app = build(Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home")}), clock=clock)
    yield Story(app, tmp_path / "home", clock)
    app.close()


def merged(events: list[Event]) -> bool:
    return any(isinstance(e, ChangeMerged) for e in events)


def notices(events: list[Event]) -> list[EventsReported]:
    return [e for e in events if isinstance(e, EventsReported)]


def test_a_fault_for_2s_ends_through_a_merged_revert_by_govbot(story: Story) -> None:
    story.say("/fault svc-user abort 503 10% for 2s")
    story.say("/approve 1", "bob")
    assert "fault" in story.rendered("virtualservice-svc-user")["spec"]["http"][-1]
    story.clock.run()
    assert story.app.workflow.expire_due() == []  # not yet

    events = story.expire_until(merged)

    (revert,) = story.reverts()
    assert (revert.state, revert.requester) == ("merged", "govbot")
    assert isinstance(revert.intent, Expire) and revert.intent.set_by == (1,)
    assert "#1" in revert.summary and "fault ended" in revert.summary
    # the document rendered a VirtualService for its fault alone: it is gone with it
    assert "fault" not in yaml.safe_dump(story.rendered("virtualservice-svc-user"))
    assert "fault" not in story.document()["spec"]
    (told,) = notices(events)
    assert (told.platform, told.key) == ("console", "expiry:1:fault")
    for named in ("fault", "svc-user", "#1 (alice)", f"#{revert.id}"):
        assert named in told.text, told.text
    listed = story.say("/changes merged")[0].text
    assert f"#{revert.id}" in listed and "set by #1" in listed, listed
    said = "\n".join(e.text for e in events if isinstance(e, ChangeOpened | ChangeMerged))
    assert "No approval needed: [expiry.revert]" in said, said
    assert f"#{revert.id} merged by govbot without review, as [expiry.revert] allows" in said
    assert "requires no approval" not in said and "Needs 0" not in said
    # nothing left to do: no second revert, no news, no stale expiry for the sweep
    assert story.app.workflow.expire_due() == []
    assert story.app.workflow.sweep() == []
    assert story.app.store.expired("directory", story.clock() + timedelta(days=1)) == []
    assert len(story.reverts()) == 1


def test_a_rate_limit_for_2s_gives_back_the_limit_it_replaced(story: Story) -> None:
    story.say("/ratelimit svc-user 100/1s")
    story.say("/approve 1", "bob")
    story.say("/ratelimit svc-user 10/1s for 2s")
    story.say("/approve 2", "bob")
    assert story.document()["spec"]["rateLimit"]["requests"] == 10
    assert "max_tokens: 10\n" in yaml.safe_dump(story.rendered(LIMITER))
    story.clock.run()

    events = story.expire_until(merged)

    limit = story.document()["spec"]["rateLimit"]
    assert limit == {"enabled": True, "requests": 100, "per": "1s"}
    assert "max_tokens: 100" in yaml.safe_dump(story.rendered(LIMITER))
    (told,) = notices(events)
    assert "rate limit 10/1s" in told.text and "#2 (alice)" in told.text, told.text
    assert "back to 100/1s" in story.reverts()[0].summary


def test_a_route_for_2s_is_removed_and_the_others_stay(story: Story) -> None:
    story.say("/route svc-user header tenant=beta -> v2")
    story.say("/approve 1", "bob")
    story.say("/route svc-user header user=w_shenyu -> v2 for 2s")
    story.say("/approve 2", "bob")
    assert len(story.document()["spec"]["routes"]) == 2
    story.clock.run()

    events = story.expire_until(merged)

    routes = story.document()["spec"]["routes"]
    assert routes == [{"match": {"headers": {"tenant": {"exact": "beta"}}}, "to": "v2"}]
    assert "w_shenyu" not in yaml.safe_dump(story.rendered("virtualservice-svc-user"))
    (told,) = notices(events)
    assert "route header user=w_shenyu → v2" in told.text and "#2" in told.text, told.text


def test_a_revert_waits_for_a_persons_open_change_then_follows_it(story: Story) -> None:
    story.say("/fault svc-user abort 503 10% for 2s")
    story.say("/approve 1", "bob")
    story.say("/timeout svc-user 3s")  # #2 stays open, holding svc-user
    story.clock.run()

    waited = story.expire_until(lambda events: notices(events))

    (told,) = notices(waited)
    assert "waits for #2 (alice)" in told.text and told.key == "expiry:1:fault", told.text
    assert story.reverts() == []
    assert story.app.workflow.expire_due() == []  # told once
    story.say("/approve 2", "bob")
    events = story.expire_until(merged)
    (revert,) = story.reverts()
    assert revert.state == "merged" and "fault" not in story.document()["spec"]
    assert story.document()["spec"]["timeout"] == "3s"
    assert [n.key for n in notices(events)] == ["expiry:1:fault"]  # updates the waiting one


def test_two_racing_expiry_ticks_make_one_revert(story: Story) -> None:
    story.say("/fault svc-user abort 503 10% for 2s")
    story.say("/approve 1", "bob")
    story.clock.run()
    while story.clock() < story.clock.start + timedelta(seconds=2):
        time.sleep(0.05)
    results: list[list[Event]] = [[], []]
    start = threading.Barrier(2)

    def tick(slot: int) -> None:
        start.wait()
        results[slot] = story.app.workflow.expire_due()

    threads = [threading.Thread(target=tick, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(story.reverts()) == 1
    assert sum(1 for events in results if merged(events)) == 1
    assert len(notices(results[0] + results[1])) == 1


def test_a_canary_weight_whose_time_box_ended_goes_back(story: Story) -> None:
    story.say("/canary svc-user 20%")
    story.say("/approve 1", "bob")
    ends = (story.clock.start + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    repo, old = story.app.repo, story.app.repo.head("main")
    text = repo.read(old, PATH)
    assert text is not None and "canaryWeight: 20" in text
    timed = text.replace("canaryWeight: 20", f'canaryWeight: 40\n    expires: "{ends}"')
    repo.set_ref("main", repo.commit(old, {PATH: timed}, SEEDER, "canary 40% for 1s"), old=old)
    story.clock.run()

    events = story.expire_until(merged)

    release = story.document()["spec"]["release"]
    assert release == {"strategy": "canary", "canaryWeight": 0}  # set by hand: none before
    (told,) = notices(events)
    assert "canary weight 40%" in told.text and "as the document set it" in told.text
    assert told.key == "expiry:dev/demo/svc-user:release"


def test_a_revert_that_cannot_be_made_is_told_once_and_tried_again(story: Story) -> None:
    story.say("/fault svc-user abort 503 10% for 2s")
    story.say("/approve 1", "bob")
    repo, old = story.app.repo, story.app.repo.head("main")
    text = repo.read(old, PATH)
    assert text is not None
    broken = text.replace("spec:\n", "spec:\n  timeout: soon\n", 1)  # written by hand
    repo.set_ref("main", repo.commit(old, {PATH: broken}, SEEDER, "timeout"), old=old)
    story.clock.run()

    refused = story.expire_until(lambda events: notices(events))

    (told,) = notices(refused)
    assert "cannot be made" in told.text and "spec.timeout" in told.text, told.text
    assert told.key == "expiry:1:fault" and told.severity == "warning"
    assert story.app.workflow.expire_due() == [] and story.reverts() == []  # told once
    old = repo.head("main")
    repo.set_ref("main", repo.commit(old, {PATH: text}, SEEDER, "timeout fixed"), old=old)
    story.expire_until(merged)
    assert "fault" not in story.document()["spec"]
