"""Exact figures of the fixture world (tests/reports/conftest.py), worked out by hand.

Third quarter 2026 (crawls on Jul 15, Aug 15, Sep 15), findings observed in the quarter:
  p1  nothing                                               100   合格
  p2  home.stale veto, July only                            100   不合格 (veto)
  c1  25 links.dead (2.5) + 1 links.dead-home (1)            96.5 合格
  c2  150 links.dead (15, capped at 10) + icp (2)             88   合格
  c3  stale 5 news (25) + 3 notice (12) + 2 classless (8)     55   不合格; 2 notices
  x1  stale 2 personnel (6) + icp until July (2)              92   合格
  x2  stale 8 notice (32) + 8 links.dead-home (8)             60   合格 (60 passes)
  x3  1 links.dead (0.1); 3 links.dead downgraded to notice   99.9 合格
  d1  icp (2) + home.stale veto                               98   不合格 (veto)
  d2  2 links.dead seen in August only (0.2)                  99.8 合格
=> 10 inspected, 7 pass, 70.00%; previous quarter 9 of 10 (d1's veto began in June).
Findings 1+26+151+12+3+16+4+2+2 = 217; new in Q3 36 (p2 1, c1 1, c3 12, x2 16, x3 4, d2 2),
persisting 181. Fixed in Q3: p2's veto (Aug 15, 31 days), x1's icp (Aug 15, 122 days), d2's
old link (Jul 15, 91 days), d2's two August links (Sep 15, 31 days each) => 5, median 31,
mean 306/5 = 61.2, max 122.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from core.settings import ScoringSettings
from reports import model as v
from reports import queries as q
from reports.build import build_report
from reports.periods import Period, parse_period
from reports.sampling import draw
from tests.reports.conftest import TZ, World

GENERATED = datetime(2026, 11, 1, 9, 30, tzinfo=TZ)


def build(world: World, kind: str, text: str, **kwargs: object) -> v.Report:
    with world.factory() as session:
        return build_report(session, world.settings, parse_period(kind, text),
                            generated_at=GENERATED, **kwargs)  # type: ignore[arg-type]


def scores(report: v.Report) -> dict[str, tuple[float, bool, int]]:
    return {s.site.id: (s.score, s.passed, s.rank) for s in report.sites}


def test_quarterly_scores_ranks_and_pass_rate(world: World) -> None:
    r = build(world, "quarterly", "2026-Q3")
    assert scores(r) == {
        "p1": (100.0, True, 1), "x3": (99.9, True, 2), "d2": (99.8, True, 3),
        "c1": (96.5, True, 4), "x1": (92.0, True, 5), "c2": (88.0, True, 6),
        "x2": (60.0, True, 7), "c3": (55.0, False, 8),
        "p2": (100.0, False, 9), "d1": (98.0, False, 10),  # vetoed: ranked last
    }
    s = r.stats
    assert (s.inspected, s.passed, s.failed, s.pass_rate, s.veto_sites) == (10, 7, 3, 70.0, 2)
    assert (s.findings, s.new, r.persisting, s.fixed) == (217, 36, 181, 5)
    assert s.average_score == 88.92
    assert r.previous is not None
    assert (r.previous.inspected, r.previous.passed, r.previous.pass_rate) == (10, 9, 90.0)
    assert r.rate_change_text == "较2026年第二季度（90.00%）下降 20 个百分点"
    assert [f.site.id for f in r.failing] == ["c3", "p2", "d1"]
    assert r.inspected_all == 10 and r.sample is None
    assert r.title == "关于2026年第三季度政府网站检查情况的通报"


def test_quarterly_site_details(world: World) -> None:
    r = build(world, "quarterly", "2026-Q3")
    rows = {s.site.id: s for s in r.sites}
    c2 = rows["c2"]
    assert [(d.code, d.findings, d.points, d.capped) for d in c2.deductions] == [
        ("links.dead", 150, 10.0, True), ("identity.icp-missing", 1, 2.0, False)]
    assert (c2.new, c2.persisting, c2.fixed, c2.open_at_end) == (0, 151, 0, 151)
    x3 = rows["x3"]
    assert (x3.deduct_findings, x3.notice_findings, x3.new) == (1, 3, 4)
    d2 = rows["d2"]
    assert (d2.findings, d2.new, d2.fixed, d2.open_at_end) == (2, 2, 3, 0)
    assert (d2.previous_score, d2.change_text) == (99.9, "-0.1")
    assert [c.code for c in rows["p2"].vetoes] == ["home.stale"]
    assert rows["c3"].reasons == "得分 55 低于合格线"
    assert rows["c3"].open_at_end == 12  # the notices were fixed only in October
    assert rows["p1"].trend == (None, None, 100.0, 100.0)


def test_levels_and_checks(world: World) -> None:
    r = build(world, "quarterly", "2026-Q3")
    assert [(x.level, x.inspected, x.passed, x.pass_rate, x.average_score, x.findings)
            for x in r.levels] == [
        ("province", 2, 1, 50.0, 100.0, 1),
        ("city", 3, 2, 66.67, 79.83, 189),
        ("county", 3, 3, 100.0, 83.97, 23),
        ("department", 2, 1, 50.0, 98.9, 4),
    ]
    checks = {c.code: c for c in r.checks}
    assert [c.code for c in r.checks] == [
        "home.stale", "links.dead", "columns.stale", "identity.icp-missing",
        "links.dead-home", "meta.page-tags-missing"]
    dead = checks["links.dead"]
    assert (dead.findings, dead.sites, dead.deduct, dead.notice, dead.new, dead.fixed,
            dead.open_at_end) == (181, 4, 178, 3, 6, 3, 179)
    assert (checks["home.stale"].veto, checks["home.stale"].fixed) == (2, 1)
    assert (checks["columns.stale"].findings, checks["columns.stale"].new) == (20, 18)
    assert checks["meta.page-tags-missing"].severity == "notice"
    assert dead.title == "页面存在不可用链接"


def test_typical_problems_with_examples_from_the_worst_sites(world: World) -> None:
    r = build(world, "quarterly", "2026-Q3")
    assert [(p.code, p.sites, p.findings) for p in r.typical] == [
        ("links.dead", 4, 178), ("columns.stale", 3, 20), ("identity.icp-missing", 3, 3),
        ("links.dead-home", 2, 9), ("home.stale", 2, 2)]
    dead = r.typical[0]
    assert [e.site_id for e in dead.examples] == ["c2", "c1", "d2"]  # lowest scores first
    assert dead.examples[0].url == "https://www.zhuzhou.gov.cn/missing/x000.html"
    assert dead.fix.startswith("修改或删除错误链接")
    assert [e.site_id for e in r.typical[-1].examples] == ["d1", "p2"]  # both vetoed: by score


def test_fix_times(world: World) -> None:
    r = build(world, "quarterly", "2026-Q3")
    rows = {f.code: f for f in r.fix_times}
    assert (rows[""].fixed, rows[""].median_days, rows[""].mean_days, rows[""].max_days) == (
        5, 31.0, 61.2, 122.0)
    assert (rows["links.dead"].fixed, rows["links.dead"].median_days,
            rows["links.dead"].mean_days) == (3, 31.0, 51.0)
    assert rows["identity.icp-missing"].median_days == 122.0
    assert r.fix_times[-1].code == ""  # the total comes last


def test_quarterly_trend(world: World) -> None:
    r = build(world, "quarterly", "2026-Q3")
    assert [(t.code, t.inspected, t.pass_rate) for t in r.trend_periods] == [
        ("2025-Q4", 0, None), ("2026-Q1", 0, None), ("2026-Q2", 10, 90.0),
        ("2026-Q3", 10, 70.0)]


def test_monthly_report(world: World) -> None:
    r = build(world, "monthly", "2026-09")
    assert r.title == "2026年9月政府网站监测普查情况"
    assert {s.site.id for s in r.failing} == {"c3", "d1"}  # p2's July veto is gone
    s = r.stats
    assert (s.inspected, s.passed, s.pass_rate, s.findings, s.new, s.fixed) == (
        10, 8, 80.0, 213, 1, 2)
    assert r.rate_change_text == "与2026年8月（80.00%）持平"
    assert [(t.code, t.pass_rate) for t in r.trend_periods] == [
        ("2026-04", 100.0), ("2026-05", 100.0), ("2026-06", 90.0), ("2026-07", 70.0),
        ("2026-08", 80.0), ("2026-09", 80.0)]
    rows = {x.site.id: x for x in r.sites}
    assert rows["x1"].score == 94.0  # its icp was fixed in August
    assert rows["d2"].trend == (99.9, 99.9, 99.9, 100.0, 99.8, 100.0)


def test_annual_report(world: World) -> None:
    r = build(world, "annual", "2026")
    assert r.title == "2026年政府网站监管年度报告"
    s = r.stats
    assert (s.inspected, s.passed, s.pass_rate, s.findings, s.new, s.fixed) == (
        10, 7, 70.0, 218, 218, 7)
    assert r.previous is None  # nothing inspected in 2025
    assert {x.site.id: x.score for x in r.sites}["d2"] == 99.7  # all three of its links
    assert [(t.code, t.inspected, t.pass_rate) for t in r.trend_periods] == [
        ("2026-01", 0, None), ("2026-02", 0, None), ("2026-03", 0, None),
        ("2026-04", 10, 100.0), ("2026-05", 10, 100.0), ("2026-06", 10, 90.0),
        ("2026-07", 10, 70.0), ("2026-08", 10, 80.0), ("2026-09", 10, 80.0),
        ("2026-10", 10, 80.0), ("2026-11", 0, None), ("2026-12", 0, None)]
    total = r.fix_times[-1]
    # 31 31 31 91 92 92 122: the Q3 fixes plus c3's two notices fixed on Oct 15 (92 days).
    assert (total.fixed, total.median_days, total.mean_days, total.max_days) == (
        7, 91.0, 70.0, 122.0)


def test_series_and_single_period_loaders_agree(world: World) -> None:
    """The report's trend comes from one GROUP BY over all months; each month on its own
    must give the same numbers."""
    months = Period("annual", 2026, 1).months_within()
    with world.factory() as session:
        series = q.load_series(session, months, span=Period("annual", 2026, 1))
        for data in series.periods:
            alone = q.load_period(session, data.period)
            assert data.inspected == alone.inspected, data.period.code
            assert [(g.site_id, g.code, g.severity, g.column_class, g.count, g.new)
                    for g in data.groups] == [
                (g.site_id, g.code, g.severity, g.column_class, g.count, g.new)
                for g in alone.groups], data.period.code
            assert data.fixed == alone.fixed, data.period.code
        assert series.span is not None
        year = q.load_period(session, Period("annual", 2026, 1))
        assert year.groups == series.span.groups and year.fixed == series.span.fixed


def test_sampled_report_covers_the_sample_only(world: World) -> None:
    with world.factory() as session:
        frame = q.load_period(session, parse_period("quarterly", "2026-Q3")).inspected
    levels = {"p": "province", "c": "city", "x": "county", "d": "department"}
    sample = draw("quarterly", "2026-Q3", 0.3, "seed-1",
                  [(sid, levels[sid[0]]) for sid in frame])
    r = build(world, "quarterly", "2026-Q3", sample=sample)
    assert {s.site.id for s in r.sites} == set(sample.site_ids)
    assert r.stats.inspected == 4 and r.inspected_all == 10
    assert r.sample is not None and r.sample.size == 4 and r.sample.seed == "seed-1"
    assert [(x.level, x.population, x.drawn) for x in r.sample.strata] == [
        ("province", 2, 1), ("city", 3, 1), ("county", 3, 1), ("department", 2, 1)]
    assert r.title == "关于2026年第三季度政府网站抽查情况的通报"
    assert all(t.inspected <= 4 for t in r.trend_periods)  # the same sites over time


def test_scoring_settings_reach_the_report(world: World) -> None:
    strict = replace(world.settings, scoring=ScoringSettings(pass_score=95.0))
    with world.factory() as session:
        r = build_report(session, strict, parse_period("quarterly", "2026-Q3"),
                         generated_at=GENERATED)
    assert {s.site.id for s in r.sites if s.passed} == {"p1", "x3", "d2", "c1"}
    assert r.pass_score_text == "95"


@pytest.mark.parametrize("kind,text", [("monthly", "2026-11"), ("annual", "2025")])
def test_periods_without_inspections_are_empty(world: World, kind: str, text: str) -> None:
    r = build(world, kind, text)
    assert r.stats.inspected == 0 and r.sites == ()
