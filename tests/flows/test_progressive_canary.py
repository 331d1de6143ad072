"""A progressive canary end to end: a real Prometheus scrapes the canary version's
sidecars (an exporter the test controls); the scheduler's tick (`Workflow.progress`)
takes each step as a merged change of govbot's own while the gate holds, aborts to 0%
with the numbers when it fails, and does nothing while the plan is paused."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from bot.app import build
from bot.core.events import ChangeMerged, Event, EventsReported
from bot.settings import Settings
from tests.conftest import SEEDER, Govbot
from tests.flows.canary_exporter import CanaryExporter
from tests.sources.conftest import StartPrometheus, start_prometheus  # noqa: F401

PLAN = "/canary svc-user 10% step 10 every 2s until 30% gate success>=99.5% p99<500ms"
PATH = "services/dev/demo/svc-user.yaml"
DEADLINE = 60.0


@pytest.fixture
def exporter() -> Iterator[CanaryExporter]:
    serving = CanaryExporter("svc-user", "v2")
    yield serving
    serving.close()


@pytest.fixture
def govbot(start_prometheus: StartPrometheus, exporter: CanaryExporter,  # noqa: F811
           tmp_path: Path) -> Iterator[Govbot]:
    """govbot on the embedded default with the real clock and a Prometheus that scrapes
    the exporter every second."""
    url = start_prometheus(scrape=exporter.address)
    settings = Settings.from_env({"GOVBOT_HOME": str(tmp_path / "home"),
                                  "GOVBOT_PROMETHEUS_URL": url})
    bot = Govbot(build(settings), tmp_path / "home")
    yield bot
    bot.app.close()


def _weight(bot: Govbot) -> int:
    doc = yaml.safe_load(bot.git("show", f"main:{PATH}"))
    return int(doc["spec"]["release"]["canaryWeight"])


def _release(bot: Govbot) -> dict[str, object]:
    doc = yaml.safe_load(bot.git("show", f"main:{PATH}"))
    release: dict[str, object] = doc["spec"]["release"]
    return release


def _start(bot: Govbot, text: str = PLAN) -> None:
    opened = bot.one(text)
    assert opened.ok and opened.change_id, opened.text
    merged = bot.one(f"/approve {opened.change_id}", user="bob")
    assert merged.ok and "merged" in merged.text, merged.text


def _tick_until(bot: Govbot, done: Callable[[list[Event]], bool]) -> list[Event]:
    """Run the scheduler's tick until `done` holds for what the ticks returned."""
    seen: list[Event] = []
    deadline = time.monotonic() + DEADLINE
    while not done(seen):
        assert time.monotonic() < deadline, [getattr(e, "text", e) for e in seen]
        seen += bot.app.workflow.progress()
        time.sleep(0.2)
    return seen


def _notices(events: list[Event]) -> list[str]:
    return [e.text for e in events if isinstance(e, EventsReported)]


def _steps(bot: Govbot) -> list[tuple[str, str]]:
    """(subject, requester) of every merge on main, oldest first."""
    log = bot.git("log", "--first-parent", "--reverse", "--format=%s%n%b%n--", "main")
    found = []
    for entry in log.split("--\n"):
        subject = entry.split("\n", 1)[0]
        requester = re.search(r"Requested-by: (\S+)", entry)
        if subject.startswith("Merge change") and requester:
            found.append((subject, requester.group(1)))
    return found


def test_healthy_canary_takes_each_step_as_a_merged_change_of_govbot(
        govbot: Govbot, exporter: CanaryExporter) -> None:
    exporter.answer(ok_per_second=50, errors_per_second=0, latency_ms=40)
    _start(govbot)
    assert _weight(govbot) == 10

    events = _tick_until(govbot, lambda seen: any("reached 30%" in t for t in _notices(seen)))

    assert _weight(govbot) == 30
    steps = _steps(govbot)
    assert [requester for _subject, requester in steps] == ["alice", "govbot", "govbot"]
    assert "10% → 20%" in steps[1][0] and "20% → 30%" in steps[2][0]
    assert len([e for e in events if isinstance(e, ChangeMerged)]) == 2
    assert "promote with /canary svc-user promote" in _notices(events)[-1]
    assert _release(govbot)["progressive"] == {
        "step": 10, "every": "2s", "until": 30, "gate": {"successRate": 99.5, "p99": "500ms"}}
    main = govbot.main()
    assert govbot.app.workflow.progress() == [] and govbot.main() == main
    assert govbot.app.store.plans.get("dev", "demo", "svc-user") is None


