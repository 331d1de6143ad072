"""A progressive canary on a clock the test moves: the first step from 0% needs no gate
data; after it, a gate without a Prometheus waits and says so once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.core.events import ChangeMerged, EventsReported
from tests.conftest import Govbot
from tests.flows.moved_clock import Clock, started


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


def test_a_plan_from_zero_steps_once_then_waits_for_a_prometheus(govbot: Govbot,
                                                                  clock: Clock) -> None:
    started = govbot.one("/canary svc-user 0% step 10 every 15m until 30% gate success>=99%")
    assert govbot.one(f"/approve {started.change_id}", user="bob").ok
    assert govbot.app.workflow.progress() == []  # the plan is seen; its step is 15m away
    clock.now += timedelta(minutes=14)
    assert govbot.app.workflow.progress() == [] and _weight(govbot) == 0

    clock.now += timedelta(minutes=2)
    stepped = govbot.app.workflow.progress()
    assert [e for e in stepped if isinstance(e, ChangeMerged)] and _weight(govbot) == 10
    assert "next step to 20% at 2026-11-27 10:31:00 UTC" in " ".join(
        e.text for e in stepped if isinstance(e, EventsReported))

    clock.now += timedelta(minutes=16)
    waiting = govbot.app.workflow.progress()
    assert len(waiting) == 1 and isinstance(waiting[0], EventsReported)
    assert "no Prometheus is configured for dev" in waiting[0].text
    clock.now += timedelta(minutes=16)
    assert govbot.app.workflow.progress() == [] and _weight(govbot) == 10
    status = govbot.one("/status svc-user").text
    assert "waits at 10% for gate data (no Prometheus is configured for dev)" in status, status
