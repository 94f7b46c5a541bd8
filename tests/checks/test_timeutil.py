"""Date resolution against --as-of, and the calendar periods of the column cycles."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from checks.timeutil import (
    TZ,
    describe_period,
    find_date,
    fmt,
    months_before,
    parse_period,
    period_start,
    resolve,
    window_start,
)

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", datetime(2026, 11, 1, 0, 0, tzinfo=TZ)),
        ("2026-11-01T09:30", datetime(2026, 11, 1, 9, 30, tzinfo=TZ)),
        ("2026-11-01T09:30:15", datetime(2026, 11, 1, 9, 30, 15, tzinfo=TZ)),
        ("2021-09-08T16:01", datetime(2021, 9, 8, 16, 1, tzinfo=TZ)),
        ("--11-01", datetime(2026, 11, 1, tzinfo=TZ)),
        ("--11-21", datetime(2026, 11, 21, tzinfo=TZ)),  # tomorrow: now + 1 day allowed
        ("--11-22", datetime(2025, 11, 22, tzinfo=TZ)),  # the day after: last year's
        ("--12-31", datetime(2025, 12, 31, tzinfo=TZ)),
        ("--02-29", datetime(2024, 2, 29, tzinfo=TZ)),  # the last leap year
        ("", None),
        ("   ", None),
        ("昨天", None),
        ("2026-02-30", None),
        ("2026-13-01", None),
        ("--13-01", None),
        ("2026/11/01", None),  # not a normalised form
    ],
)
def test_resolve(text: str, expected: datetime | None) -> None:
    assert resolve(text, NOW) == expected


def test_resolve_year_turn() -> None:
    new_year = datetime(2027, 1, 1, 8, 0, tzinfo=TZ)
    assert resolve("--12-31", new_year) == datetime(2026, 12, 31, tzinfo=TZ)
    assert resolve("--01-02", new_year) == datetime(2027, 1, 2, tzinfo=TZ)
    assert resolve("--01-03", new_year) == datetime(2026, 1, 3, tzinfo=TZ)


def test_resolve_reads_now_in_shanghai_time() -> None:
    # 2026-12-31 20:00 UTC is already 2027-01-01 04:00 in Shanghai: [01-02] is this year's.
    utc_now = datetime.fromisoformat("2026-12-31T20:00:00+00:00")
    assert resolve("--01-02", utc_now) == datetime(2027, 1, 2, tzinfo=TZ)


def test_window_start_and_calendar_months() -> None:
    assert window_start(NOW, 14) == datetime(2026, 11, 6, 10, 0, tzinfo=TZ)
    assert months_before(NOW, 6) == datetime(2026, 5, 20, 10, 0, tzinfo=TZ)
    assert months_before(NOW, 12) == datetime(2025, 11, 20, 10, 0, tzinfo=TZ)
    end_of_august = datetime(2026, 8, 31, 9, 0, tzinfo=TZ)
    assert months_before(end_of_august, 6) == datetime(2026, 2, 28, 9, 0, tzinfo=TZ)
    leap_day = datetime(2028, 2, 29, tzinfo=TZ)
    assert months_before(leap_day, 12) == datetime(2027, 2, 28, tzinfo=TZ)
    assert months_before(datetime(2026, 1, 15, tzinfo=TZ), 1) == datetime(2025, 12, 15, tzinfo=TZ)


@pytest.mark.parametrize(
    ("spec", "start", "text"),
    [
        (14, datetime(2026, 11, 6, 10, 0, tzinfo=TZ), "14天"),
        ("14d", datetime(2026, 11, 6, 10, 0, tzinfo=TZ), "14天"),
        ("2w", datetime(2026, 11, 6, 10, 0, tzinfo=TZ), "2周"),
        ("6m", datetime(2026, 5, 20, 10, 0, tzinfo=TZ), "6个月"),
        ("1y", datetime(2025, 11, 20, 10, 0, tzinfo=TZ), "1年"),
        ("182", None, None),
    ],
)
def test_periods(spec: object, start: datetime | None, text: str | None) -> None:
    if start is None:
        with pytest.raises(ValueError, match="周期"):
            parse_period(spec)
        return
    assert period_start(NOW, spec) == start
    assert describe_period(spec) == text


@pytest.mark.parametrize("spec", [0, -1, True, "0d", "6 months", 1.5, None])
def test_bad_periods_are_rejected(spec: object) -> None:
    with pytest.raises(ValueError):
        parse_period(spec)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("归档时间：2026-01-05", date(2026, 1, 5)),
        ("本页面于2026年1月5日归档", date(2026, 1, 5)),
        ("已归档（2026/1/5）", date(2026, 1, 5)),
        ("已归档 2026.01.05", date(2026, 1, 5)),
        ("2026年13月1日 已归档 2026-02-03", date(2026, 2, 3)),
        ("本页面已归档", None),
        ("第20260105号", None),
    ],
)
def test_find_date(text: str, expected: date | None) -> None:
    assert find_date(text) == expected


def test_fmt() -> None:
    assert fmt(None) is None
    assert fmt(datetime(2026, 11, 1, 9, 30, 59, tzinfo=TZ)) == "2026-11-01T09:30+08:00"
    assert fmt(datetime(2026, 11, 1, 9, 30)) == "2026-11-01T09:30+08:00"  # naive = local
