"""`govwatch report monthly|quarterly|annual --period P [--format html|xlsx|pdf|docx]
[--out DIR] [--sample-rate R --seed S] [--issuer ORG --doc-number NO --issue-date DATE
--deadline DATE]` (the contract, ../shared/spec/interfaces.md section 1).

Writes DIR/<kind>-<period>/: `report.<fmt>` (the 普查表 / 通报 / 年度报告) and the sites'
整改清单 (`sites/<site id>.html|xlsx|docx`; for PDF one `sites.pdf` with a page per site).
Every format carries the official heading (reports.official: 发文机关, 文号, 印发日期,
整改期限; options, else the `[report]` settings). Prints
one summary line; bad input is one line on stderr and exit 1. This module imports nothing
heavy until the verb runs, so `govwatch --help` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from core.settings import Settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from reports.model import Rectification, Report
    from reports.periods import Period

FORMATS = ("html", "xlsx", "pdf", "docx")


class ReportUsageError(Exception):
    """Input or state the user can fix; printed as one line, exit 1."""


def add_report_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the `report` verb on govwatch's sub-command parser."""
    p = sub.add_parser(
        "report", help="监管报告：月度普查、季度通报、年度报告及各网站整改清单",
        description="根据已保存的检查结果生成监管报告（不重新检查）。",
    )
    p.add_argument("kind", choices=("monthly", "quarterly", "annual"),
                   help="monthly 月度普查 | quarterly 季度通报 | annual 年度报告")
    p.add_argument("--period", required=True, metavar="P",
                   help="期间: 2026-10（月）、2026-Q3（季度）、2026（年）")
    p.add_argument("--format", choices=FORMATS, default="html", help="输出格式（默认 html）")
    p.add_argument("--out", default=".", metavar="DIR", help="输出目录（默认当前目录）")
    p.add_argument("--sample-rate", metavar="R",
                   help="抽查比例，0 到 1（如 0.3，或 30%%）；1 即全覆盖；须同时给出 --seed")
    p.add_argument("--seed", metavar="S", help="抽查随机种子（同一期间和种子得到同一样本）")
    p.add_argument("--issuer", metavar="ORG",
                   help="发文机关，如“湖南省人民政府办公厅”（默认取设置 report.issuer）")
    p.add_argument("--doc-number", metavar="NO",
                   help="文号，如“湘政办网〔2026〕12号”（默认取设置 report.doc_number）")
    p.add_argument("--issue-date", metavar="DATE",
                   help="印发日期，年-月-日，如 2026-11-03（默认为今天）")
    p.add_argument("--deadline", metavar="DATE",
                   help="整改期限，年-月-日（默认为印发日期后 report.deadline_days 天）")
    p.set_defaults(func=cmd_report)


@dataclass(frozen=True, slots=True)
class Generated:
    title: str
    report: Path
    sites_dir: Path | None  # None for PDF (one sites.pdf)
    sites_file: Path | None
    site_lists: int
    inspected: int
    pass_rate: str
    sample: str  # "" for full coverage


