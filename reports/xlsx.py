"""XLSX reports (openpyxl): one sheet per table, header row frozen and filtered, column widths
fitted to Chinese text (a CJK character is about two Latin ones wide).

Written by reports.sheetwriter, a streaming writer (rows are formatted and compressed as they
come; a year's 整改清单 can be long): see there for why not openpyxl or xlsxwriter. Text
from crawled pages is hostile input: control characters XML cannot carry are removed, and
every string is an inline string, so a value that starts with "=" is text, never a
formula.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from reports import model as v
from reports import sheetwriter
from reports.render import remove_stale, site_file, temp_path

MAX_WIDTH = 60.0
MIN_WIDTH = 6.0
MAX_CELL = 32767  # Excel's limit on the characters of one cell

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Table:
    title: str  # the sheet name (<= 31 characters, none of []:*?/\)
    header: tuple[str, ...]
    rows: Sequence[Sequence[Cell]]
    # Wrap long text in its (capped) column. Costs a styled cell each, so the long 整改清单
    # sheets leave it off (their widest columns are URLs, which read fine clipped).
    wrap: bool = True


def display_width(text: str) -> float:
    """Columns a string takes in a spreadsheet: wide (CJK, full-width) characters count 2."""
    if text.isascii():
        return float(len(text))
    return float(sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text))


def clean(value: Cell) -> Cell:
    """A value XML can carry: control characters removed, at most Excel's cell length."""
    if isinstance(value, str):
        text: str = ILLEGAL_CHARACTERS_RE.sub("", value)
        return text if len(text) <= MAX_CELL else text[: MAX_CELL - 1] + "…"
    return value


class _Widths:
    """Fitted column widths; the width of each distinct text is measured once (a 整改清单
    repeats its titles, rules and fixes on every row)."""

    def __init__(self, header: Sequence[str]) -> None:
        self.cache: dict[str, float] = {}
        self.out = [display_width(h) + 4 for h in header]  # room for the filter button

    def add(self, row: Sequence[Cell]) -> None:
        for i, value in enumerate(row):
            if value is None:
                continue
            text = value if isinstance(value, str) else str(value)
            width = self.cache.get(text)
            if width is None:
                width = max((display_width(line) for line in text.split("\n")), default=0.0)
                self.cache[text] = width
            if width + 2 > self.out[i]:
                self.out[i] = width + 2

    def result(self) -> list[float]:
        return [max(MIN_WIDTH, min(MAX_WIDTH, w)) for w in self.out]


def widths(table: Table) -> list[float]:
    fitted = _Widths(table.header)
    for row in table.rows:
        fitted.add(row)
    return fitted.result()


def _clean_row(row: Sequence[Cell]) -> list[Cell]:
    return [clean(value) if value.__class__ is str else value for value in row]


def add_table(wb: sheetwriter.Workbook, table: Table) -> None:
    fitted = widths(table)
    styles = [(sheetwriter.WRAP if w >= MAX_WIDTH else sheetwriter.TOP) if table.wrap
              else sheetwriter.PLAIN for w in fitted]
    wb.add_sheet(table.title, table.header, (_clean_row(row) for row in table.rows),
                 n_rows=len(table.rows), widths=[round(w, 1) for w in fitted], styles=styles)


