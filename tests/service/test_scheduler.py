"""The scheduler under a controlled clock: jobs fire when due, a restart neither duplicates nor
forgets jobs, a missed night's crawl runs once after a restart (misfire grace + coalesce), and
one scheduler per database."""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from core.settings import SchedulerSettings, SettingsError
from scheduler import (
    JOBS,
    JobSpec,
    SchedulerService,
    job_table,
    lock_state,
    run_soon,
    sync_jobs,
    with_funcs,
)
from store.session import make_engine, session_factory
from tests.service import recorder
from tests.service.clock import Clock, Events, ManualScheduler, manual

TZ = ZoneInfo("Asia/Shanghai")
FUNCS = {"crawl.nightly": "tests.service.recorder:crawl",
         "probe.home": "tests.service.recorder:probe",
         "notify.pending": "tests.service.recorder:other"}
SETTINGS = SchedulerSettings(repost_enabled=False, reports_enabled=False,
                             digest_enabled=False)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def specs(settings: SchedulerSettings = SETTINGS) -> tuple[JobSpec, ...]:
    return with_funcs(job_table(settings), FUNCS)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    recorder.CALLS.clear()
    clock = Clock(at(20, 1))
    clock.install(monkeypatch)
    return clock


def start(engine: Engine, clock: Clock, table: tuple[JobSpec, ...] | None = None
          ) -> tuple[ManualScheduler, Events]:
    scheduler = manual(engine)
    events = Events(scheduler)
    scheduler.start(paused=True)
    sync_jobs(scheduler, table or specs(), clock.now)
    scheduler.resume()
    return scheduler, events


def stored(engine: Engine) -> dict[str, float | None]:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT id, next_run_time FROM apscheduler_jobs")).all())


def calls() -> Counter[str]:
    return Counter(recorder.CALLS)


def test_jobs_fire_when_due(engine: Engine, clock: Clock) -> None:
    scheduler, events = start(engine, clock)
    scheduler.tick()  # 01:00: interval jobs start with the service; the crawl waits for 02:00
    assert calls() == {"probe": 1, "other": 1}
    clock.now = at(20, 1, 59)
    scheduler.tick()  # notify.pending was due at 01:15, 01:30, 01:45: coalesced, one run
    assert calls() == {"probe": 1, "other": 2}
    clock.now = at(20, 2, 0)
    scheduler.tick()
    assert calls() == {"crawl": 1, "probe": 2, "other": 3}
    assert events.missed == []
    assert scheduler.get_job("crawl.nightly").next_run_time == at(21, 2)
    assert scheduler.get_job("probe.home").next_run_time == at(20, 3)
    scheduler.shutdown()


def test_restart_does_not_duplicate_and_keeps_next_runs(engine: Engine, clock: Clock) -> None:
    first, _ = start(engine, clock)
    first.tick()
    before = stored(engine)
    first.shutdown()

    clock.now = at(20, 1, 30)
    second = manual(engine)
    second.start(paused=True)
    report = sync_jobs(second, specs(), clock.now)
    assert sorted(report.kept) == sorted(FUNCS) and report.added == [] == report.removed
    assert stored(engine) == before  # same rows, same next run times: nothing re-planned
    second.shutdown()

    # Settings changed: the changed job is re-planned, a disabled one removed, none doubled.
    third = manual(engine)
    third.start(paused=True)
    changed = specs(replace(SETTINGS, crawl_time="03:30", probe_enabled=False))
    report = sync_jobs(third, changed, clock.now)
    assert report.added == ["crawl.nightly"] and report.removed == ["probe.home"]
    assert set(stored(engine)) == {"crawl.nightly", "notify.pending"}
    assert third.get_job("crawl.nightly").next_run_time == at(20, 3, 30)
    third.shutdown()
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT COUNT(*) FROM apscheduler_jobs")) == 2


def test_missed_night_runs_once_after_restart(engine: Engine, clock: Clock) -> None:
    clock.now = at(19, 12)
    down, _ = start(engine, clock)
    down.shutdown()  # the service stops before 02:00 and stays down three nights

    clock.now = at(22, 9, 30)
    back, events = start(engine, clock)
    back.tick()
    assert calls()["crawl"] == 1  # three missed nights, coalesced into one run
    assert calls()["probe"] == 1  # dozens of missed probes, one run
    assert "crawl.nightly" not in events.missed
    back.tick()
    assert calls()["crawl"] == 1
    assert back.get_job("crawl.nightly").next_run_time == at(23, 2)
    clock.now = at(23, 2)
    back.tick()
    assert calls()["crawl"] == 2
    back.shutdown()