def generate(
    settings: Settings,
    kind: str,
    period_text: str,
    *,
    fmt: str = "html",
    out: Path = Path("."),
    sample_rate: str | None = None,
    seed: str | None = None,
    generated_at: datetime | None = None,
    issuer: str | None = None,
    doc_number: str | None = None,
    issue_date: str | None = None,
    deadline: str | None = None,
) -> Generated:
    """Build and write one report; raises ReportUsageError (one line) on anything fixable."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    from checks.catalogue import CatalogueError
    from reports.build import (
        ReportError,
        build_report,
        catalogue_info,
        inspected_sites,
        validate_scoring,
    )
    from reports.official import OfficialError, official
    from reports.periods import PeriodError, parse_period
    from reports.sampling import SampleError, check_seed, draw, parse_rate, store_sample
    from store.session import make_engine, session_factory

    if fmt not in FORMATS:
        raise ReportUsageError(f"未知的输出格式 {fmt!r}（可用: {'、'.join(FORMATS)}）")
    try:
        period = parse_period(kind, period_text, settings.timezone)
        rate = parse_rate(sample_rate) if sample_rate is not None else None
        seed_text = check_seed(seed) if seed is not None else None
    except (PeriodError, SampleError) as exc:
        raise ReportUsageError(str(exc)) from None
    if (rate is None) != (seed_text is None):
        raise ReportUsageError("抽查须同时指定 --sample-rate 和 --seed（便于复核和重新抽取）")
    if fmt == "pdf":
        from reports.pdf import PdfError, find_chromium

        try:
            find_chromium()  # before any work: a missing browser is the user's to fix
        except PdfError as exc:
            raise ReportUsageError(str(exc)) from None
    try:
        catalogue = catalogue_info()
        validate_scoring(settings.scoring, catalogue)  # before a sample is stored
    except (CatalogueError, ReportError) as exc:
        raise ReportUsageError(str(exc)) from None
    now = generated_at or datetime.now(ZoneInfo(settings.timezone))
    try:
        heading = official(settings.report, now, issuer=issuer, doc_number=doc_number,
                           issue_date=issue_date, deadline=deadline)
    except OfficialError as exc:
        raise ReportUsageError(str(exc)) from None
    engine = make_engine(settings.database_url)
    try:
        _require_schema(engine)
        factory = session_factory(engine)
        sample = None
        if rate is not None and seed_text is not None:
            with factory.begin() as session:
                frame = inspected_sites(session, period)
                if not frame:
                    raise ReportUsageError(f"{period.label}没有检查过的网站，无法抽查")
                sample = draw(kind, period.code, rate, seed_text, frame)
                store_sample(session, sample, now)
        with factory() as session:
            try:
                report = build_report(session, settings, period, sample=sample,
                                      generated_at=now, catalogue=catalogue)
            except ReportError as exc:
                raise ReportUsageError(str(exc)) from None
            report = replace(report, official=heading)
            if report.stats.inspected == 0:
                raise ReportUsageError(
                    f"{period.label}没有检查记录（既无完成的抓取，也无检查结果），未生成报告")
            out_dir = out / f"{kind}-{period.code}"
            try:
                return _write(session, settings, period, report, out_dir, fmt, now)
            except OSError as exc:
                raise ReportUsageError(
                    f"无法写入报告 {exc.filename or out_dir}: {exc.strerror}") from None
    except (OperationalError, ProgrammingError) as exc:
        raise ReportUsageError(f"读取数据库失败: {' '.join(str(exc.orig).split())}") from None
    finally:
        engine.dispose()


def _require_schema(engine: Engine) -> None:
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import OperationalError

    from store.session import alembic_config, current_revision

    try:
        revision = current_revision(engine)
    except OperationalError as exc:
        raise ReportUsageError(f"无法连接数据库: {' '.join(str(exc.orig).split())}") from None
    if revision is None:
        raise ReportUsageError("数据库尚未初始化，请先运行 govwatch init")
    heads = ScriptDirectory.from_config(alembic_config(str(engine.url))).get_heads()
    if revision not in heads:
        raise ReportUsageError(f"数据库版本 {revision} 不是最新，请先运行 govwatch init 升级")


def _write(session: Session, settings: Settings, period: Period, report: Report,
           out_dir: Path, fmt: str, now: datetime) -> Generated:
    from reports.rectify import rectifications

    rects = rectifications(session, settings, period, report)
    sites_dir: Path | None = None
    sites_file: Path | None = None
    if fmt == "html":
        from reports.render import write_html

        main, sites_dir, count = write_html(report, rects, out_dir)
    elif fmt == "xlsx":
        from reports.xlsx import write_xlsx

        main, sites_dir, count = write_xlsx(report, rects, out_dir, created=now)
    elif fmt == "docx":
        from reports.docx import write_docx

        main, sites_dir, count = write_docx(report, rects, out_dir, created=now)
    else:
        main, sites_file, count = _write_pdf(report, rects, out_dir)
    sample = ""
    if report.sample is not None:
        sample = (f"抽查 {report.sample.size}/{report.sample.population} 个"
                  f"（比例 {report.sample.rate_text}，种子 {report.sample.seed}）")
    return Generated(report.title, main, sites_dir, sites_file, count, report.stats.inspected,
                     report.stats.pass_rate_text, sample)


def _write_pdf(report: Report, rects: Iterable[Rectification], out_dir: Path
               ) -> tuple[Path, Path, int]:
    import tempfile

    from reports.pdf import PdfError, html_to_pdf
    from reports.render import environment, render_rectifications_combined, render_report

    env = environment()
    items = list(rects)
    main = out_dir / "report.pdf"
    sites = out_dir / "sites.pdf"
    with tempfile.TemporaryDirectory(prefix="govwatch-report-") as tmp:
        html_main = Path(tmp) / "report.html"
        html_main.write_text(render_report(report, env=env, site_links=False), encoding="utf-8")
        html_sites = Path(tmp) / "sites.html"
        html_sites.write_text(render_rectifications_combined(report.title, items, env=env),
                              encoding="utf-8")
        try:
            html_to_pdf(html_main, main)
            html_to_pdf(html_sites, sites)
        except PdfError as exc:
            raise ReportUsageError(str(exc)) from None
    return main, sites, len(items)


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    """The `report` verb: one summary line on stdout, or one error line on stderr (exit 1)."""
    try:
        done = generate(settings, args.kind, args.period, fmt=args.format, out=Path(args.out),
                        sample_rate=args.sample_rate, seed=args.seed, issuer=args.issuer,
                        doc_number=args.doc_number, issue_date=args.issue_date,
                        deadline=args.deadline)
    except ReportUsageError as exc:
        print(f"错误: {exc}", file=sys.stderr)
        return 1
    lists = done.sites_dir if done.sites_dir is not None else done.sites_file
    sample = f"；{done.sample}" if done.sample else ""
    print(f"已生成《{done.title}》: {done.report}；整改清单 {done.site_lists} 份: {lists}；"
          f"检查网站 {done.inspected} 个，合格率 {done.pass_rate}{sample}")
    return 0
