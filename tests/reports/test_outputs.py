"""The written documents, read back the way a person or a program would: HTML parsed with
lxml, XLSX opened with openpyxl. The figures are those of test_build.py's docstring."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from reports import model as v
from reports.cli import generate
from reports.render import link, render_rectification
from reports.xlsx import Table, display_width, save
from store import models as m
from tests.reports.conftest import INSPECTED, NAMES, TZ, World

T1 = datetime(2026, 11, 1, 9, 30, tzinfo=TZ)
T2 = datetime(2026, 11, 2, 17, 45, 12, tzinfo=TZ)
STAMP = re.compile(rb'<span class="generated-at">[^<]*</span>')


def html_doc(path: Path) -> Any:
    return lxml.html.fromstring(path.read_bytes())


def text(node: Any) -> str:
    return " ".join(node.text_content().split())


def table_rows(doc: Any, table_id: str) -> list[list[str]]:
    return [[text(cell) for cell in tr.xpath("./td|./th")]
            for tr in doc.xpath(f'//table[@id="{table_id}"]/tbody/tr')]


def test_quarterly_html_shows_the_exact_figures(world: World, tmp_path: Path) -> None:
    done = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path, generated_at=T1)
    assert done.report == tmp_path / "quarterly-2026-Q3" / "report.html"
    doc = html_doc(done.report)
    kpi = {k: text(doc.get_element_by_id(f"kpi-{k}"))
           for k in ("inspected", "passed", "failed", "pass-rate", "findings")}
    assert kpi == {"inspected": "10", "passed": "7", "failed": "3", "pass-rate": "70.00%",
                   "findings": "217"}
    overview = text(doc.get_element_by_id("overview-text"))
    assert "合格率 70.00%，较2026年第二季度（90.00%）下降 20 个百分点" in overview
    assert "新发现 36 处、此前发现仍存在 181 处；期内已整改问题 5 处" in overview
    ranking = {tr.get("data-site"): tr for tr in doc.xpath('//table[@id="ranking"]/tbody/tr')}
    assert list(ranking) == ["p1", "x3", "d2", "c1", "x1", "c2", "x2", "c3", "p2", "d1"]
    assert {sid: (text(tr.xpath("./td")[3]), text(tr.xpath("./td")[4]))
            for sid, tr in ranking.items()} == {
        "p1": ("100", "合格"), "x3": ("99.9", "合格"), "d2": ("99.8", "合格"),
        "c1": ("96.5", "合格"), "x1": ("92", "合格"), "c2": ("88", "合格"),
        "x2": ("60", "合格"), "c3": ("55", "不合格"), "p2": ("100", "不合格"),
        "d1": ("98", "不合格")}
    assert ranking["c3"].xpath(".//a/@href") == ["sites/c3.html"]
    assert [tr.get("data-site") for tr in doc.xpath('//table[@id="failing"]/tbody/tr')] == [
        "c3", "p2", "d1"]
    assert table_rows(doc, "levels") == [
        ["省级", "2", "1", "1", "50.00%", "100", "1"],
        ["市级", "3", "2", "1", "66.67%", "79.83", "189"],
        ["县级", "3", "3", "0", "100.00%", "83.97", "23"],
        ["部门", "2", "1", "1", "50.00%", "98.9", "4"],
        ["合计", "10", "7", "3", "70.00%", "88.92", "217"]]
    checks = {tr.get("data-check"): [text(td) for td in tr.xpath("./td")]
              for tr in doc.xpath('//table[@id="checks"]/tbody/tr')}
    assert checks["links.dead"][2:] == ["181", "4", "6", "3", "179"]
    assert checks["home.stale"][1] == "单项否决"
    # vetoes are counted by finding: a check only some of whose findings are vetoes is not
    # labelled 单项否决 as a whole
    for code, row in checks.items():
        assert row[1] in ("单项否决", "扣分", "提示") or "处" in row[1], (code, row)
    # the official text names checks in Chinese; the English codes are in the appendix only
    appendix = doc.xpath('//section[@id="codes-appendix"]')[0]
    assert {tr.get("data-check") for tr in appendix.xpath(".//tbody/tr")} == set(checks)
    appendix.getparent().remove(appendix)
    body = text(doc.xpath("//body")[0])
    assert not [code for code in checks if code in body]
    problems = doc.xpath('//div[@class="problem"]')
    assert [(p.get("data-check"), text(p.xpath('.//b[@class="sites"]')[0]),
             text(p.xpath('.//b[@class="findings"]')[0])) for p in problems] == [
        ("links.dead", "4", "178"), ("columns.stale", "3", "20"),
        ("identity.icp-missing", "3", "3"), ("links.dead-home", "2", "9"),
        ("home.stale", "2", "2")]
    assert "株洲市人民政府" in text(problems[0].xpath(".//li")[0])
    total = next(r for r in table_rows(doc, "fix-times") if r[0] == "合计")
    assert total[1:] == ["5", "31", "61.2", "122"]
    assert [r[4] for r in table_rows(doc, "trend")] == ["—", "—", "90.00%", "70.00%"]
    sections = [text(h) for h in doc.xpath("//h2")]
    assert sections[:5] == ["一、总体情况", "二、合格率", "三、不合格网站名单", "四、典型问题",
                            "五、整改要求"]
    assert doc.xpath("//script") == [] and doc.xpath("//link") == []  # self-contained
    assert len(doc.xpath("//svg")) == 3


def test_every_site_gets_a_rectification_list(world: World, tmp_path: Path) -> None:
    done = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path, generated_at=T1)
    assert done.sites_dir is not None and done.site_lists == 10
    assert sorted(p.stem for p in done.sites_dir.glob("*.html")) == sorted(INSPECTED)
    c3 = html_doc(done.sites_dir / "c3.html")
    assert text(c3.xpath('//b[@class="rect-total"]')[0]) == "12"
    assert text(c3.xpath('//b[@class="rect-fixed-since"]')[0]) == "2"
    assert NAMES["c3"] in text(c3.xpath("//h1")[0])
    rows = c3.xpath('//table[@class="rect"]/tbody/tr')
    assert len(rows) == 12
    first = [text(td) for td in rows[0].xpath("./td")]
    assert first[0] == "1" and first[2] == "https://www.xiangtan.gov.cn/cola0/"
    assert "栏目类别：动态要闻类" in first[4] and first[5] == "2026-07-15 02:00"
    assert [text(r.xpath("./td")[-1]) for r in rows].count("已于 2026-10-15 整改") == 2
    headings = [h.get("data-check") for h in c3.xpath("//h2[@data-check]")]
    assert headings == ["columns.stale", "meta.page-tags-missing"]  # deduct before notice
    fixes = text(c3.xpath("//h2[@data-check]/following-sibling::p[1]")[0])
    assert "依据：《政府网站与政务新媒体检查指标》" in fixes and "整改方法：" in fixes
    d1 = html_doc(done.sites_dir / "d1.html")
    assert [h.get("data-check") for h in d1.xpath("//h2[@data-check]")] == [
        "home.stale", "identity.icp-missing"]  # veto first
    assert 'HYPERLINK("http://evil")' in text(d1.xpath('//table[@class="rect"]')[1])
    p1 = html_doc(done.sites_dir / "p1.html")
    assert p1.xpath('//p[@class="rect-none"]') and text(
        p1.xpath('//b[@class="rect-total"]')[0]) == "0"


def test_rectification_rows_escape_hostile_text_and_never_link_javascript() -> None:
    item = v.RectItem(1, "links.dead", "页面存在不可用链接", "deduct", "扣分",
                      "<script>alert(1)</script>", "javascript:alert(1)",
                      'https://x.gov.cn/"><img src=x onerror=alert(1)>',
                      (("链接文字", "<b>&</b>"),), "规则", "修复", "2026-07-15 02:00",
                      "2026-07-15 02:00", "未整改", False)
    rect = v.Rectification(v.SiteInfo("s", "<i>站</i>", "https://s.gov.cn/", "city"), "报告",
                           "2026年", "2026-11-01 00:00:00 +0800", (item,))
    html = render_rectification(rect)
    assert "<script>" not in html and "<img" not in html and "<i>站" not in html
    doc = lxml.html.fromstring(html)
    assert doc.xpath('//a[starts-with(@href, "javascript")]') == []
    assert "javascript:alert(1)" in text(doc)  # shown, inert
    assert doc.xpath("//table[@class='rect']//a/@href") == [
        'https://x.gov.cn/"><img src=x onerror=alert(1)>']
    assert link("HTTPS://a.gov.cn/") .startswith('<a href="HTTPS://a.gov.cn/"')


def sheet(wb: Any, name: str) -> list[list[Any]]:
    return [list(row) for row in wb[name].iter_rows(values_only=True)]


def test_quarterly_xlsx_has_one_sheet_per_table_with_the_exact_figures(
        world: World, tmp_path: Path) -> None:
    done = generate(world.settings, "quarterly", "2026-Q3", fmt="xlsx", out=tmp_path,
                    generated_at=T1)
    wb = load_workbook(done.report)
    assert wb.sheetnames == ["总体情况", "网站得分", "不合格名单", "分级别", "按检查项", "典型问题",
                             "整改时效", "趋势", "网站趋势"]
    summary = dict(sheet(wb, "总体情况")[1:])
    assert (summary["检查网站数"], summary["合格网站数"], summary["不合格网站数"],
            summary["合格率（%）"], summary["发现问题数"], summary["新发现问题数"],
            summary["此前发现仍存在"], summary["期内整改问题数"]) == (10, 7, 3, 70, 217, 36, 181, 5)
    scores = sheet(wb, "网站得分")
    assert scores[0][:8] == ["排名", "网站名称", "网站标识", "级别", "网址", "得分", "扣分", "结论"]
    assert [(r[0], r[2], r[5], r[7]) for r in scores[1:]] == [
        (1, "p1", 100, "合格"), (2, "x3", 99.9, "合格"), (3, "d2", 99.8, "合格"),
        (4, "c1", 96.5, "合格"), (5, "x1", 92, "合格"), (6, "c2", 88, "合格"),
        (7, "x2", 60, "合格"), (8, "c3", 55, "不合格"), (9, "p2", 100, "不合格"),
        (10, "d1", 98, "不合格")]
    assert [r[2] for r in sheet(wb, "不合格名单")[1:]] == ["c3", "p2", "d1"]
    assert sheet(wb, "分级别")[1:] == [
        ["省级", 2, 1, 1, 50, 100, 1], ["市级", 3, 2, 1, 66.67, 79.83, 189],
        ["县级", 3, 3, 0, 100, 83.97, 23], ["部门", 2, 1, 1, 50, 98.9, 4]]
    dead = next(r for r in sheet(wb, "按检查项")[1:] if r[1] == "links.dead")
    assert dead[3:] == [181, 4, 0, 178, 3, 6, 3, 179]
    assert sheet(wb, "整改时效")[-1][1:] == ["合计", 5, 31, 61.2, 122]
    assert [r[4] for r in sheet(wb, "趋势")[1:]] == [None, None, 90, 70]
    ws = wb["网站得分"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:V11"
    # Fitted: the longest name (7 CJK characters = 14) plus 2; "排名" (4) plus room for the
    # filter button (4).
    assert (ws.column_dimensions["B"].width, ws.column_dimensions["A"].width) == (16, 8)
    c3 = load_workbook(done.sites_dir / "c3.xlsx") if done.sites_dir else None
    assert c3 is not None and c3.sheetnames == ["说明", "整改清单"]
    items = sheet(c3, "整改清单")
    assert len(items) == 13 and items[1][2] == "columns.stale"
    assert [r[-1] for r in items[1:]].count("已于 2026-10-15 整改") == 2
    assert c3["整改清单"].freeze_panes == "A2" and c3["整改清单"].auto_filter.ref == "A1:O13"


def test_cjk_text_counts_double_in_column_widths() -> None:
    assert display_width("abc") == 3 and display_width("湘潭") == 4
    assert display_width("ＡＢ（1）") == 9  # four full-width characters and a digit


def test_formula_like_text_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "t.xlsx"
    save([Table("表", ("值",), [("=HYPERLINK(\"http://evil\",\"点我\")",), ("a\x07b",)])], path)
    ws = load_workbook(path)["表"]
    assert ws["A2"].data_type == "s" and ws["A2"].value.startswith("=HYPERLINK")
    assert ws["A3"].value == "ab"  # a control character XML cannot carry is dropped


def test_html_is_byte_identical_apart_from_the_generation_time(world: World,
                                                               tmp_path: Path) -> None:
    # the 印发日期 defaults to the day of generation: fixed here, so only the time differs
    a = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path / "a", generated_at=T1,
                 issue_date="2026-11-03")
    b = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path / "b", generated_at=T2,
                 issue_date="2026-11-03")
    first, second = a.report.read_bytes(), b.report.read_bytes()
    assert first != second  # the time is printed ...
    assert STAMP.sub(b"", first) == STAMP.sub(b"", second)  # ... and nothing else differs
    assert a.sites_dir is not None and b.sites_dir is not None
    for path in sorted(a.sites_dir.glob("*.html")):
        assert STAMP.sub(b"", path.read_bytes()) == STAMP.sub(
            b"", (b.sites_dir / path.name).read_bytes()), path.name


def test_xlsx_cell_values_are_identical_apart_from_the_generation_time(
        world: World, tmp_path: Path) -> None:
    a = generate(world.settings, "annual", "2026", fmt="xlsx", out=tmp_path / "a",
                 generated_at=T1, issue_date="2026-11-03")
    b = generate(world.settings, "annual", "2026", fmt="xlsx", out=tmp_path / "b",
                 generated_at=T2, issue_date="2026-11-03")
    assert a.sites_dir is not None and b.sites_dir is not None
    pairs = [(a.report, b.report)] + [(p, b.sites_dir / p.name)
                                      for p in sorted(a.sites_dir.glob("*.xlsx"))]
    for left, right in pairs:
        wa, wb = load_workbook(left), load_workbook(right)
        assert wa.sheetnames == wb.sheetnames
        for name in wa.sheetnames:
            rows_a = [r for r in sheet(wa, name) if r[0] != "生成时间"]
            rows_b = [r for r in sheet(wb, name) if r[0] != "生成时间"]
            assert rows_a == rows_b, (left.name, name)


def test_same_period_and_seed_give_the_same_sample_and_report(world: World,
                                                             tmp_path: Path) -> None:
    runs = [generate(world.settings, "quarterly", "2026-Q3", out=tmp_path / name,
                     sample_rate="0.3", seed="2026Q3", generated_at=at,
                     issue_date="2026-11-03")
            for name, at in (("a", T1), ("b", T2))]
    assert runs[0].sample == runs[1].sample == "抽查 4/10 个（比例 30%，种子 2026Q3）"
    assert STAMP.sub(b"", runs[0].report.read_bytes()) == STAMP.sub(
        b"", runs[1].report.read_bytes())
    doc = html_doc(runs[0].report)
    sample_ids = [tr.get("data-site") for tr in doc.xpath('//table[@id="sample"]/tbody/tr')]
    assert len(sample_ids) == 4
    assert table_rows(doc, "strata") == [["省级", "2", "1"], ["市级", "3", "1"],
                                         ["县级", "3", "1"], ["部门", "2", "1"]]
    assert "随机种子 2026Q3" in text(doc.get_element_by_id("sample-text"))
    assert text(doc.get_element_by_id("kpi-inspected")) == "4"
    assert runs[0].sites_dir is not None
    assert sorted(p.stem for p in runs[0].sites_dir.glob("*.html")) == sorted(sample_ids)
    with world.factory() as session:
        rows = list(session.scalars(select(m.ReportSample)))
    assert len(rows) == 1 and sorted(rows[0].site_ids) == sorted(sample_ids)
    assert rows[0].digest in text(doc.get_element_by_id("sample-text"))
    other = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path / "c",
                     sample_rate="0.3", seed="another", generated_at=T1)
    assert other.inspected == 4
    with world.factory() as session:
        assert session.scalar(select(func.count()).select_from(m.ReportSample)) == 2


def test_a_site_leaving_the_scope_loses_its_old_list(world: World, tmp_path: Path) -> None:
    full = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path, generated_at=T1)
    assert full.site_lists == 10
    sampled = generate(world.settings, "quarterly", "2026-Q3", out=tmp_path,
                       sample_rate="0.3", seed="s", generated_at=T1)
    assert sampled.sites_dir is not None
    assert len(list(sampled.sites_dir.glob("*.html"))) == 4


@pytest.mark.parametrize(("kind", "period", "heading", "rate"), [
    ("monthly", "2026-09", "二、普查结果", "80.00%"),
    ("annual", "2026", "二、月度统计", "70.00%"),
])
def test_monthly_and_annual_documents(world: World, tmp_path: Path, kind: str, period: str,
                                      heading: str, rate: str) -> None:
    done = generate(world.settings, kind, period, out=tmp_path, generated_at=T1)
    doc = html_doc(done.report)
    assert heading in [text(h) for h in doc.xpath("//h2")]
    assert text(doc.get_element_by_id("kpi-pass-rate")) == rate
    trend = table_rows(doc, "trend")
    if kind == "annual":
        assert [r[0] for r in trend] == [f"2026年{i}月" for i in range(1, 13)]
        assert [r[4] for r in trend][3:10] == ["100.00%", "100.00%", "90.00%", "70.00%",
                                               "80.00%", "80.00%", "80.00%"]
        assert done.sites_dir is not None
        d2 = html_doc(done.sites_dir / "d2.html")
        assert text(d2.xpath('//b[@class="rect-total"]')[0]) == "0"
    else:
        assert len(trend) == 6 and trend[-1][4] == "80.00%"


def test_a_check_partly_veto_is_labelled_by_its_findings() -> None:
    from reports.model import CheckRow, TypicalProblem

    row = CheckRow(code="columns.stale", title="栏目信息长期未更新", severity="veto",
                   severity_label="单项否决", findings=15, sites=3, veto=5, deduct=10,
                   notice=0, new=0, fixed=0, open_at_end=15)
    assert row.severity_text == "单项否决 5 处、扣分 10 处"
    assert TypicalProblem("columns.stale", "栏目信息长期未更新", "单项否决", 3, 15, "", (),
                          veto=5).severity_text == "单项否决 5 处、扣分 10 处"
    assert TypicalProblem("home.stale", "首页", "单项否决", 2, 2, "", (),
                          veto=2).severity_text == "单项否决"
