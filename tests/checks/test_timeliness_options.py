"""Settings change the timeliness findings: each threshold goes through resolve_options + check.

The fixtures show each check at its defaults; these tests take one snapshot and show that
moving one option moves the findings, and that a malformed option fails loudly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from checks.base import Finding, Severity
from checks.catalogue import OptionsError, load_catalogue, resolve_options
from checks.repost.lapse import normalise_title
from tests.checks.snapshots import context, snapshot

CATALOGUE = load_catalogue(include_plugins=False)


def run(code: str, case: Mapping[str, Any], options: Mapping[str, Any]) -> list[Finding]:
    spec = CATALOGUE[code]
    site = snapshot(case)
    return list(spec.check(site, context(site, resolve_options(spec.rule, options), case)))


def column(path: str, kind: str, date: str, level: int = 1) -> dict[str, Any]:
    return {
        "url": path,
        "name": path.strip("/"),
        "type": kind,
        "level": level,
        "items": [{"title": "t", "url": f"{path}1.html", "date": date}],
    }


# As of 2026-11-20: news 10 days old, notice 4 months old, plan 8 months old.
COLUMNS = {
    "columns": [
        column("/news/", "news", "2026-11-10"),
        column("/notice/", "notice", "2026-07-20"),
        column("/plan/", "plan", "2026-03-20"),
    ]
}


def stale_urls(options: Mapping[str, Any]) -> list[str]:
    return [f.url.rsplit("/", 2)[-2] for f in run("columns.stale", COLUMNS, options)]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, []),
        ({"cycles": {"news": 7}}, ["news"]),  # other classes keep their defaults
        ({"cycles": {"news": "1w"}}, ["news"]),
        ({"cycles": {"news": "11d"}}, []),  # 11 days: the 10-day-old item is inside
        ({"cycles": {"notice": "3m"}}, ["notice"]),
        ({"cycles": {"notice": 120}}, ["notice"]),
        ({"cycles": {"notice": "5m"}}, []),
        ({"cycles": {"plan": "6m"}}, ["plan"]),
        ({"cycles": {"news": 7, "plan": "6m"}}, ["news", "plan"]),
        ({"cycles": {"news": 0, "other": 7}}, []),  # 0 exempts a class
    ],
)
def test_stale_cycles(options: dict[str, Any], expected: list[str]) -> None:
    assert stale_urls(options) == expected


def test_stale_veto_thresholds_are_options() -> None:
    options = {"cycles": {"news": 7, "notice": "3m", "plan": "6m"}}
    assert {f.severity for f in run("columns.stale", COLUMNS, options)} == {Severity.DEDUCT}
    veto = run("columns.stale", COLUMNS, {**options, "veto_news_notice": 2})
    assert [f.severity for f in veto] == [Severity.VETO] * 3
    assert "共 2 个未及时更新（达到 2 个）" in veto[0].message
    total = run("columns.stale", COLUMNS, {**options, "veto_total": 3})
    assert all(f.evidence["veto"] and "合计 3 个" in f.evidence["veto"] for f in total)


def test_stale_points_option_reaches_the_evidence() -> None:
    findings = run("columns.stale", COLUMNS, {"cycles": {"news": 7}, "points": {"news": 2.5}})
    assert findings[0].evidence["points"] == 2.5


@pytest.mark.parametrize(
    ("cycles", "fragment"),
    [({"news": "6 months"}, "周期"), ({"news": -3}, "周期"), ({"weekly": 7}, "'weekly'")],
)
def test_stale_bad_cycles_fail_loudly(cycles: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        run("columns.stale", COLUMNS, {"cycles": cycles})


def test_stale_cycles_must_be_a_table() -> None:
    with pytest.raises(OptionsError, match="cycles"):
        resolve_options(CATALOGUE["columns.stale"].rule, {"cycles": 14})


# --- repost.lapse --------------------------------------------------------------------------

REGISTRY = [
    {"id": "yongzhou-city", "name": "永州市人民政府", "url": "https://www.yzcity.gov.cn/",
     "level": "city", "parent": "hunan"},
    {"id": "hunan", "name": "湖南省人民政府", "url": "https://www.hunan.gov.cn/",
     "level": "province", "parent": "govcn"},
    {"id": "govcn", "name": "中国政府网", "url": "https://www.gov.cn/", "level": "national"},
]  # fmt: skip
TITLE = "湖南省人民政府关于加强耕地保护的意见"


def repost_case(delay_published: str, **site: Any) -> dict[str, Any]:
    """A county site whose one repost of a 08:00 source was published at `delay_published`."""
    return {
        "site": {"id": "lengshuitan", "parent": "yongzhou-city", "repost_from": ["hunan"], **site},
        "registry": REGISTRY,
        "sources": {"hunan": [{"url": "https://www.hunan.gov.cn/a.html", "title": TITLE,
                               "published": "2026-11-18T08:00"}]},
        "items": [{"url": "/zwgk/1.html", "title": TITLE, "published": delay_published}],
    }  # fmt: skip


def lapse(case: Mapping[str, Any], options: Mapping[str, Any]) -> list[tuple[str, Any]]:
    return [
        (f.evidence["status"], f.evidence["window_from"])
        for f in run("repost.lapse", case, options)
    ]


@pytest.mark.parametrize(
    ("published", "options", "expected"),
    [
        ("2026-11-18T19:59", {}, []),  # 11 h 59 min
        ("2026-11-18T20:00", {}, []),  # exactly 12 h
        ("2026-11-18T20:01", {}, [("late", "default")]),
        ("2026-11-18T20:01", {"window_hours": 24}, []),
        ("2026-11-18T14:00", {"window_hours": 5.5}, [("late", "default")]),
        # the nearest authority up the parent chain wins: city 6 h over province 8 h
        ("2026-11-18T15:00", {"authority_windows": {"hunan": 8}}, []),
        ("2026-11-18T17:00", {"authority_windows": {"hunan": 8}}, [("late", "hunan")]),
        (
            "2026-11-18T15:00",
            {"authority_windows": {"hunan": 8, "yongzhou-city": 6}},
            [("late", "yongzhou-city")],
        ),
        ("2026-11-18T15:00", {"authority_windows": {"govcn": 6}}, [("late", "govcn")]),
        # the site's own entry wins over every authority above it
        ("2026-11-19T07:00", {"authority_windows": {"lengshuitan": 24, "hunan": 8}}, []),
        # an authority that does not supervise this site changes nothing
        ("2026-11-18T19:00", {"authority_windows": {"guangdong": 8}}, []),
    ],
)
def test_repost_windows(published: str, options: dict[str, Any], expected: list[Any]) -> None:
    assert lapse(repost_case(published), options) == expected


def test_parent_cycle_in_registry_does_not_hang() -> None:
    case = repost_case("2026-11-18T21:00")
    case["registry"] = [
        {"id": "yongzhou-city", "name": "x", "url": "https://a.gov.cn/", "level": "city",
         "parent": "lengshuitan"},
    ]  # fmt: skip
    assert lapse(case, {"authority_windows": {"hunan": 24}}) == [("late", "default")]


@pytest.mark.parametrize("hours", [0, -1, "12", True])
def test_bad_authority_window_fails_loudly(hours: Any) -> None:
    with pytest.raises(ValueError, match="authority_windows"):
        run("repost.lapse", repost_case("2026-11-18T09:00"), {"authority_windows": {"x": hours}})


def test_title_similarity_is_an_option() -> None:
    case = repost_case("2026-11-18T09:00")
    case["items"][0]["title"] = "湖南省人民政府关于进一步加强耕地保护的意见"  # 2 characters more
    assert lapse(case, {}) == []
    assert lapse(case, {"title_similarity": 0.99}) == [("missing", "default")]


def test_lookback_is_an_option() -> None:
    source = "湖南省人民政府办公厅关于2027年部分节假日安排的通知"
    case = repost_case("2025-11-20T09:00")
    case["sources"]["hunan"][0]["title"] = source
    case["items"][0]["title"] = source.replace("2027", "2026")  # last year's namesake
    assert lapse(case, {}) == [("missing", "default")]
    assert lapse(case, {"lookback_hours": 24 * 400}) == []  # then it passes for the repost


@pytest.mark.parametrize(
    ("title", "normalised"),
    [
        ("转载：国务院关于印发《X方案》的通知", "国务院关于印发x方案的通知"),
        ("转发 国务院关于印发《X方案》的通知", "国务院关于印发x方案的通知"),
        ("转自中国政府网：国务院关于印发《X方案》的通知", "国务院关于印发x方案的通知"),
        ("【转载】 国务院关于印发“X方案”的通知（转载）", "国务院关于印发x方案的通知"),
        ("国务院关于印发<X方案>的通知", "国务院关于印发x方案的通知"),
        ("国务院关于印发《Ｘ方案》的通知　", "国务院关于印发x方案的通知"),
        ("关于转发省政府文件的通知", "关于转发省政府文件的通知"),
    ],
)
def test_normalise_title(title: str, normalised: str) -> None:
    assert normalise_title(title) == normalised
