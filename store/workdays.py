"""The working-day calendar and each finding's 整改期限 (rectification deadline).

A deadline is counted in WORKING days (工作日) from the day a finding was first seen (its local
date in the settings' timezone, Asia/Shanghai): weekends and the State Council's public
holidays do not count, and the 调休 make-up days (a Saturday or Sunday declared a working
day) do. The official calendar comes from the `chinesecalendar` package, which knows the
years the State Council has announced (2004 to its release's last year); outside them the
calendar falls back to Monday to Friday.

The deadline is the last working day on which the fault may still be present: the first
working day AFTER the day of discovery is day 1, so a veto found on a Friday with 5 working
days is due the next Friday (or later, over a holiday), and the finding is overdue
(超期未整改) from the day after its deadline. Stored on the finding (findings.deadline,
written by store.repo.record_findings at every check pass), so that the dashboard, the
findings JSON and the reports all read one value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import chinese_calendar

# Working days to rectify a finding, by severity: the defaults of `[rectify]
# deadline_working_days` (config.settings documents them; a test keeps them equal).
DEFAULT_WORKING_DAYS: Mapping[str, int] = {"veto": 5, "deduct": 15, "notice": 30}
DEFAULT_TIMEZONE = "Asia/Shanghai"


@lru_cache(maxsize=4096)
def is_working_day(day: date) -> bool:
    """A working day in mainland China: the official calendar where known (holidays off,
    调休 weekend days on), otherwise Monday to Friday."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:  # a year the package has no announcement for
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The `days`-th working day after `start` (`start` itself never counts; 0 = `start`)."""
    current = start
    left = days
    while left > 0:
        current += timedelta(days=1)
        if is_working_day(current):
            left -= 1
    return current


class Deadlines:
    """deadline(first_seen, severity) for one table of working days and one timezone,
    memoised per (local date, severity): a check pass has one first_seen per new finding
    but only a handful of distinct days."""

    def __init__(self, working_days: Mapping[str, int] | None = None,
                 timezone: str = DEFAULT_TIMEZONE) -> None:
        self.days = dict(DEFAULT_WORKING_DAYS if working_days is None else working_days)
        self.tz = ZoneInfo(timezone)
        self._cache: dict[tuple[date, str], date] = {}

    def days_for(self, severity: str) -> int:
        # An unknown severity is scored as deduct (reports.scoring), so it gets deduct's days.
        return self.days.get(severity, self.days.get("deduct", DEFAULT_WORKING_DAYS["deduct"]))

    def deadline(self, first_seen: datetime, severity: str) -> date:
        day = first_seen.astimezone(self.tz).date()
        key = (day, severity)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = add_working_days(day, self.days_for(severity))
        return found

    def local_date(self, at: datetime) -> date:
        return at.astimezone(self.tz).date()