def test_failing_gate_aborts_to_zero_with_the_numbers_and_stops(
        govbot: Govbot, exporter: CanaryExporter) -> None:
    exporter.answer(ok_per_second=45, errors_per_second=5, latency_ms=800)
    _start(govbot)

    events = _tick_until(govbot, lambda seen: any("aborted" in t for t in _notices(seen)))

    notice = next(t for t in _notices(events) if "aborted" in t)
    success = re.search(r"success (\d+\.\d)% < 99.5%", notice)
    assert success and 85.0 <= float(success.group(1)) <= 95.0, notice
    p99 = re.search(r"p99 (\d+) ms ≥ 500 ms", notice)
    assert p99 and 500 <= int(p99.group(1)) <= 1000, notice
    assert "over the last 1m" in notice
    assert _weight(govbot) == 0 and "progressive" not in _release(govbot)
    assert _steps(govbot)[-1][1] == "govbot" and "abort 10% → 0%" in _steps(govbot)[-1][0]
    main = govbot.main()
    assert govbot.app.workflow.progress() == [] and govbot.main() == main
    assert govbot.app.store.plans.get("dev", "demo", "svc-user") is None


def test_pause_stops_the_steps_and_resume_continues(
        govbot: Govbot, exporter: CanaryExporter) -> None:
    exporter.answer(ok_per_second=50, errors_per_second=0, latency_ms=40)
    assert not govbot.one("/canary svc-user pause").ok  # no plan yet
    _start(govbot, "/canary svc-user 10% step 10 every 2s until 50%")

    paused = govbot.one("/canary svc-user pause")  # the console's one conversation: once
    assert paused.ok and "paused at 10%" in paused.text, paused
    again = govbot.one("/canary svc-user pause")
    assert "already paused" in again.text and "by alice" in again.text
    plan = govbot.app.store.plans.get("dev", "demo", "svc-user")
    assert plan is not None and plan.paused
    status = govbot.one("/status svc-user").text
    assert "progressive: 10% → 50% by 10 every 2s" in status, status
    assert "progressive: paused at 10% by alice" in status, status
    while govbot.app.workflow.context.clock() <= plan.next_at:  # the step would be due
        time.sleep(0.1)
    main = govbot.main()
    assert govbot.app.workflow.progress() == [] and govbot.main() == main

    resumed = govbot.say("/canary svc-user resume", user="bob", channel="console")
    assert resumed[0].ok and "resumed at 10%" in resumed[0].text, resumed
    assert resumed == [resumed[0]]
    _tick_until(govbot, lambda _seen: _weight(govbot) == 20)
    assert _steps(govbot)[-1][1] == "govbot"


def test_pause_needs_a_grant_like_a_canary_change(govbot: Govbot) -> None:
    _start(govbot, "/canary svc-user 10% step 10 every 2s until 50%")
    refused = govbot.one("/canary svc-user pause --env prod")
    assert not refused.ok and "nothing to pause" in refused.text
    repo = govbot.app.repo
    old = repo.head("main")
    access = (repo.read(old, "access.yaml") or "").replace(
        "  - group: team\n    envs: [dev, prod]", "  - group: team\n    envs: [prod]")
    assert "envs: [prod]" in access
    repo.set_ref("main", repo.commit(old, {"access.yaml": access}, SEEDER,
                                     "team: prod only"), old=old)

    denied = govbot.one("/canary svc-user pause")
    assert not denied.ok and "[authorization.no_grant]" in denied.text, denied.text
    plan = govbot.app.store.plans.get("dev", "demo", "svc-user")
    assert plan is not None and not plan.paused
    assert govbot.one("/canary svc-user pause", user="carol").ok
    plan = govbot.app.store.plans.get("dev", "demo", "svc-user")
    assert plan is not None and plan.paused and plan.paused_by == "carol"


def test_without_traffic_on_the_canary_the_plan_waits_and_says_so_once(
        govbot: Govbot, exporter: CanaryExporter) -> None:
    exporter.answer(ok_per_second=0, errors_per_second=0, latency_ms=40)
    _start(govbot)
    main = govbot.main()

    events = _tick_until(govbot, lambda seen: any("waits" in t for t in _notices(seen)))
    assert "gate has no data" in _notices(events)[0] and govbot.main() == main
    plan = govbot.app.store.plans.get("dev", "demo", "svc-user")
    assert plan is not None and plan.waiting
    while govbot.app.workflow.context.clock() <= plan.next_at:  # asked again, silently
        time.sleep(0.1)
    assert govbot.app.workflow.progress() == [] and govbot.main() == main

    exporter.answer(ok_per_second=50, errors_per_second=0, latency_ms=40)
    _tick_until(govbot, lambda _seen: _weight(govbot) == 20)
    assert _steps(govbot)[-1][1] == "govbot"
