"""The working-day calendar behind every 整改期限 (store/workdays.py)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from core.settings import Settings, SettingsError, apply_mapping
from store.workdays import DEFAULT_WORKING_DAYS, Deadlines, add_working_days, is_working_day

TZ = ZoneInfo("Asia/Shanghai")


def test_a_make_up_saturday_is_a_working_day_and_national_day_is_not() -> None:
    # 2026: 国庆 and 中秋 off 1-7 October, made up on Sunday 20 September and Saturday
    # 10 October (国务院办公厅通知, 2025-11).
    assert is_working_day(date(2026, 10, 10))  # a Saturday, 调休 working day
    assert is_working_day(date(2026, 9, 20))  # a Sunday, 调休 working day
    assert not any(is_working_day(date(2026, 10, d)) for d in range(1, 8))  # 国庆
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert not is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    assert is_working_day(date(2026, 10, 9))  # an ordinary Friday


def test_working_days_skip_the_holiday_and_count_the_make_up_day() -> None:
    # Found on Wednesday 30 September: the 1st working day after it is Thursday 8 October;
    # Saturday 10 October counts; the 5th is Tuesday 13 October.
    assert add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert add_working_days(date(2026, 9, 30), 0) == date(2026, 9, 30)
    # An ordinary week: Friday + 5 working days is the next Friday.
    assert add_working_days(date(2026, 11, 20), 5) == date(2026, 11, 27)


def test_years_the_calendar_does_not_know_fall_back_to_monday_to_friday() -> None:
    far = date(2099, 1, 2)  # a Friday
    assert is_working_day(far) and not is_working_day(date(2099, 1, 3))
    assert add_working_days(far, 1) == date(2099, 1, 5)  # the Monday


def test_a_deadline_counts_from_the_local_day_of_first_seen_by_severity() -> None:
    d = Deadlines()
    # 17:00 UTC on 30 September is already 1 October in Shanghai: counting starts there.
    late = datetime(2026, 9, 30, 17, 0, tzinfo=ZoneInfo("UTC"))
    assert d.local_date(late) == date(2026, 10, 1)
    assert d.deadline(late, "veto") == date(2026, 10, 13)
    early = datetime(2026, 9, 30, 9, 0, tzinfo=TZ)
    assert d.deadline(early, "veto") == date(2026, 10, 13)
    assert d.deadline(early, "deduct") == add_working_days(date(2026, 9, 30), 15)
    assert d.deadline(early, "notice") == add_working_days(date(2026, 9, 30), 30)
    assert d.deadline(early, "odd") == d.deadline(early, "deduct")  # scored as deduct
    custom = Deadlines({"veto": 1, "deduct": 2, "notice": 3})
    assert custom.deadline(early, "veto") == date(2026, 10, 8)


def test_the_settings_default_is_the_calendar_default_and_bad_values_are_refused() -> None:
    assert Settings().rectify.deadline_working_days == dict(DEFAULT_WORKING_DAYS)
    s = apply_mapping(Settings(), {"rectify": {"deadline_working_days": {"veto": 3}}}, "t")
    assert s.rectify.deadline_working_days == {"veto": 3, "deduct": 15, "notice": 30}
    for bad in ({"deadline_working_days": {"veto": 0}},
                {"deadline_working_days": {"fatal": 3}},
                {"deadline_working_days": {"veto": "5"}},
                {"recrawl_interval_minutes": 0}):
        with pytest.raises(SettingsError, match="rectify"):
            apply_mapping(Settings(), {"rectify": bad}, "t")
    with pytest.raises(SettingsError, match=r"web\.as_of"):
        apply_mapping(Settings(), {"web": {"as_of": "2026-11-21 12:00"}}, "t")
