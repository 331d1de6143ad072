"""The scheduler: APScheduler 3 running govbot's jobs on the leader replica.

`govbot serve` and `govbot shell` describe their jobs (`Job`: a name, when, the work) and
hand them to `Elected` with a `Leader` (bot.store.leader: a PostgreSQL advisory lock or
a lease row in `claims`; bot.apply.kube.lease: a Kubernetes Lease). `Elected` tries to
lead every lease/3; the replica that wins starts a `BackgroundScheduler` whose jobs live
in govbot's database (the `apscheduler_jobs` table; in memory for an in-memory SQLite
store), checks every lease/3 that it still leads, and shuts the scheduler down the
moment it does not. So exactly one replica polls Prometheus, ends time-boxed policies
and steps canaries, and a dead leader is replaced within one lease period.

A stored job names the module-level `_run` and its job's name, never a closure: the next
leader (or the same process after a restart) finds the job in the store, keeps its next
run time when its trigger is unchanged (a digest due during a takeover still runs,
`misfire_grace_time`), and `_run` looks the work up among the jobs this process
registered. A job never raises into APScheduler: a failure is logged with an incident id.
Each run is counted and timed by job name (`govbot_job_runs_total`, `govbot_job_seconds`),
and each step that raises counts in `govbot_job_failures_total` (bot/metrics.py).

This is the only module that imports `apscheduler`.

Example:
    jobs = workflow_jobs(app.workflow, app.settings.schedule, tell)
    elected = Elected(leader, jobs, app.settings.schedule.lease_seconds, database_url)
    elected.start()          # leads, or follows until the leader goes away
    ...
    elected.stop()           # scheduler shut down, leadership given back
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor  # type: ignore[import-untyped]
from apscheduler.jobstores.memory import MemoryJobStore  # type: ignore[import-untyped]
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore  # type: ignore[import-untyped]
from apscheduler.schedulers.background import (  # type: ignore[import-untyped]
    BackgroundScheduler,
)
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from bot import logs, metrics
from bot.core.events import Event
from bot.rollout import incident
from bot.settings import ScheduleSettings
from bot.store.leader import in_memory, job_engine
from bot.workflow import Workflow

JOBS_TABLE = "apscheduler_jobs"  # bot.store.schema.FOREIGN_TABLES leaves it to us
DAILY_GRACE_SECONDS = 3600  # a digest due while leadership changed hands still goes out

log = logging.getLogger("govbot.scheduler")
# APScheduler logs every run at INFO: a 5-second tick would drown the server's log
logging.getLogger("apscheduler").setLevel(logging.WARNING)

Tell = Callable[[Sequence[Event]], None]


class Leader(Protocol):
    """Who runs the jobs: at most one replica holds leadership at a time."""

    holder: str

    def try_lead(self) -> bool: ...
    def still_leading(self) -> bool: ...
    def resign(self) -> None: ...


@dataclass(frozen=True)
class Every:
    """Every `seconds`; with `at_start`, also as soon as the scheduler starts."""

    seconds: float
    at_start: bool = False


@dataclass(frozen=True)
class Daily:
    """Each day at `at` (HH:MM) in the IANA time zone `timezone`."""

    at: str
    timezone: str


@dataclass(frozen=True)
class Job:
    name: str
    when: Every | Daily
    work: Callable[[], None]


def workflow_jobs(workflow: Workflow, schedule: ScheduleSettings, tell: Tell) -> list[Job]:
    """The scheduled work of the loop (`tick`, `sweep`, `reconcile`, `remind`, `digest`),
    each handing its events to `tell`."""

    def steps(job: str, *work: tuple[str, Callable[[], list[Event]]]) -> Callable[[], None]:
        def run() -> None:
            for what, step in work:  # one step failing does not skip the next
                try:
                    tell(step())
                except Exception:
                    metrics.JOB_FAILURES.labels(job=job).inc()
                    log.exception("incident %s: scheduled %s", incident(), what)
        return run

    remind = (timedelta(seconds=schedule.remind_after_seconds),
              timedelta(seconds=schedule.remind_approvers_after_seconds),
              timedelta(seconds=schedule.stale_after_seconds))
    jobs = [
        Job("tick", Every(schedule.tick_seconds),
            steps("tick", ("expiry", workflow.expire_due),
                  ("canary progress", workflow.progress))),
        Job("sweep", Every(schedule.sweep_seconds), steps("sweep", ("sweep", workflow.sweep))),
        Job("reconcile", Every(schedule.reconcile_seconds),
            steps("reconcile", ("reconcile", workflow.reconcile))),
        Job("remind", Every(60.0),
            steps("remind", ("reminders", lambda: workflow.remind(*remind)))),
    ]
    if schedule.digest_at != "off":
        jobs.append(Job("digest", Daily(schedule.digest_at, schedule.timezone),
                        steps("digest", ("digest", lambda: workflow.digest(timedelta(days=1))))))
    return jobs


# The work of the jobs this process runs, by job name; `_run` finds it here.
_REGISTRY: dict[str, Callable[[], None]] = {}


def _run(name: str) -> None:
    """What every stored job calls: the registered work of `name`, never raising."""
    work = _REGISTRY.get(name)
    if work is None:
        log.warning("scheduled job %s has no work in this process; skipped", name)
        return
    metrics.JOB_RUNS.labels(job=name).inc()
    with metrics.timed(metrics.JOB_SECONDS, name):
        try:
            logs.isolated(work)  # a change a job marks for its log lines ends with the job
        except Exception:
            metrics.JOB_FAILURES.labels(job=name).inc()
            log.exception("incident %s: scheduled job %s", incident(), name)


class Elected:
    """Runs `jobs` while `leader` leads; follows (and retries every lease/3) otherwise."""

    def __init__(self, leader: Leader, jobs: Sequence[Job], lease_seconds: float,
                 database_url: str) -> None:
        self.leader = leader
        self._jobs = list(jobs)
        self._period = lease_seconds / 3
        self._url = database_url
        self._scheduler: Any = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="govbot-leader", daemon=True)

    @property
    def leading(self) -> bool:
        return self._scheduler is not None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop following or leading: the scheduler shut down (a running job finishes
        first), then leadership given back so a follower need not wait for the lease."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()
        self._shutdown(wait=True)
        self.leader.resign()

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self._step()
            except Exception:  # the loop must outlive any one failure
                log.exception("incident %s: leader election", incident())
            if self._stopping.wait(self._period):
                return

    def _step(self) -> None:
        if self._scheduler is None:
            if not self.leader.try_lead() or self._stopping.is_set():
                return
            log.info("became leader (%s); running %s", self.leader.holder,
                     ", ".join(job.name for job in self._jobs))
            try:
                self._scheduler = self._started()
            except Exception:
                log.exception("incident %s: starting the scheduler; leadership given back",
                              incident())
                self.leader.resign()
        elif not self.leader.still_leading():
            log.info("lost leadership (%s); scheduled jobs stopped", self.leader.holder)
            self._shutdown(wait=False)

    def _started(self) -> Any:
        scheduler = BackgroundScheduler(
            jobstores={"default": self._store()},
            executors={"default": ThreadPoolExecutor(max(2, len(self._jobs)))},
            job_defaults={"coalesce": True, "max_instances": 1}, timezone=UTC)
        scheduler.start(paused=True)
        try:
            self._schedule(scheduler)
        except Exception:
            scheduler.shutdown(wait=False)
            raise
        scheduler.resume()
        return scheduler

    def _schedule(self, scheduler: Any) -> None:
        """Register this process's work and bring the stored jobs in line with it."""
        _REGISTRY.update({job.name: job.work for job in self._jobs})
        names = {job.name for job in self._jobs}
        for stored in scheduler.get_jobs():
            if stored.id not in names:  # a job this configuration no longer runs
                scheduler.remove_job(stored.id)
        for job in self._jobs:
            trigger = _trigger(job.when)
            stored = scheduler.get_job(job.name)
            if stored is not None and _same(stored.trigger, trigger) \
                    and not (isinstance(job.when, Every) and job.when.at_start):
                continue  # keep its next run time from before a restart or a takeover
            extra = {"next_run_time": datetime.now(UTC)} \
                if isinstance(job.when, Every) and job.when.at_start else {}
            scheduler.add_job(f"{__name__}:_run", trigger, args=[job.name], id=job.name,
                              name=job.name, replace_existing=True, coalesce=True,
                              max_instances=1, misfire_grace_time=_grace(job.when), **extra)

    def _store(self) -> Any:
        if in_memory(self._url):
            return MemoryJobStore()
        return SQLAlchemyJobStore(engine=job_engine(self._url), tablename=JOBS_TABLE)

    def _shutdown(self, wait: bool) -> None:
        scheduler, self._scheduler = self._scheduler, None
        if scheduler is None:
            return
        try:
            scheduler.shutdown(wait=wait)
        except Exception:
            log.exception("incident %s: shutting the scheduler down", incident())


def _trigger(when: Every | Daily) -> Any:
    if isinstance(when, Every):
        return IntervalTrigger(seconds=when.seconds, timezone=UTC)
    hour, minute = when.at.split(":")
    return CronTrigger(hour=int(hour), minute=int(minute), timezone=ZoneInfo(when.timezone))


def _same(stored: Any, wanted: Any) -> bool:
    return (type(stored) is type(wanted) and str(stored) == str(wanted)
            and str(getattr(stored, "timezone", "")) == str(getattr(wanted, "timezone", "")))


def _grace(when: Every | Daily) -> int:
    if isinstance(when, Daily):
        return DAILY_GRACE_SECONDS
    return max(1, round(when.seconds))
