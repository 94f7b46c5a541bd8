"""The job table of `govwatch serve`, and the scheduler that runs it (see GUIDE.md).

The scheduler only schedules: each job names its callable in govwatch.jobs by textual
reference under a stable id, and APScheduler 3.x keeps the jobs in its SQLAlchemy job store in
the same database (table `apscheduler_jobs`, created by migration 0005). On every start the
table is re-synchronised from the settings with `replace_existing=True`, so a restart never
duplicates a job; a job whose trigger did not change keeps its stored next run time, so that a
night missed while the service was down is still due when it comes back, and runs once
(coalesce) if it is back within the job's misfire grace time. Times are Asia/Shanghai.

One scheduler per database: `SchedulerLock` (row 1 of `scheduler_lock`) is taken when absent
or when its heartbeat is older than `lock_stale_seconds`, and renewed every
`heartbeat_seconds`. A second `govwatch serve` sees a fresh heartbeat by someone else and does
not schedule (it serves the dashboard only).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import SchedulerSettings, SettingsError
from store import models as m

TIMEZONE = "Asia/Shanghai"
JOBSTORE_TABLE = "apscheduler_jobs"

log = logging.getLogger("govwatch.scheduler")


@dataclass(frozen=True, slots=True)
class JobSpec:
    id: str  # stable; never renamed (the job store keys on it)
    func: str  # "module:callable"
    trigger: str  # "cron" | "interval"
    trigger_args: dict[str, Any]
    misfire_grace_time: int = 3600  # seconds a late run may still start
    coalesce: bool = True  # several missed runs run once
    max_instances: int = 1


def _hhmm(text: str) -> dict[str, int]:
    hour, minute = text.split(":")
    return {"hour": int(hour), "minute": int(minute)}


def job_table(settings: SchedulerSettings) -> tuple[JobSpec, ...]:
    """The enabled jobs, with their times from `[scheduler]`.

    Misfire grace: a nightly crawl missed while the service was down runs on its return within
    `crawl_misfire_grace_minutes`; a missed probe, repost poll or notification retry is only
    worth running within one interval (the next one is due by then anyway); a report within a
    day (reports of a period are still wanted the day after).
    """
    jobs: list[JobSpec] = []
    if settings.crawl_enabled:
        # Every registered site, every night, staggered (govwatch.dispatch.crawl_all).
        jobs.append(JobSpec("crawl.nightly", "govwatch.dispatch:crawl_all", "cron",
                            _hhmm(settings.crawl_time),
                            misfire_grace_time=settings.crawl_misfire_grace_minutes * 60))
    if settings.probe_enabled:
        # Home-page availability: at least 20 probes a day (checks.md availability.unreachable).
        jobs.append(JobSpec("probe.home", "govwatch.jobs:probe_all", "interval",
                            {"minutes": settings.probe_interval_minutes},
                            misfire_grace_time=settings.probe_interval_minutes * 60))
    if settings.repost_enabled:
        # Important columns of portals and repost columns below them (the 12-hour rule).
        jobs.append(JobSpec("repost.watch", "govwatch.jobs:repost_watch", "interval",
                            {"minutes": settings.repost_interval_minutes},
                            misfire_grace_time=settings.repost_interval_minutes * 60))
    if settings.reports_enabled:
        day = 24 * 3600
        jobs += [
            JobSpec("report.monthly", "govwatch.jobs:report_monthly", "cron",
                    {"day": 1, **_hhmm(settings.monthly_report_time)}, misfire_grace_time=day),
            JobSpec("report.quarterly", "govwatch.jobs:report_quarterly", "cron",
                    {"month": "1,4,7,10", "day": 1, **_hhmm(settings.quarterly_report_time)},
                    misfire_grace_time=day),
            JobSpec("report.annual", "govwatch.jobs:report_annual", "cron",
                    {"month": 1, "day": 1, **_hhmm(settings.annual_report_time)},
                    misfire_grace_time=day),
        ]
    # Notifications that failed are retried (new ones are sent right after each check pass).
    jobs.append(JobSpec("notify.pending", "govwatch.jobs:notify_pending", "interval",
                        {"minutes": settings.notify_interval_minutes},
                        misfire_grace_time=settings.notify_interval_minutes * 60))
    if settings.digest_enabled:
        # Each site's daily digest to its webmasters, the supervisors' summary; missed while
        # the service was down, it is still sent on its return within half a day.
        jobs.append(JobSpec("notify.digest", "govwatch.jobs:notify_digest", "cron",
                            _hhmm(settings.digest_time), misfire_grace_time=12 * 3600))
    known = {job.id for job in jobs}
    unknown = [job_id for job_id in settings.run_on_start if job_id not in known]
    if unknown:
        raise SettingsError(
            f"scheduler.run_on_start: 没有（或未启用）任务 {', '.join(unknown)}"
            f"（可用: {', '.join(sorted(known))}）")
    return tuple(jobs)


# The default schedule, for documentation and tests; `serve` uses job_table(its settings).
JOBS: tuple[JobSpec, ...] = job_table(SchedulerSettings())


def make_trigger(spec: JobSpec, tz: ZoneInfo, now: datetime) -> CronTrigger | IntervalTrigger:
    if spec.trigger == "cron":
        return CronTrigger(timezone=tz, **spec.trigger_args)
    if spec.trigger == "interval":
        # The phase starts at `now` (the first start); later starts keep the stored phase.
        return IntervalTrigger(timezone=tz, start_date=now, **spec.trigger_args)
    raise ValueError(f"unknown trigger {spec.trigger!r} of job {spec.id}")


def make_scheduler(engine: Engine, timezone: str = TIMEZONE, *,
                   scheduler_class: type[BaseScheduler] = BackgroundScheduler,
                   executor: Any = None, max_workers: int = 10) -> BaseScheduler:
    """A scheduler over the job store in `engine`'s database (not started).

    `scheduler_class` and `executor` exist for tests (a scheduler without its own thread, a
    synchronous executor) so that a controlled clock can drive it."""
    scheduler: BaseScheduler = scheduler_class(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBSTORE_TABLE)},
        executors={"default": executor or ThreadPoolExecutor(max_workers=max_workers)},
        job_defaults={"coalesce": True, "max_instances": 1},
        timezone=ZoneInfo(timezone),
    )
    return scheduler


@dataclass(slots=True)
class SyncReport:
    added: list[str] = field(default_factory=list)  # new, or trigger changed: next run anew
    kept: list[str] = field(default_factory=list)  # same trigger: stored next run time kept
    removed: list[str] = field(default_factory=list)  # in the store, no longer in the table


def _same_schedule(job: Any, spec: JobSpec, trigger: CronTrigger | IntervalTrigger) -> bool:
    return bool(job.func_ref == spec.func and str(job.trigger) == str(trigger)
                and type(job.trigger) is type(trigger))


def sync_jobs(scheduler: BaseScheduler, specs: Sequence[JobSpec], now: datetime) -> SyncReport:
    """Make the started (or paused) scheduler's job store hold exactly `specs`.

    Each job is (re)added by id with `replace_existing=True`; one whose function and trigger
    are unchanged keeps its stored next run time (possibly in the past: then it is due and
    runs, coalesced, if within its misfire grace time). Jobs of ids not in `specs` (disabled
    in the settings) are removed.
    """
    tz = ZoneInfo(str(scheduler.timezone))
    report = SyncReport()
    existing = {job.id: job for job in scheduler.get_jobs()}
    for spec in specs:
        trigger = make_trigger(spec, tz, now)
        old = existing.get(spec.id)
        if old is not None and old.next_run_time is not None and _same_schedule(old, spec,
                                                                                 trigger):
            next_run = old.next_run_time
            trigger = old.trigger  # keep the stored phase of an interval
            report.kept.append(spec.id)
        else:
            next_run = trigger.get_next_fire_time(None, now)
            report.added.append(spec.id)
        scheduler.add_job(
            spec.func, trigger, id=spec.id, name=spec.id, replace_existing=True,
            next_run_time=next_run, misfire_grace_time=spec.misfire_grace_time,
            coalesce=spec.coalesce, max_instances=spec.max_instances,
        )
    wanted = {spec.id for spec in specs}
    for job_id in existing:
        if job_id not in wanted:
            scheduler.remove_job(job_id)
            report.removed.append(job_id)
    return report


def run_soon(scheduler: BaseScheduler, job_ids: Iterable[str], now: datetime) -> None:
    """Make the named jobs due at `now` (`[scheduler] run_on_start`)."""
    for job_id in job_ids:
        scheduler.modify_job(job_id, next_run_time=now)


# -- one scheduler per database --------------------------------------------------------------
def _rows(result: Any) -> int:
    """Rows an UPDATE matched (typed Result hides CursorResult.rowcount)."""
    return int(result.rowcount)



def holder_name() -> str:
    """Who holds the lock: host, process and a random part (pids are reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True, slots=True)