def test_missed_night_beyond_the_grace_time_waits_for_the_next(engine: Engine,
                                                              clock: Clock) -> None:
    clock.now = at(19, 12)
    down, _ = start(engine, clock)
    down.shutdown()

    clock.now = at(20, 14, 1)  # 12 h 1 min after the missed 02:00 (grace: 720 minutes)
    back, events = start(engine, clock)
    back.tick()
    assert calls()["crawl"] == 0 and events.missed.count("crawl.nightly") == 1
    clock.now = at(21, 2)
    back.tick()
    assert calls()["crawl"] == 1
    back.shutdown()


def test_grace_time_is_a_setting(engine: Engine, clock: Clock) -> None:
    clock.now = at(19, 12)
    table = specs(replace(SETTINGS, crawl_misfire_grace_minutes=24 * 60))
    down, _ = start(engine, clock, table)
    down.shutdown()
    clock.now = at(20, 14, 1)
    back, _ = start(engine, clock, table)
    back.tick()
    assert calls()["crawl"] == 1
    back.shutdown()


def test_run_soon_makes_a_job_due_now(engine: Engine, clock: Clock) -> None:
    scheduler = manual(engine)
    scheduler.start(paused=True)
    sync_jobs(scheduler, specs(), clock.now)
    run_soon(scheduler, ["crawl.nightly"], clock.now)
    scheduler.resume()
    scheduler.tick()
    assert calls()["crawl"] == 1
    assert scheduler.get_job("crawl.nightly").next_run_time == at(20, 2)  # then as planned
    scheduler.shutdown()


def test_job_table_from_settings_and_validation() -> None:
    ids = [job.id for job in JOBS]
    assert len(ids) == len(set(ids))
    assert {"crawl.nightly", "probe.home", "repost.watch", "report.monthly",
            "report.quarterly", "report.annual", "notify.pending", "notify.digest"} == set(ids)
    for job in JOBS:  # every textual reference names a function that exists
        module, _, name = job.func.partition(":")
        assert module.startswith("govwatch.") and callable(
            getattr(importlib.import_module(module), name)), job.func
    table = {job.id: job for job in job_table(SchedulerSettings(
        crawl_time="01:15", probe_interval_minutes=30, monthly_report_time="05:45",
        digest_time="07:30"))}
    assert table["notify.digest"].trigger == "cron"
    assert table["notify.digest"].trigger_args == {"hour": 7, "minute": 30}
    assert job_table(SchedulerSettings())[-1].trigger_args == {"hour": 8, "minute": 0}
    assert table["crawl.nightly"].trigger_args == {"hour": 1, "minute": 15}
    assert table["probe.home"].trigger_args == {"minutes": 30}
    assert table["report.monthly"].trigger_args == {"day": 1, "hour": 5, "minute": 45}
    assert table["crawl.nightly"].misfire_grace_time == 720 * 60
    with pytest.raises(SettingsError, match="nightly"):
        job_table(SchedulerSettings(crawl_enabled=False, run_on_start=("crawl.nightly",)))


def test_service_refuses_to_schedule_while_another_holds_the_lock(
        engine: Engine, clock: Clock) -> None:
    factory: sessionmaker[Session] = session_factory(engine)
    settings = replace(SETTINGS, run_on_start=("crawl.nightly",))

    def service() -> SchedulerService:
        made = SchedulerService(engine, factory, settings, clock=clock,
                                make=lambda: manual(engine))
        made.specs = specs(settings)
        return made

    first, second = service(), service()
    assert first.start()
    assert first.scheduler is not None
    first.scheduler.tick()
    assert calls()["crawl"] == 1  # run_on_start
    assert not second.start() and second.scheduler is None
    state = lock_state(factory)
    assert state is not None and state.holder == first.holder
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(text("apscheduler_jobs"))) == 3
    first.stop()
    assert lock_state(factory) is None  # released on a clean stop
    assert second.start()  # the next serve schedules at once
    second.stop()
