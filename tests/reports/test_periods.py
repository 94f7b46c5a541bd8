from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from reports.periods import Period, PeriodError, parse_period

CST = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    ("kind", "text", "code", "label", "start", "end"),
    [
        ("monthly", "2026-10", "2026-10", "2026年10月", (2026, 10, 1), (2026, 11, 1)),
        ("monthly", "2026-12", "2026-12", "2026年12月", (2026, 12, 1), (2027, 1, 1)),
        ("quarterly", "2026-Q3", "2026-Q3", "2026年第三季度", (2026, 7, 1), (2026, 10, 1)),
        ("quarterly", "2026-q4", "2026-Q4", "2026年第四季度", (2026, 10, 1), (2027, 1, 1)),
        ("annual", "2026", "2026", "2026年", (2026, 1, 1), (2027, 1, 1)),
        ("annual", " 2026 ", "2026", "2026年", (2026, 1, 1), (2027, 1, 1)),
    ],
)
def test_periods_are_local_calendar_intervals(kind: str, text: str, code: str, label: str,
                                              start: tuple[int, int, int],
                                              end: tuple[int, int, int]) -> None:
    period = parse_period(kind, text)
    assert (period.code, period.label) == (code, label)
    assert period.start == datetime(*start, tzinfo=CST)
    assert period.end == datetime(*end, tzinfo=CST)


def test_boundaries_are_local_midnight_not_utc() -> None:
    october = parse_period("monthly", "2026-10")
    late = datetime(2026, 10, 31, 23, 59, tzinfo=CST)  # 15:59 UTC, still October in Beijing
    assert october.start <= late < october.end
    assert not october.start <= datetime(2026, 9, 30, 23, 59, tzinfo=CST) < october.end


@pytest.mark.parametrize(
    ("kind", "text", "needle"),
    [
        ("monthly", "2026-13", "月份 13"),
        ("monthly", "2026-00", "月份 0"),
        ("monthly", "2026-Q3", "2026-10"),
        ("monthly", "26-10", "2026-10"),
        ("quarterly", "2026-Q5", "2026-Q3"),
        ("quarterly", "2026-10", "2026-Q3"),
        ("annual", "2026-10", "2026"),
        ("annual", "1999", "年份 1999"),
        ("annual", "", "2026"),
        ("weekly", "2026", "未知的报告类型"),
    ],
)
def test_bad_periods_are_one_line_chinese_errors(kind: str, text: str, needle: str) -> None:
    with pytest.raises(PeriodError) as info:
        parse_period(kind, text)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_previous_last_and_months() -> None:
    assert parse_period("monthly", "2026-01").previous().code == "2025-12"
    assert parse_period("quarterly", "2026-Q1").previous().code == "2025-Q4"
    assert parse_period("annual", "2026").previous().code == "2025"
    assert [p.code for p in parse_period("quarterly", "2026-Q2").last(4)] == [
        "2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert [p.code for p in parse_period("monthly", "2026-02").last(3)] == [
        "2025-12", "2026-01", "2026-02"]
    months = parse_period("quarterly", "2026-Q3").months_within()
    assert [p.code for p in months] == ["2026-07", "2026-08", "2026-09"]
    assert months[0].start == parse_period("quarterly", "2026-Q3").start
    assert months[-1].end == parse_period("quarterly", "2026-Q3").end
    assert len(Period("annual", 2026, 1).months_within()) == 12
