"""Reports and the 整改 loop: 超期未整改 counted per site and in total (HTML, XLSX, DOCX and
the 整改清单), waived and dismissed findings out of scores and counts but listed apart, and
an expired waiver counted again."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from lxml import html
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from checks.base import Finding, Severity
from core.settings import Settings
from core.site import SiteEntry
from reports.build import build_report
from reports.cli import generate
from reports.periods import parse_period
from store import models as m
from store import repo
from store import review as rv
from store.session import make_engine, session_factory

TZ = ZoneInfo("Asia/Shanghai")
# Crawls on Wednesday 14 October and Monday 2 November 2026. Vetoes are due 5 working days
# after 14 October: the 21st; deductions 15 working days after: 4 November.
OCT = datetime(2026, 10, 14, 2, 0, tzinfo=TZ)
NOV = datetime(2026, 11, 2, 2, 0, tzinfo=TZ)
CODES = ["home.stale", "links.dead", "identity.icp-missing"]
SUP = rv.Actor("sup", rv.SUPERVISOR, None)
ALICE = rv.Actor("alice", rv.WEBMASTER, frozenset({"alpha"}))


@dataclass
class W:
    settings: Settings
    factory: sessionmaker[Session]
    ids: dict[str, int]


def _f(site: str, check: str, sev: Severity, url: str) -> Finding:
    return Finding(site=site, check=check, severity=sev, url=url, page=url,
                   message=f"{check} 问题", rule="《政府网站发展指引》", evidence={})


@pytest.fixture
def w(db_url: str) -> Iterator[W]:
    engine = make_engine(db_url)
    factory = session_factory(engine)
    V, D = Severity.VETO, Severity.DEDUCT
    alpha = [_f("alpha", "home.stale", V, "http://alpha/"),
             _f("alpha", "links.dead", D, "http://alpha/dead1"),
             _f("alpha", "identity.icp-missing", D, "http://alpha/icp")]
    beta = [_f("beta", "home.stale", V, "http://beta/"),
            _f("beta", "links.dead", D, "http://beta/dead")]
    with factory() as s, s.begin():
        repo.upsert_sites(s, [
            SiteEntry(id="alpha", name="甲市人民政府", url="http://alpha/", level="city"),
            SiteEntry(id="beta", name="乙县人民政府", url="http://beta/", level="county")])
        for when in (OCT, NOV):
            run = repo.create_run(s, ["alpha", "beta"], when)
            repo.finish_run(s, run.id, repo.FINISHED, {"pages": 5})
            for site, found in (("alpha", alpha), ("beta", beta)):
                repo.record_findings(s, found, site_id=site, checks_run=CODES, seen_at=when,
                                     crawl_run_id=run.id)
    with factory() as s:
        ids = {f"{r.site_id}:{r.check}": r.id for r in s.query(m.Finding)}
    yield W(Settings(database_url=db_url), factory, ids)
    engine.dispose()


def act(w: W, name: str, actor: rv.Actor, action: str, at: datetime, **kw: object) -> None:
    with w.factory() as s, s.begin():
        rv.act(s, w.ids[name], actor, action, today=at.date(), now=at, **kw)  # type: ignore[arg-type]


def build(w: W, period: str) -> object:
    with w.factory() as s:
        return build_report(s, w.settings, parse_period("monthly", period),
                             generated_at=datetime(2026, 12, 1, 9, 0, tzinfo=TZ))


def test_overdue_is_counted_at_the_period_end_and_waived_findings_leave_the_score(
        w: W) -> None:
    oct_only = datetime(2026, 10, 16, 10, 0, tzinfo=TZ)
    # alpha's veto waived until 15 November; beta's dead link appealed and dismissed.
    act(w, "alpha:home.stale", SUP, "waive", oct_only, reason="首页改版，经批准暂缓",
        until=date(2026, 11, 15))
    act(w, "beta:links.dead", rv.Actor("bob", rv.WEBMASTER, frozenset({"beta"})), "appeal",
        oct_only, reason="该链接为内网地址")
    act(w, "beta:links.dead", SUP, "accept", oct_only)
    october = build(w, "2026-10")
    sites = {s.site.id: s for s in october.sites}  # type: ignore[attr-defined]
    # October ends on the 31st: the vetoes (due the 21st) are overdue, the deductions (due
    # 4 November) are not; the waived veto and the dismissed link do not count at all.
    assert (sites["alpha"].overdue, sites["beta"].overdue) == (0, 1)
    assert october.overdue == 1 and october.overdue_as_of == "2026-11-01"  # type: ignore[attr-defined]
    assert sites["alpha"].passed and not sites["alpha"].vetoes  # the veto is waived
    assert sites["alpha"].veto_findings == 0 and sites["alpha"].deduct_findings == 2
    assert sites["beta"].deduct_findings == 0 and not sites["beta"].passed
    assert october.stats.findings == 3  # type: ignore[attr-defined]
    excluded = {(e.site_id, e.code): e for e in october.excluded}  # type: ignore[attr-defined]
    assert set(excluded) == {("alpha", "home.stale"), ("beta", "links.dead")}
    assert (excluded[("alpha", "home.stale")].kind, excluded[("alpha", "home.stale")].until,
            excluded[("alpha", "home.stale")].reason) == ("已豁免", "2026-11-15",
                                                          "首页改版，经批准暂缓")
    assert excluded[("beta", "links.dead")].kind == "误报"
    # November: the waiver expired on the 15th, so alpha's veto counts again and is overdue;
    # the deductions are overdue too (due the 4th); the dismissal holds.
    november = build(w, "2026-11")
    sites = {s.site.id: s for s in november.sites}  # type: ignore[attr-defined]
    assert not sites["alpha"].passed and sites["alpha"].veto_findings == 1
    assert (sites["alpha"].overdue, sites["beta"].overdue) == (3, 1)
    assert november.overdue == 4  # type: ignore[attr-defined]
    assert [(e.site_id, e.kind) for e in november.excluded] == [("beta", "误报")]  # type: ignore[attr-defined]


def test_a_waiver_granted_after_the_period_does_not_rewrite_it(w: W) -> None:
    act(w, "alpha:home.stale", SUP, "waive", datetime(2026, 11, 20, 9, 0, tzinfo=TZ),
        reason="改版", until=date(2026, 12, 31))
    october = build(w, "2026-10")
    alpha = next(s for s in october.sites if s.site.id == "alpha")  # type: ignore[attr-defined]
    assert alpha.veto_findings == 1 and alpha.overdue == 1
    assert october.excluded == ()  # type: ignore[attr-defined]


def test_every_format_shows_the_overdue_counts_and_the_excluded_list(
        w: W, tmp_path: Path) -> None:
    at = datetime(2026, 10, 16, 10, 0, tzinfo=TZ)
    act(w, "alpha:links.dead", SUP, "waive", at, reason="外部平台链接", until=date(2026, 12, 1))
    gen = datetime(2026, 12, 1, 9, 0, tzinfo=TZ)
    # HTML: the KPI, the ranking's column and total, the excluded section, the 整改清单.
    done = generate(w.settings, "monthly", "2026-11", out=tmp_path / "h", generated_at=gen)
    doc = html.parse(str(done.report)).getroot()
    assert doc.get_element_by_id("kpi-overdue").text_content().strip() == "4"
    ranking = {tr.get("data-site"): [td.text_content() for td in tr]
               for tr in doc.xpath('//table[@id="ranking"]/tbody/tr')}
    head = [th.text_content() for th in doc.xpath('//table[@id="ranking"]/thead/tr/th')]
    col = head.index("超期未整改")
    assert (ranking["alpha"][col], ranking["beta"][col]) == ("2", "2")
    assert doc.get_element_by_id("overdue-total").text_content() == "4"
    rows = doc.xpath('//table[@id="excluded"]/tbody/tr')
    assert len(rows) == 1 and "外部平台链接" in rows[0].text_content()
    assert "已豁免（至 2026-12-01）" in rows[0].text_content()
    assert done.sites_dir is not None
    alpha_list = (done.sites_dir / "alpha.html").read_text(encoding="utf-8")
    assert "整改期限" in alpha_list and "2026-10-21" in alpha_list
    assert "超期未整改" in alpha_list and "已豁免至 2026-12-01" in alpha_list
    # XLSX: the ranking's column, the summary's total, the excluded sheet, the 整改清单.
    done = generate(w.settings, "monthly", "2026-11", fmt="xlsx", out=tmp_path / "x",
                    generated_at=gen)
    wb = load_workbook(done.report)
    scores = [[c.value for c in r] for r in wb["网站得分"].iter_rows()]
    col = scores[0].index("超期未整改")
    assert {r[2]: r[col] for r in scores[1:]} == {"alpha": 2, "beta": 2}
    summary = {r[0].value: r[1].value for r in wb["总体情况"].iter_rows()}
    assert summary["超期未整改问题数"] == 4 and summary["已豁免/误报（不计分）"] == 1
    assert [c.value for c in next(wb["已豁免或误报"].iter_rows(min_row=2))][2] == "alpha"
    assert done.sites_dir is not None
    items = [[c.value for c in r] for r in
             load_workbook(done.sites_dir / "alpha.xlsx")["整改清单"].iter_rows()]
    deadline, late, status = (items[0].index(h) for h in ("整改期限", "超期未整改", "状态"))
    assert sorted((r[deadline], r[late] or "", r[status]) for r in items[1:]) == [
        ("2026-10-21", "是", "未整改"),  # the veto
        ("2026-11-04", "", "已豁免至 2026-12-01"),  # the waived dead link
        ("2026-11-04", "是", "未整改")]  # the ICP number
    # DOCX: the ranking's column and total row, the excluded attachment.
    done = generate(w.settings, "monthly", "2026-11", fmt="docx", out=tmp_path / "d",
                    generated_at=gen, issuer="某某办公厅", doc_number="某〔2026〕1号")
    d = Document(str(done.report))
    ranking_t = next(t for t in d.tables if t.rows[0].cells[0].text == "排名")
    head = [c.text for c in ranking_t.rows[0].cells]
    assert ranking_t.rows[-1].cells[0].text == "合计"
    assert ranking_t.rows[-1].cells[head.index("超期未整改")].text == "4"
    text = "\n".join(p.text for p in d.paragraphs)
    assert "超期未整改问题 4 处" in text and "已豁免/误报问题" in text
