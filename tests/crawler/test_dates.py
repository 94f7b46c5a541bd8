"""crawler.dates: every displayed date form -> one normalised string; non-dates -> nothing."""

from __future__ import annotations

import pytest

from crawler.dates import find_date_matches, find_dates, parse_date, parse_meta_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-01", "2026-11-01"),
        ("2026-1-5", "2026-01-05"),
        ("2026年11月1日", "2026-11-01"),
        ("2020 年 12 月 29 日", "2020-12-29"),
        ("2026/11/01 09:30", "2026-11-01T09:30"),
        ("2026.11.01", "2026-11-01"),
        ("[11-01]", "--11-01"),
        ("(11-01)", "--11-01"),
        ("（11月1日）", "--11-01"),
        ("【11.01】", "--11-01"),
        ("11-01", "--11-01"),  # a date cell holding only the day
        ("11月01日", "--11-01"),
        ("发布时间：2026-11-01 09:30", "2026-11-01T09:30"),
        ("2025年06月03日 13时44分", "2025-06-03T13:44"),
        ("2024年05月10日06:58 | 来源：人民网", "2024-05-10T06:58"),
        ("发布日期：2023-07-19 19:21:00", "2023-07-19T19:21"),  # seconds dropped
        ("( 2024-05-11)", "2024-05-11"),
        ("2022-05-07\u300000:00　来源：河北", "2022-05-07T00:00"),
        ("时间发布：2026-11-01", "2026-11-01"),
        ("2024-05-11T09:30:00+08:00", "2024-05-11T09:30"),
        ("2024-02-29", "2024-02-29"),
    ],
)
def test_parse_date_forms(text: str, expected: str) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "今天是2026年11月21日 星期六",  # header "today" widget
        "今天：2024年2月22日 星期四",
        "2026年11月21日（星期六）",
        "当前时间：2026-11-21",
        "页面生成时间 2023-10-23 11:23:36",  # CMS generation stamp
        "publishdate:2024/01/05 22:09:58",
        "Copyright © 1997-2024",  # copyright years
        "2003-2024 版权所有",
        "2025年4月全国各地区原保险保费收入情况表",  # a month, not a date
        "0746-8379670",  # a phone number
        "076478684Q/2024-00112",  # an index number
        "GB 10409-2019",
        "2026-02-30",  # no such day
        "2026-13-01",
        "5月1",  # a run of an office document cut mid-date
        "1.2.3",
        "",
    ],
)
def test_not_dates(text: str) -> None:
    assert find_dates(text) == []
    assert parse_date(text) == ""


def test_bare_month_day_only_when_alone() -> None:
    # In running text "11-01" may be a score or a range; only a cell of its own is a date.
    assert find_dates("比分 11-01 落后") == []
    assert find_dates("发布于 11-01") == []
    assert find_dates(" 11/01 ") == ["--11-01"]


def test_find_dates_in_order_with_spans() -> None:
    text = "公示时间：2020 年 12 月 30 日—2021年1月6 日，[11-02] 见附件"
    assert find_dates(text) == ["2020-12-30", "2021-01-06", "--11-02"]
    matches = find_date_matches(text)
    assert text[matches[1].start : matches[1].end] == "2021年1月6 日"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-09-27 15:28:00", "2024-09-27T15:28"),
        ("2024-09-27", "2024-09-27"),
        ("2024.09.30 09:24:36 GMT+08:00", "2024-09-30T09:24"),
        ("2007-08-20-23:59:59", "2007-08-20T23:59"),  # 中国政府网 firstpublishedtime
        ("2024-05-11T09:30:00+08:00", "2024-05-11T09:30"),
        ("", ""),
        ("未知", ""),
    ],
)
def test_parse_meta_date(value: str, expected: str) -> None:
    assert parse_meta_date(value) == expected