def save(tables: Iterable[Table], path: Path, *, created: datetime | None = None) -> None:
    wb = sheetwriter.Workbook()
    for table in tables:
        add_table(wb, table)
    if created is not None:
        wb.created = created.replace(tzinfo=None)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        wb.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def report_tables(r: v.Report) -> list[Table]:
    """The report's tables, in the order of the document."""
    summary: list[tuple[str, Cell]] = [
        ("报告", r.title),
        *((("发文机关", r.official.issuer or None), ("文号", r.official.doc_number or None),
           ("主送", r.official.recipients), ("印发日期", r.official.issue_date_text),
           ("整改期限", r.official.deadline_text)) if r.official is not None else ()),
        ("检查期间", f"{r.start_date} 至 {r.end_date}"),
        ("检查方式", r.coverage_text),
        ("检查网站数", r.stats.inspected),
        ("合格网站数", r.stats.passed),
        ("不合格网站数", r.stats.failed),
        ("单项否决网站数", r.stats.veto_sites),
        ("合格率（%）", _round(r.stats.pass_rate)),
        ("较上期", r.rate_change_text or "—"),
        ("平均得分", _round(r.stats.average_score)),
        ("发现问题数", r.stats.findings),
        ("新发现问题数", r.stats.new),
        ("此前发现仍存在", r.persisting),
        ("期内整改问题数", r.stats.fixed),
        ("超期未整改问题数", r.overdue),
        ("超期判定日期", r.overdue_as_of or None),
        ("已豁免/误报（不计分）", len(r.excluded)),
        ("合格线（分）", r.pass_score),
        ("生成时间", r.generated_at),
    ]
    if r.sample is not None:
        summary += [
            ("抽查比例", r.sample.rate),
            ("随机种子", r.sample.seed),
            ("样本数", r.sample.size),
            ("总体数", r.sample.population),
            ("抽样方法", r.sample.method),
            ("抽样记录指纹", r.sample.digest),
        ]
    trend_head = "月份" if r.kind in ("monthly", "annual") else "季度"
    tables = [
        Table("总体情况", ("项目", "内容"), summary),
        Table("网站得分", (
            "排名", "网站名称", "网站标识", "级别", "网址", "得分", "扣分", "结论", "单项否决",
            "扣分问题", "提示", "问题合计", "新发现", "此前发现", "期内整改", "期末未整改",
            "超期未整改", "上期得分", "较上期", "不合格原因", "主要扣分问题", "主办单位",
        ), [
            (s.rank, s.site.name, s.site.id, s.site.level_label, s.site.url, s.score,
             s.deducted, s.result, s.veto_findings, s.deduct_findings, s.notice_findings,
             s.findings, s.new, s.persisting, s.fixed, s.open_at_end, s.overdue,
             s.previous_score, s.change_text, s.reasons, s.main_problems,
             s.site.sponsor or None)
            for s in r.sites
        ]),
        Table("不合格名单", ("序号", "网站名称", "网站标识", "级别", "网址", "得分", "不合格原因",
                          "主要扣分问题", "主办单位"), [
            (i, s.site.name, s.site.id, s.site.level_label, s.site.url, s.score, s.reasons,
             s.main_problems, s.site.sponsor or None)
            for i, s in enumerate(r.failing, start=1)
        ]),
        Table("分级别", ("级别", "检查网站", "合格", "不合格", "合格率（%）", "平均得分",
                       "问题数"), [
            (x.label, x.inspected, x.passed, x.failed, _round(x.pass_rate),
             _round(x.average_score), x.findings)
            for x in r.levels
        ]),
        Table("按检查项", ("检查项", "代码", "性质", "问题数", "涉及网站", "单项否决", "扣分",
                        "提示", "新发现", "期内整改", "期末未整改"), [
            (c.title, c.code, c.severity_text, c.findings, c.sites, c.veto, c.deduct, c.notice,
             c.new, c.fixed, c.open_at_end)
            for c in r.checks
        ]),
        Table("典型问题", ("检查项", "代码", "性质", "涉及网站", "问题数", "示例网站", "问题描述",
                        "问题对象", "所在页面", "整改方法"), [
            (p.title, p.code, p.severity_text, p.sites, p.findings, e.site_name, e.message,
             e.url, e.page, p.fix)
            for p in r.typical for e in p.examples
        ]),
        Table("整改时效", ("检查项", "代码", "期内整改", "中位时长（天）", "平均时长（天）",
                        "最长（天）"), [
            (f.title, f.code or "合计", f.fixed, f.median_days, f.mean_days, f.max_days)
            for f in r.fix_times
        ]),
        Table("趋势", (trend_head, "检查网站", "合格", "不合格", "合格率（%）", "平均得分",
                     "问题数", "新发现", "整改"), [
            (p.label, p.inspected, p.passed, p.failed, _round(p.pass_rate),
             _round(p.average_score), p.findings, p.new, p.fixed)
            for p in r.trend_periods
        ]),
        Table("网站趋势", ("网站名称", "网站标识", "级别",
                        *(p.short_label for p in r.trend_periods)), [
            (s.site.name, s.site.id, s.site.level_label, *s.trend) for s in r.sites
        ]),
    ]
    if r.excluded:
        tables.append(Table("已豁免或误报", ("序号", "网站名称", "网站标识", "检查项", "代码",
                                        "性质", "问题描述", "问题对象", "处理", "豁免至",
                                        "理由"), [
            (i, e.site_name, e.site_id, e.title, e.code, e.severity_label, e.message, e.url,
             e.kind, e.until or None, e.reason or None)
            for i, e in enumerate(r.excluded, start=1)
        ]))
    if r.sample is not None:
        tables.append(Table("抽查分层", ("级别", "网站总数", "抽取"), [
            (s.label, s.population, s.drawn) for s in r.sample.strata
        ]))
        tables.append(Table("抽查样本", ("序号", "网站名称", "网站标识", "级别", "网址"), [
            (i, s.name, s.id, s.level_label, s.url)
            for i, s in enumerate(r.sample.sites, start=1)
        ]))
    return tables


RECT_HEADER = ("序号", "检查项", "代码", "性质", "问题描述", "问题对象", "所在页面", "证据",
               "依据", "整改方法", "首次发现", "最近发现", "整改期限", "超期未整改", "状态")


def rectification_tables(rect: v.Rectification) -> list[Table]:
    c = rect.counts
    about: list[tuple[str, Cell]] = [
        ("网站名称", rect.site.name), ("网站标识", rect.site.id), ("网址", rect.site.url),
        ("主办单位", rect.site.sponsor or None),
        ("级别", rect.site.level_label), ("报告", rect.report_title),
        ("期间", rect.period_label), ("需整改问题", len(rect.items)), ("单项否决", c["veto"]),
        ("扣分", c["deduct"]), ("提示", c["notice"]), ("期后已整改", rect.fixed_since),
        ("超期未整改", rect.overdue),
        ("生成时间", rect.generated_at),
    ]
    items = [
        (f.number, f.title, f.code, f.severity_label, f.message, f.url, f.page,
         f.evidence_text, f.rule, f.fix, f.first_seen, f.last_seen, f.deadline or None,
         "是" if f.overdue else None, f.status)
        for f in rect.items
    ]
    return [Table("说明", ("项目", "内容"), about),
            Table("整改清单", RECT_HEADER, items, wrap=False)]


def write_xlsx(report: v.Report, rects: Iterable[v.Rectification], out_dir: Path,
               *, created: datetime | None = None) -> tuple[Path, Path, int]:
    """report.xlsx plus sites/<id>.xlsx; returns (report path, sites dir, sites written)."""
    main = out_dir / "report.xlsx"
    save(report_tables(report), main, created=created)
    sites_dir = out_dir / "sites"
    sites_dir.mkdir(parents=True, exist_ok=True)
    written: set[str] = set()
    for rect in rects:
        name = site_file(rect.site.id, "xlsx")
        save(rectification_tables(rect), sites_dir / name, created=created)
        written.add(name)
    remove_stale(sites_dir, written, "xlsx")
    return main, sites_dir, len(written)
