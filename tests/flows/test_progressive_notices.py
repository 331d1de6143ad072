"""What a progressive canary tells people on the embedded default, on a clock the test
moves: a warning when its gate has no Prometheus, a step held by a freeze said once and
shown by /status, and a /status that follows main's document."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.core.events import ChangeMerged, EventsReported
from bot.core.types import Author
from tests.conftest import Govbot
from tests.flows.moved_clock import Clock, started

SEEDER = Author("Platform Team", "platform@example.com")
PLAN = "/canary svc-user 0% step 10 every 15m until 30%"
# FIXED_NOW is 2026-11-27 10:00 UTC; the window holds 10:20-11:00 UTC (18:20-19:00 there)
WINDOW = {"name": "db-migration", "from": "2026-11-27 18:20", "to": "2026-11-27 19:00",
          "timeZone": "Asia/Shanghai"}


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def govbot(tmp_path: Path, clock: Clock) -> Iterator[Govbot]:
    bot = started(tmp_path, clock)
    yield bot
    bot.app.close()


def _weight(bot: Govbot) -> int:
    doc = yaml.safe_load(bot.git("show", "main:services/dev/demo/svc-user.yaml"))
    return int(doc["spec"]["release"]["canaryWeight"])


def _start(bot: Govbot, text: str = PLAN) -> None:
    started = bot.one(text)
    assert started.ok and started.change_id, started.text
    assert bot.one(f"/approve {started.change_id}", user="bob").ok


def _configure_dev(bot: Govbot, key: str, value: object) -> None:
    """`environments.dev.<key>` written to main's govbot.yaml, as a reviewed change would."""
    repo = bot.app.repo
    config = yaml.safe_load(repo.read("main", "govbot.yaml") or "")
    config["environments"]["dev"][key] = value
    old = repo.head("main")
    text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    repo.set_ref("main", repo.commit(old, {"govbot.yaml": text}, SEEDER, f"dev {key}"),
                 old=old)


def test_a_gate_without_a_prometheus_is_warned_of_in_the_opened_change(
        govbot: Govbot) -> None:
    opened = govbot.one(f"{PLAN} gate success>=99%")
    assert opened.ok, opened.text
    assert ("warning: no Prometheus is configured for dev, so this plan's gate will have no "
            "data and its steps will wait; set GOVBOT_PROMETHEUS_URL or "
            "environments.dev.prometheus") in opened.text, opened.text
    plain = govbot.one("/canary svc-pay 0% step 10 every 15m until 30%")
    assert plain.ok and "warning: no Prometheus" not in plain.text, plain.text


def test_a_step_held_by_a_freeze_is_told_once_shown_by_status_and_taken_after(
        govbot: Govbot, clock: Clock) -> None:
    _start(govbot)
    assert govbot.app.workflow.progress() == []
    clock.now += timedelta(minutes=16)
    assert any(isinstance(e, ChangeMerged) for e in govbot.app.workflow.progress())
    assert _weight(govbot) == 10
    _configure_dev(govbot, "freezes", [WINDOW])

    clock.now += timedelta(minutes=16)  # 10:32, in the window
    held = govbot.app.workflow.progress()
    told = [e.text for e in held if isinstance(e, EventsReported)]
    assert len(held) == len(told) == 1, held
    assert "svc-user (dev/demo) waits at 10%: dev is frozen until 2026-11-27 19:00" in told[0]
    assert "(db-migration); the plan goes on after it" in told[0], told[0]
    status = govbot.one("/status svc-user").text
    assert "progressive: waits at 10% while dev is frozen until" in status, status
    assert "the step to 20% is tried again at 2026-11-27 10:47:00 UTC" in status, status
    clock.now += timedelta(minutes=16)
    assert govbot.app.workflow.progress() == [] and _weight(govbot) == 10  # told once

    clock.now += timedelta(minutes=16)  # 11:04, the window is over
    assert any(isinstance(e, ChangeMerged) for e in govbot.app.workflow.progress())
    assert _weight(govbot) == 20
    assert "progressive: next step to 30% at" in govbot.one("/status svc-user").text


def test_status_follows_the_plan_on_main_right_after_the_release_line(
        govbot: Govbot, clock: Clock) -> None:
    _start(govbot)
    lines = govbot.one("/status svc-user").text.split("\n")
    release = next(i for i, n in enumerate(lines) if n.startswith("release:"))
    assert lines[release + 1] == "progressive: starts at the next tick, first step to 10% 15m on"
    assert govbot.app.workflow.progress() == []
    lines = govbot.one("/status svc-user").text.split("\n")
    release = next(i for i, n in enumerate(lines) if n.startswith("release:"))
    assert lines[release + 1] == "progressive: next step to 10% at 2026-11-27 10:15:00 UTC"

    clock.now += timedelta(minutes=16)
    assert any(isinstance(e, ChangeMerged) for e in govbot.app.workflow.progress())
    aborted = govbot.one("/canary svc-user abort")
    assert aborted.ok, aborted.text
    if "merged" not in aborted.text:
        assert govbot.one(f"/approve {aborted.change_id}", user="bob").ok
    assert _weight(govbot) == 0
    status = govbot.one("/status svc-user").text  # no tick yet: the store still has it
    assert "next step" not in status and "starts at the next tick" not in status, status


def test_a_step_denied_by_another_rule_is_told_once_with_its_rule_ids(
        govbot: Govbot, clock: Clock) -> None:
    _start(govbot)
    assert govbot.app.workflow.progress() == []
    clock.now += timedelta(minutes=16)
    assert any(isinstance(e, ChangeMerged) for e in govbot.app.workflow.progress())
    _configure_dev(govbot, "limits", {"canaryMaxStep": 5})  # the plan steps by 10

    clock.now += timedelta(minutes=16)
    held = govbot.app.workflow.progress()
    told = [e.text for e in held if isinstance(e, EventsReported)]
    assert len(held) == len(told) == 1, held
    assert "waits at 10%: its step to 20% is denied: [release.max_step]" in told[0], told[0]
    status = govbot.one("/status svc-user").text
    assert "progressive: waits at 10% because its step is denied: [release." in status, status
    clock.now += timedelta(minutes=16)
    assert govbot.app.workflow.progress() == [] and _weight(govbot) == 10
