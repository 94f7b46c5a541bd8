"""The 通报 as an official document: 发文机关, 文号, 印发日期, 整改期限 and 主办单位 in every
format, the DOCX read back with python-docx, and the options' errors."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import update

from core.settings import ReportSettings
from reports.cli import ReportUsageError, add_report_parser, generate
from reports.official import OfficialError, official
from store import models as m
from tests.reports.conftest import INSPECTED, NAMES, TZ, World

T1 = datetime(2026, 11, 1, 9, 30, tzinfo=TZ)
OPTIONS = {"issuer": "湖南省人民政府办公厅", "doc_number": "湘政办网〔2026〕12号",
           "issue_date": "2026-11-03", "deadline": "2026-12-15"}


@pytest.fixture
def sponsored(world: World) -> World:
    with world.factory() as session, session.begin():
        session.execute(update(m.Site).where(m.Site.id == "c3")
                        .values(sponsor="湘潭市人民政府办公室"))
    return world


def docx_text(path: Path) -> list[str]:
    doc = Document(str(path))
    return [p.text for p in doc.paragraphs]


def test_docx_is_laid_out_as_an_official_document(sponsored: World, tmp_path: Path) -> None:
    done = generate(sponsored.settings, "quarterly", "2026-Q3", fmt="docx", out=tmp_path,
                    generated_at=T1, **OPTIONS)
    assert done.report == tmp_path / "quarterly-2026-Q3" / "report.docx"
    doc = Document(str(done.report))
    lines = [p.text for p in doc.paragraphs]
    nonempty = [t for t in lines if t.strip()]
    # 版头: 发文机关 in red, then the 文号; the title; 主送
    assert nonempty[0] == "湖南省人民政府办公厅"
    first = next(p for p in doc.paragraphs if p.text == "湖南省人民政府办公厅")
    assert first.runs[0].font.color.rgb is not None and str(first.runs[0].font.color.rgb) == \
        "C00000"
    assert nonempty[1] == "湘政办网〔2026〕12号"
    assert nonempty[2] == "关于2026年第三季度政府网站检查情况的通报"
    assert nonempty[3] == "各有关单位："
    # headings in order, the deadline in the requirements
    headings = [t for t in nonempty if t[:2] in ("一、", "二、", "三、", "四、")]
    assert headings == ["一、总体情况", "二、不合格网站名单", "三、发现的主要问题", "四、整改要求"]
    assert any("于 2026年12月15日前完成整改" in t for t in nonempty)
    # closing: 发文机关署名 and 成文日期, right-aligned, before the attachments
    attach = lines.index("附件1")
    closing = [t for t in lines[:attach] if t.strip()][-2:]
    assert closing == ["湖南省人民政府办公厅", "2026年11月3日"]
    # body font: 仿宋 for East Asian text
    normal = doc.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert "KPI" not in " ".join(lines)
    # tables: the levels, the failing list with 主办单位, the checks, the ranking
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    failing = next(t for t in tables if t[0][:3] == ["序号", "网站名称", "主办单位"])
    assert [r[1] for r in failing[1:]] == [NAMES["c3"], NAMES["p2"], NAMES["d1"]]
    assert failing[1][2] == "湘潭市人民政府办公室" and failing[2][2] == "—"
    ranking = next(t for t in tables if t[0][0] == "排名")
    # one row per site, then the totals (超期未整改 among them)
    assert len(ranking) == 2 + len(INSPECTED) and ranking[1][1] == NAMES["p1"]
    assert ranking[-1][0] == "合计" and "超期未整改" in ranking[0]
    levels = tables[0]
    assert levels[-1][:5] == ["合计", "10", "7", "3", "70.00%"]
    # one 整改清单 per site, carrying the deadline
    assert done.sites_dir is not None and done.site_lists == 10
    c3 = docx_text(done.sites_dir / "c3.docx")
    assert any("主办单位 湘潭市人民政府办公室" in t and "2026年12月15日前" in t for t in c3)
    rows = Document(str(done.sites_dir / "c3.docx")).tables[0].rows
    assert len(rows) == 1 + 12


def test_official_fields_in_html_and_xlsx(sponsored: World, tmp_path: Path) -> None:
    html = generate(sponsored.settings, "quarterly", "2026-Q3", out=tmp_path / "h",
                    generated_at=T1, **OPTIONS)
    text = html.report.read_text(encoding="utf-8")
    assert "湘政办网〔2026〕12号" in text and "湖南省人民政府办公厅" in text
    assert "2026年11月3日" in text and "2026年12月15日" in text
    assert "湘潭市人民政府办公室" in text and "主办单位" in text
    xlsx = generate(sponsored.settings, "quarterly", "2026-Q3", fmt="xlsx", out=tmp_path / "x",
                    generated_at=T1, **OPTIONS)
    wb = load_workbook(xlsx.report)
    summary = dict(wb["总体情况"].iter_rows(values_only=True))
    assert summary["发文机关"] == "湖南省人民政府办公厅"
    assert summary["文号"] == "湘政办网〔2026〕12号"
    assert summary["印发日期"] == "2026年11月3日" and summary["整改期限"] == "2026年12月15日"
    scores = list(wb["网站得分"].iter_rows(values_only=True))
    col = scores[0].index("主办单位")
    by_id = {row[2]: row[col] for row in scores[1:]}
    assert by_id["c3"] == "湘潭市人民政府办公室" and by_id["p1"] is None


def test_defaults_come_from_settings() -> None:
    now = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    got = official(ReportSettings(issuer="某市政务服务数据管理局", doc_number="某网〔2026〕1号",
                                  deadline_days=20), now)
    assert (got.issuer, got.doc_number, got.issue_date, got.deadline) == (
        "某市政务服务数据管理局", "某网〔2026〕1号", date(2026, 11, 20), date(2026, 12, 10))
    assert got.recipients == "各有关单位"
    blank = official(ReportSettings(), now)
    assert blank.issuer_text == "（发文机关）" and blank.doc_number_text.startswith("〔2026〕")
    # options win over settings
    given = official(ReportSettings(issuer="甲"), now, issuer="乙", issue_date="2026-12-01")
    assert given.issuer == "乙" and given.deadline == date(2026, 12, 31)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"issue_date": "2026/11/03"}, "--issue-date 日期格式无效"),
    ({"deadline": "下月底"}, "--deadline 日期格式无效"),
    ({"issue_date": "2026-11-03", "deadline": "2026-11-02"}, "早于印发日期"),
    ({"issuer": "甲\n乙"}, "--issuer 应为一行文字"),
])
def test_bad_options_are_one_clear_line(world: World, tmp_path: Path,
                                        kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(OfficialError, match=message):
        official(ReportSettings(), T1, **kwargs)
    with pytest.raises(ReportUsageError, match=message):
        generate(world.settings, "quarterly", "2026-Q3", fmt="docx", out=tmp_path, **kwargs)
    assert not (tmp_path / "quarterly-2026-Q3").exists()


def test_cli_options_have_chinese_help() -> None:
    p = argparse.ArgumentParser(prog="govwatch")
    sub = p.add_subparsers(dest="verb", required=True)
    add_report_parser(sub)
    args = p.parse_args(["report", "quarterly", "--period", "2026-Q3", "--format", "docx",
                         "--issuer", "甲", "--doc-number", "甲〔2026〕1号",
                         "--issue-date", "2026-11-03", "--deadline", "2026-12-15"])
    assert (args.format, args.issuer, args.doc_number, args.issue_date, args.deadline) == (
        "docx", "甲", "甲〔2026〕1号", "2026-11-03", "2026-12-15")
    report = sub.choices["report"]
    helps = {a.dest: a.help for a in report._actions}
    for dest in ("issuer", "doc_number", "issue_date", "deadline"):
        assert helps[dest] and any("\u4e00" <= ch <= "\u9fff" for ch in helps[dest])


def test_settings_file_sets_the_official_defaults(world: World, tmp_path: Path) -> None:
    settings = replace(world.settings, report=ReportSettings(
        issuer="湖南省人民政府办公厅", doc_number="湘政办网〔2026〕7号", deadline_days=10))
    done = generate(settings, "monthly", "2026-10", fmt="docx", out=tmp_path, generated_at=T1)
    lines = [t for t in docx_text(done.report) if t.strip()]
    assert lines[:2] == ["湖南省人民政府办公厅", "湘政办网〔2026〕7号"]
    assert any("于 2026年11月11日前完成整改" in t for t in lines)


def test_registry_sponsor_reaches_the_sites_table(world: World) -> None:
    from core.registry import RegistryInvalid, parse_registry
    from store import repo

    text = ("sites:\n  - id: c3\n    name: 湘潭市人民政府\n    url: https://www.xiangtan.gov.cn/\n"
            "    level: city\n    sponsor: 湘潭市人民政府办公室\n")
    entries = parse_registry(text)
    assert entries[0].sponsor == "湘潭市人民政府办公室"
    assert entries[0].to_dict()["sponsor"] == "湘潭市人民政府办公室"
    with world.factory() as session, session.begin():
        repo.upsert_sites(session, entries)
    with world.factory() as session:
        site = session.get(m.Site, "c3")
        assert site is not None and site.sponsor == "湘潭市人民政府办公室"
    with pytest.raises(RegistryInvalid, match="sponsor"):
        parse_registry(text.replace("湘潭市人民政府办公室", "[1, 2]"))


def test_migration_fills_sponsor_from_the_stored_registry_entry(tmp_path: Path) -> None:
    from sqlalchemy import create_engine, text

    from store.session import upgrade

    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade(url, "0007")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO sites (id, name, url, level, kind, config, active, created_at, "
            "updated_at) VALUES ('a', '甲', 'https://a.gov.cn/', 'city', 'portal', "
            "'{\"id\": \"a\", \"sponsor\": \"甲市政府办公室\"}', 1, '2026-01-01', '2026-01-01'),"
            " ('b', '乙', 'https://b.gov.cn/', 'city', 'portal', '{\"id\": \"b\"}', 1, "
            "'2026-01-01', '2026-01-01')"))
    upgrade(url)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, sponsor FROM sites")).all())
    engine.dispose()
    assert rows == {"a": "甲市政府办公室", "b": None}
