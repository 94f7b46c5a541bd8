"""Dates as the timeliness checks read them: normalised strings resolved against `--as-of`.

The extractor normalises every date it shows to one of three strings (crawler.facts):
"2026-11-01" (a day), "2026-11-01T09:30" (a local time, Asia/Shanghai) or "--11-01" (a list
that shows no year). Only the checks know "now", so only they can give a year-less date its
year: the most recent such day not after now + 1 day (the extra day tolerates a list stamped
with tomorrow's date by a server a few hours ahead). Everything here is pure and never reads
the clock, so the same crawl and `--as-of` always resolve the same way.

Periods ("14d", "2w", "6m", "1y") follow the catalogue's "Time windows" note: days and weeks
are exact, months and years are calendar months and years (6 months before 2026-08-31 is
2026-02-28), computed here without dateutil.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")

_FULL = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_NO_YEAR = re.compile(r"^--(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
_PERIOD = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)
_UNIT_NAMES = {"d": "天", "w": "周", "m": "个月", "y": "年"}
# A date as pages print it, for text the extractor did not normalise (an archive label's
# block): 2026-01-05, 2026/1/5, 2026.01.05, 2026年1月5日.
_LOOSE_DATE = re.compile(
    r"(?<!\d)(\d{4})\s*(?:[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})|年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?)"
    r"(?!\d)"
)


def aware(moment: datetime) -> datetime:
    """`moment` with a time zone: a naive value (as some databases return) is local time."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=TZ)


def local_date(moment: datetime) -> date:
    """The calendar day of `moment` in Asia/Shanghai."""
    return aware(moment).astimezone(TZ).date()


def _build(year: int, month: int, day: int, parts: tuple[str | None, ...]) -> datetime | None:
    hour, minute, second = (int(p) if p else 0 for p in parts)
    try:
        return datetime.combine(date(year, month, day), time(hour, minute, second), TZ)
    except ValueError:
        return None


def resolve(text: str, now: datetime) -> datetime | None:
    """The moment a normalised date string stands for, in Asia/Shanghai; None if it is none.

    A day alone is that day at 00:00. A year-less "--MM-DD" gets the year that makes it the
    most recent such day not after now + 1 day (29 February goes back to the last leap year).
    Anything else, or an impossible date (2026-02-30), is None.
    """
    text = (text or "").strip()
    match = _FULL.match(text)
    if match:
        year, month, day = (int(g) for g in match.group(1, 2, 3))
        return _build(year, month, day, match.group(4, 5, 6))
    match = _NO_YEAR.match(text)
    if match is None:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    limit = local_date(now) + timedelta(days=1)
    for year in range(limit.year, limit.year - 9, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February of a common year, 31 April, ...
            continue
        if candidate <= limit:
            return _build(year, month, day, match.group(3, 4, 5))
    return None


def find_date(text: str) -> date | None:
    """The first date printed in free text (2026-01-05, 2026/1/5, 2026.01.05, 2026年1月5日)."""
    for match in _LOOSE_DATE.finditer(text or ""):
        year = int(match.group(1))
        month = int(match.group(2) or match.group(4))
        day = int(match.group(3) or match.group(5))
        try:
            return date(year, month, day)
        except ValueError:
            continue
    return None


def window_start(now: datetime, days: float) -> datetime:
    """The start of "the `days` days before now": [now − days, now]."""
    return aware(now) - timedelta(days=days)


def months_before(now: datetime, months: int) -> datetime:
    """`now` moved back `months` calendar months, the day clamped to the target month's end."""
    now = aware(now)
    index = now.year * 12 + (now.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(now.day, calendar.monthrange(year, month)[1])
    return now.replace(year=year, month=month, day=day)


def parse_period(spec: object) -> tuple[int, str]:
    """A period setting as (count, unit): an int is days; a string is "<n>d|w|m|y".

    Raises ValueError (in Chinese, for the settings author) on anything else.
    """
    if isinstance(spec, int) and not isinstance(spec, bool):
        if spec <= 0:
            raise ValueError(f"周期 {spec!r} 必须大于 0")
        return spec, "d"
    if isinstance(spec, str):
        match = _PERIOD.match(spec)
        if match and int(match.group(1)) > 0:
            return int(match.group(1)), match.group(2).lower()
    raise ValueError(f'周期 {spec!r} 无效（应为天数，或如 "14d"、"2w"、"6m"、"1y" 的字符串）')


def period_start(now: datetime, spec: object) -> datetime:
    """The start of the period `spec` ending at `now` (see `parse_period`)."""
    count, unit = parse_period(spec)
    if unit == "d":
        return window_start(now, count)
    if unit == "w":
        return window_start(now, 7 * count)
    return months_before(now, count * (12 if unit == "y" else 1))


def describe_period(spec: object) -> str:
    """A period in Chinese: "14d" -> "14天", "6m" -> "6个月", 365 -> "365天"."""
    count, unit = parse_period(spec)
    return f"{count}{_UNIT_NAMES[unit]}"


def fmt(moment: datetime | None) -> str | None:
    """A moment as stored in evidence: local ISO 8601 to the minute ("2026-11-01T09:30+08:00")."""
    if moment is None:
        return None
    return aware(moment).astimezone(TZ).isoformat(timespec="minutes")
