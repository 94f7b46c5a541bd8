"""A controlled clock for APScheduler 3.x, and a scheduler that only runs when told to.

APScheduler reads the time in two places: the scheduler deciding what is due
(`schedulers.base`) and the executor deciding whether a late run is still within its misfire
grace time (`executors.base`). Both get a `datetime` whose `now()` is the test's clock.
`ManualScheduler` has no thread: the test calls `tick()` (APScheduler's own `_process_jobs`)
at the instants it chooses, with the synchronous `DebugExecutor`, so a job has run (or been
skipped as missed) when `tick()` returns.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

import apscheduler.executors.base
import apscheduler.schedulers.base
import pytest
from apscheduler.events import EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Engine

from scheduler import make_scheduler


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def install(self, monkeypatch: pytest.MonkeyPatch) -> None:
        clock = self

        class FakeDatetime(datetime):
            @classmethod
            def now(cls, tz: tzinfo | None = None) -> Any:
                return clock.now.astimezone(tz) if tz is not None else clock.now

        for module in (apscheduler.schedulers.base, apscheduler.executors.base):
            monkeypatch.setattr(module, "datetime", FakeDatetime)


class ManualScheduler(BaseScheduler):  # type: ignore[misc]
    def wakeup(self) -> None:
        pass  # nobody wakes up by themselves: tests call tick()

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def tick(self) -> None:
        self._process_jobs()


class Events:
    """Executed and missed runs, by job id, as the scheduler reports them."""

    def __init__(self, scheduler: BaseScheduler) -> None:
        self.executed: list[str] = []
        self.missed: list[str] = []
        scheduler.add_listener(self._on, EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)

    def _on(self, event: JobExecutionEvent) -> None:
        (self.executed if event.code == EVENT_JOB_EXECUTED else self.missed).append(event.job_id)


def manual(engine: Engine) -> ManualScheduler:
    scheduler: ManualScheduler = make_scheduler(engine, scheduler_class=ManualScheduler,
                                                executor=DebugExecutor())
    return scheduler
