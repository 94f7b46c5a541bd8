from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from core.settings import ScoringSettings, Settings, SettingsError, apply_file
from reports.build import Catalogue, ReportError, validate_scoring
from reports.scoring import CheckCount, Score, pass_rate, rank, score_site

D, V, N = "deduct", "veto", "notice"
DEFAULTS = ScoringSettings()


def test_points_per_check_and_the_2015_table() -> None:
    score = score_site([CheckCount("links.dead", D, 25), CheckCount("links.dead-home", D, 1)],
                       DEFAULTS)
    assert (score.score, score.deducted, score.passed) == (96.5, 3.5, True)
    assert [(d.code, d.findings, d.points) for d in score.deductions] == [
        ("links.dead", 25, 2.5), ("links.dead-home", 1, 1.0)]


def test_decimal_arithmetic_has_no_float_residue() -> None:
    score = score_site([CheckCount("links.dead", D, 3)], DEFAULTS)
    assert score.deducted == 0.3 and score.score == 99.7


def test_caps_limit_one_check_and_are_reported() -> None:
    score = score_site([CheckCount("links.dead", D, 150), CheckCount("identity.icp-missing",
                                                                      D, 1)], DEFAULTS)
    assert score.score == 88.0
    dead = next(d for d in score.deductions if d.code == "links.dead")
    assert (dead.points, dead.capped) == (10.0, True)


def test_stale_columns_by_class_with_the_check_points_as_fallback() -> None:
    counts = [
        CheckCount("columns.stale", D, 5, "news"),
        CheckCount("columns.stale", D, 3, "notice"),
        CheckCount("columns.stale", D, 2, None),  # no class in the evidence: 4 each
        CheckCount("columns.stale", D, 1, "personnel"),
    ]
    score = score_site(counts, DEFAULTS)
    assert score.deducted == 25 + 12 + 8 + 3
    assert score.score == 52.0 and not score.passed


def test_veto_fails_whatever_the_score_and_notice_is_not_scored() -> None:
    score = score_site([CheckCount("home.stale", V, 1), CheckCount("links.dead", N, 40)],
                       DEFAULTS)
    assert (score.score, score.passed, score.vetoes) == (100.0, False, ("home.stale",))
    assert (score.veto_findings, score.deduct_findings, score.notice_findings) == (1, 0, 40)


def test_pass_mark_is_inclusive_and_the_score_floors_at_zero() -> None:
    sixty = score_site([CheckCount("columns.stale", D, 8, "notice"),
                        CheckCount("links.dead-home", D, 8)], DEFAULTS)
    assert (sixty.score, sixty.passed) == (60.0, True)
    below = score_site([CheckCount("columns.blank", D, 30)], DEFAULTS)  # 150 points, no cap
    assert (below.score, below.passed) == (0.0, False)


def test_unlisted_checks_use_the_default_points_and_cap() -> None:
    score = score_site([CheckCount("content.something-new", D, 7)], DEFAULTS)
    assert score.deducted == 10.0  # 7 x 2 = 14, capped at the default 10


def test_settings_change_the_scores(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        "[scoring]\npass_score = 97\n[scoring.points]\n\"links.dead\" = 0.2\n"
        "[scoring.caps]\n\"links.dead\" = 0\n[scoring.column_class_points]\nnews = 6\n",
        encoding="utf-8")
    scoring = apply_file(Settings(), path).scoring
    assert scoring.points["links.dead-home"] == 1.0  # tables merge into the defaults
    score = score_site([CheckCount("links.dead", D, 100)], scoring)
    assert (score.deducted, score.passed) == (20.0, False)  # uncapped now
    assert score_site([CheckCount("columns.stale", D, 1, "news")], scoring).deducted == 6.0
    assert score_site([CheckCount("links.dead", D, 15)], scoring).passed  # 97 >= 97


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("[scoring]\npass = 60\n", "未知设置 scoring.pass"),
        ("[scoring]\npass_score = \"60\"\n", "scoring.pass_score"),
        ("[scoring]\npass_score = 120\n", "不能大于 100"),
        ("[scoring.points]\n\"links.dead\" = \"x\"\n", "scoring.points.links.dead"),
        ("[scoring.caps]\n\"links.dead\" = -1\n", "不能为负数"),
        ("[scoring.points]\n\"links.dead\" = true\n", "应为数值"),
    ],
)
def test_bad_scoring_settings_name_the_file_and_key(tmp_path: Path, text: str,
                                                   needle: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        apply_file(Settings(), path)
    assert str(path) in str(info.value) and needle in str(info.value)


def test_a_misspelt_check_code_in_scoring_is_refused_by_reports() -> None:
    catalogue = Catalogue(titles={"links.dead": "页面存在不可用链接"}, fixes={})
    validate_scoring(DEFAULTS, catalogue)  # defaults name checks.md codes only
    bad = replace(DEFAULTS, points={**DEFAULTS.points, "links.daed": 1.0})
    with pytest.raises(ReportError, match=r"links\.daed"):
        validate_scoring(bad, catalogue)


def _score(value: float, veto: bool = False) -> Score:
    return Score(value, 100 - value, not veto and value >= 60,
                 ("home.stale",) if veto else (), (), int(veto), 0, 0)


def test_rank_shares_ties_and_puts_vetoed_sites_last() -> None:
    ranks = rank({"a": _score(90), "b": _score(95), "c": _score(90), "d": _score(100, True),
                  "e": _score(50)})
    assert ranks == {"b": 1, "a": 2, "c": 2, "e": 4, "d": 5}


def test_pass_rate() -> None:
    assert pass_rate(7, 10) == 70.0
    assert pass_rate(2, 3) == 66.67
    assert pass_rate(0, 0) is None


def test_issue_12_findings_score_by_their_stored_severity() -> None:
    """An unanswered message (veto) fails the site; incomplete guides count as vetoes or
    deductions as the check stored them; https.missing and content.fake-dates are notices."""
    vetoed = score_site([CheckCount("interaction.unanswered", V, 1),
                         CheckCount("https.missing", N, 1),
                         CheckCount("content.fake-dates", N, 1)], DEFAULTS)
    assert (vetoed.passed, vetoed.vetoes, vetoed.score) == (
        False, ("interaction.unanswered",), 100.0)
    guides = score_site([CheckCount("service.guide-incomplete", D, 2),
                         CheckCount("content.commercial-ads", D, 1)], DEFAULTS)
    assert (guides.passed, guides.score) == (True, 94.0)
    assert score_site([CheckCount("service.guide-incomplete", V, 5)], DEFAULTS).vetoes == (
        "service.guide-incomplete",)