class LockState:
    holder: str
    heartbeat_at: datetime


class SchedulerLockHeld(Exception):
    """Another scheduler holds the lock with a fresh heartbeat."""

    def __init__(self, state: LockState) -> None:
        super().__init__(state.holder)
        self.state = state


def acquire_lock(factory: sessionmaker[Session], holder: str, stale_after: timedelta,
                 now: datetime | None = None) -> bool:
    """Take the lock if nobody has it, if `holder` has it, or if its heartbeat is stale.

    One conditional UPDATE (or the INSERT of row 1), so two schedulers starting together on
    SQLite or PostgreSQL cannot both win."""
    now = now or datetime.now(UTC)
    cutoff = now - stale_after
    with factory.begin() as session:
        taken = _rows(session.execute(
            update(m.SchedulerLock)
            .where(m.SchedulerLock.id == 1,
                   (m.SchedulerLock.holder == holder) | (m.SchedulerLock.heartbeat_at < cutoff))
            .values(holder=holder, acquired_at=now, heartbeat_at=now)
            .execution_options(synchronize_session=False)))
        if taken:
            return True
        exists = session.scalar(select(m.SchedulerLock.id).where(m.SchedulerLock.id == 1))
    if exists is not None:
        return False
    try:
        with factory.begin() as session:
            session.add(m.SchedulerLock(id=1, holder=holder, acquired_at=now, heartbeat_at=now))
    except IntegrityError:  # someone else inserted it first
        return False
    return True


