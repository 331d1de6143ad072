"""A pause racing a progressive step: the step either lands before the pause's answer,
which then says so, or not at all; a person meeting govbot's step is told to retry."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.core.errors import Locked
from bot.core.events import Event
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


def test_a_pause_answered_during_a_step_names_the_weight_the_step_left(
        govbot: Govbot, clock: Clock) -> None:
    started = govbot.one("/canary svc-user 0% step 10 every 15m until 30%")
    assert govbot.one(f"/approve {started.change_id}", user="bob").ok
    assert govbot.app.workflow.progress() == []
    clock.now += timedelta(minutes=16)
    # the step's change is #2: holding its lease keeps the step between opened and merged
    store, step = govbot.app.store, f"change:{int(started.change_id or 0) + 1}"
    assert store.claim(step, "test", 60)
    ticked: list[Event] = []
    answers: list[Event] = []
    tick = threading.Thread(target=lambda: ticked.extend(govbot.app.workflow.progress()))
    tick.start()
    deadline = time.monotonic() + 20
    while store.holder("dev", "demo", "svc-user") is None:
        assert time.monotonic() < deadline, "the step was never opened"
        time.sleep(0.01)
    pause = threading.Thread(target=lambda: answers.append(govbot.one("/canary svc-user pause")))
    pause.start()
    time.sleep(0.5)  # the pause is asked while the step is under way
    store.release(step, "test")
    tick.join(30)
    pause.join(30)

    assert len(answers) == 1 and answers[0].ok, answers
    said = re.search(r"paused at (\d+)%", answers[0].text)
    assert said is not None, answers[0].text
    assert int(said.group(1)) == _weight(govbot) == 10, answers[0].text
    assert "the step to 10% was already taken" in answers[0].text
    clock.now += timedelta(minutes=16)
    assert govbot.app.workflow.progress() == [] and _weight(govbot) == 10


def test_a_person_meeting_govbots_step_is_told_to_try_again() -> None:
    text = str(Locked(4, "govbot", "svc-pay"))
    assert "govbot" in text and "try again" in text and "approve or reject" not in text
