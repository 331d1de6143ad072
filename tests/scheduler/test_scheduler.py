"""The elected scheduler on a SQLite store: jobs run on the leader only, a follower takes
over when the leader stops, a failing job keeps being scheduled, jobs are stored in the
database by name and keep their next run across a restart; the settings of the jobs."""

from __future__ import annotations

import logging
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.core.errors import ConfigError
from bot.scheduler import Daily, Elected, Every, Job, workflow_jobs
from bot.settings import Settings, schedule_settings
from bot.store.leader import database_leader
from bot.store.sql import SqlStore
from tests.conftest import Govbot

LEASE = 0.6


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp_path / 'govbot.db'}"


@pytest.fixture
def stores(url: str) -> Iterator[Callable[[], SqlStore]]:
    opened: list[SqlStore] = []

    def make() -> SqlStore:
        opened.append(SqlStore(url))
        return opened[-1]

    yield make
    for store in opened:
        store.dispose()


class Runs:
    """Which replica ran a job, in order."""

    def __init__(self) -> None:
        self.by: list[str] = []
        self.changed = threading.Condition()

    def job(self, replica: str, seconds: float = 0.1) -> Job:
        def work() -> None:
            with self.changed:
                self.by.append(replica)
                self.changed.notify_all()
        return Job("count", Every(seconds), work)

    def wait_for(self, ready: Callable[[list[str]], bool], timeout: float = 30) -> None:
        """Block until `ready(runs)` holds; a deadline only so a broken test cannot hang."""
        with self.changed:
            assert self.changed.wait_for(lambda: ready(self.by), timeout), self.by


def _elected(stores: Callable[[], SqlStore], url: str, holder: str,
             jobs: list[Job]) -> Elected:
    leader = database_leader(stores(), url, holder, LEASE)
    elected = Elected(leader, jobs, LEASE, url)
    elected.start()
    return elected


def test_only_the_leader_runs_the_jobs_and_a_follower_takes_over(
        stores: Callable[[], SqlStore], url: str) -> None:
    runs = Runs()
    first = _elected(stores, url, "a", [runs.job("a")])
    runs.wait_for(lambda by: len(by) >= 1)
    second = _elected(stores, url, "b", [runs.job("b")])
    try:
        runs.wait_for(lambda by: len(by) >= 6)
        assert set(runs.by) == {"a"} and first.leading and not second.leading
        first.stop()
        ran = len(runs.by)
        runs.wait_for(lambda by: "b" in by[ran:] and by[-1] == "b")
        assert second.leading
        assert "a" not in runs.by[ran:]
    finally:
        first.stop()
        second.stop()


def test_a_failing_job_is_logged_with_an_incident_and_runs_again(
        stores: Callable[[], SqlStore], url: str, caplog: pytest.LogCaptureFixture) -> None:
    runs = Runs()

    def broken() -> None:
        runs.job("broken").work()
        raise RuntimeError("the database went away")

    elected = _elected(stores, url, "a", [Job("broken", Every(0.1), broken)])
    try:
        with caplog.at_level(logging.ERROR, logger="govbot.scheduler"):
            runs.wait_for(lambda by: len(by) >= 3)
    finally:
        elected.stop()
    failures = [r for r in caplog.records if "scheduled job broken" in r.getMessage()]
    assert failures and all("incident" in r.getMessage() for r in failures)


def test_jobs_are_stored_by_name_and_keep_their_next_run_across_a_restart(
        stores: Callable[[], SqlStore], url: str, tmp_path: Path) -> None:
    runs = Runs()
    daily = Job("digest", Daily("09:00", "Asia/Shanghai"), lambda: None)
    first = _elected(stores, url, "a", [runs.job("a", 3600), daily])
    deadline = time.monotonic() + 30
    while not first.leading and time.monotonic() < deadline:
        time.sleep(0.05)
    first.stop()
    with sqlite3.connect(tmp_path / "govbot.db") as db:
        stored = dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs"))
    assert set(stored) == {"count", "digest"}
    # 09:00 in Shanghai is 01:00 UTC: the next run is at a whole hour
    assert stored["digest"] % 3600 == 0

    second = _elected(stores, url, "b", [runs.job("b", 3600), daily])
    deadline = time.monotonic() + 30
    while not second.leading and time.monotonic() < deadline:
        time.sleep(0.05)
    second.stop()
    with sqlite3.connect(tmp_path / "govbot.db") as db:
        again = dict(db.execute("SELECT id, next_run_time FROM apscheduler_jobs"))
    assert again == stored  # unchanged triggers: the next runs were kept, not recomputed


def test_the_loop_jobs_follow_the_settings(govbot: Govbot) -> None:
    schedule = schedule_settings({"GOVBOT_TICK_SECONDS": "2", "GOVBOT_DIGEST_AT": "18:30",
                                  "GOVBOT_TIMEZONE": "Europe/Berlin"})
    jobs = {job.name: job.when for job in workflow_jobs(govbot.app.workflow, schedule,
                                                        lambda events: None)}
    assert jobs == {"tick": Every(2.0), "sweep": Every(30.0), "reconcile": Every(300.0),
                    "remind": Every(60.0), "digest": Daily("18:30", "Europe/Berlin")}
    off = schedule_settings({"GOVBOT_DIGEST_AT": "off"})
    assert "digest" not in {job.name for job in workflow_jobs(govbot.app.workflow, off,
                                                                lambda events: None)}


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("GOVBOT_DIGEST_AT", "25:00", "HH:MM"),
    ("GOVBOT_DIGEST_AT", "9am", "HH:MM"),
    ("GOVBOT_TIMEZONE", "Mars/Olympus", "IANA"),
    ("GOVBOT_TIMEZONE", "../etc/passwd", "IANA"),
    ("GOVBOT_LEADER", "zookeeper", "database"),
])
def test_settings_of_the_schedule_are_refused_with_what_to_use(
        name: str, value: str, expected: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({name: value, "GOVBOT_HOME": "/tmp/unused"})
    assert value in str(refused.value) and expected in str(refused.value)


@pytest.mark.parametrize(("env", "named"), [
    ({"GOVBOT_STALE_AFTER": "1s"}, "GOVBOT_REMIND_APPROVERS_AFTER (86400s) comes after "
                                   "GOVBOT_STALE_AFTER (1s)"),
    ({"GOVBOT_REMIND_APPROVERS_AFTER": "1h"}, "GOVBOT_REMIND_AFTER (14400s) comes after "
                                             "GOVBOT_REMIND_APPROVERS_AFTER (3600s)"),
])
def test_reminders_and_closing_out_of_order_are_refused(env: dict[str, str],
                                                        named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        Settings.from_env({**env, "GOVBOT_HOME": "/tmp/unused"})
    in_order = schedule_settings({"GOVBOT_REMIND_AFTER": "2s", "GOVBOT_STALE_AFTER": "8s",
                                  "GOVBOT_REMIND_APPROVERS_AFTER": "4s"})
    assert in_order.stale_after_seconds == 8.0


def test_auto_leads_through_the_database_outside_a_pod() -> None:
    assert schedule_settings({}).leader == "database"
    assert schedule_settings({"GOVBOT_DIGEST_AT": "7:05"}).digest_at == "07:05"
    with pytest.raises(ConfigError, match="GOVBOT_LEASE_NAMESPACE"):
        schedule_settings({"GOVBOT_LEADER": "kubernetes"})
    assert schedule_settings({"GOVBOT_LEADER": "kubernetes",
                              "GOVBOT_LEASE_NAMESPACE": "govbot"}).lease_namespace == "govbot"