def renew_lock(factory: sessionmaker[Session], holder: str,
               now: datetime | None = None) -> bool:
    """Renew the heartbeat; False when the lock is no longer `holder`'s (taken over)."""
    now = now or datetime.now(UTC)
    with factory.begin() as session:
        result = session.execute(
            update(m.SchedulerLock)
            .where(m.SchedulerLock.id == 1, m.SchedulerLock.holder == holder)
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False))
        return bool(_rows(result))


def release_lock(factory: sessionmaker[Session], holder: str) -> None:
    """Give the lock up, so the next `serve` can schedule at once."""
    with factory.begin() as session:
        session.execute(delete(m.SchedulerLock).where(m.SchedulerLock.id == 1,
                                                      m.SchedulerLock.holder == holder))


def lock_state(factory: sessionmaker[Session]) -> LockState | None:
    with factory() as session:
        row = session.get(m.SchedulerLock, 1)
        return LockState(row.holder, row.heartbeat_at) if row is not None else None


# -- the running scheduler -------------------------------------------------------------------


class Heartbeat:
    """Renews the lock every `interval` seconds in its own thread (not a scheduler job: a pool
    busy with long crawls must not delay it). Calls `on_lost` once if the lock was taken over.
    """

    def __init__(self, factory: sessionmaker[Session], holder: str, interval: float,
                 on_lost: Callable[[], None]) -> None:
        self.factory = factory
        self.holder = holder
        self.interval = interval
        self.on_lost = on_lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scheduler-heartbeat",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                held = renew_lock(self.factory, self.holder)
            except SQLAlchemyError as exc:  # the database is away: try again next beat
                log.warning("scheduler heartbeat failed: %s", exc)
                continue
            if not held:
                self.on_lost()
                return


class SchedulerService:
    """The scheduler of one `govwatch serve`: lock, job table, heartbeat.

    `start()` returns False (and schedules nothing) when another scheduler holds the lock.
    `clock` and `make` (the scheduler's factory) exist for tests driving a controlled clock.
    """

    def __init__(self, engine: Engine, factory: sessionmaker[Session],
                 settings: SchedulerSettings, timezone: str = TIMEZONE, *,
                 on_lost: Callable[[], None] | None = None,
                 clock: Callable[[], datetime] | None = None,
                 make: Callable[[], BaseScheduler] | None = None) -> None:
        self.engine = engine
        self.factory = factory
        self.settings = settings
        self.timezone = timezone
        self.holder = holder_name()
        self.specs = job_table(settings)
        self.scheduler: BaseScheduler | None = None
        self.heartbeat: Heartbeat | None = None
        self.sync: SyncReport | None = None
        self.lost = threading.Event()
        self._on_lost = on_lost
        self._clock = clock or (lambda: datetime.now(ZoneInfo(self.timezone)))
        self._make = make or (lambda: make_scheduler(self.engine, self.timezone))

    def start(self) -> bool:
        stale = timedelta(seconds=self.settings.lock_stale_seconds)
        if not acquire_lock(self.factory, self.holder, stale):
            return False
        try:
            scheduler = self._make()
            scheduler.start(paused=True)
            now = self._clock()
            self.sync = sync_jobs(scheduler, self.specs, now)
            run_soon(scheduler, self.settings.run_on_start, now)
        except BaseException:
            release_lock(self.factory, self.holder)  # not left to go stale
            raise
        self.scheduler = scheduler
        self.heartbeat = Heartbeat(self.factory, self.holder, self.settings.heartbeat_seconds,
                                   self._lost)
        self.heartbeat.start()
        scheduler.resume()
        log.info("scheduler started: %s", ", ".join(spec.id for spec in self.specs))
        return True

    def _lost(self) -> None:
        """Someone else took the lock (this process stalled past the stale limit)."""
        self.lost.set()
        log.error("scheduler lock taken over by another govwatch serve; scheduling stopped")
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self._on_lost is not None:
            self._on_lost()

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling; with `wait`, until running jobs have returned. Then let go of the
        lock."""
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        if self.heartbeat is not None:
            self.heartbeat.stop()
        if self.scheduler is not None and not self.lost.is_set():
            try:
                release_lock(self.factory, self.holder)
            except SQLAlchemyError as exc:  # it goes stale by itself
                log.warning("could not release the scheduler lock: %s", exc)


def describe(specs: Sequence[JobSpec]) -> list[str]:
    """One line per job, for logs and `serve`'s start message."""
    out = []
    for spec in specs:
        args = ", ".join(f"{k}={v}" for k, v in spec.trigger_args.items())
        out.append(f"{spec.id}: {spec.trigger}({args})")
    return out


def with_funcs(specs: Sequence[JobSpec], funcs: dict[str, str]) -> tuple[JobSpec, ...]:
    """The table with some jobs' callables replaced (tests point jobs at recorders)."""
    return tuple(replace(spec, func=funcs.get(spec.id, spec.func)) for spec in specs)
