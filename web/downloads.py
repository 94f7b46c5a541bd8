"""Files the dashboard hands out: a site's current 整改清单 (XLSX) and the supervision
reports, both built by the reports package (reports never re-run checks).

Each file is written into a fresh temporary directory that the response deletes once sent.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import Settings
from reports import model as v
from reports.build import Catalogue, evidence_pairs
from reports.scoring import SEVERITY_LABELS, SEVERITY_ORDER
from reports.xlsx import rectification_tables, save
from store import models as m
from store import review as rv

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDF = "application/pdf"
REPORT_KINDS = {"monthly": "月度普查", "quarterly": "季度通报", "annual": "年度报告"}
REPORT_FORMATS = {
    "xlsx": "XLSX 报告",
    "xlsx-all": "XLSX 报告及各网站整改清单（ZIP）",
    "html": "HTML 报告及各网站整改清单（ZIP）",
    "docx": "Word 公文（DOCX）",
    "pdf": "PDF 报告",
}
# The single-file downloads: what `generate` writes as report.<ext>, and its media type.
SINGLE = {"xlsx": ("xlsx", XLSX), "docx": ("docx", DOCX), "pdf": ("pdf", PDF)}


@dataclass(frozen=True, slots=True)
class Download:
    path: Path
    filename: str
    media_type: str
    workdir: Path  # delete after sending

    def cleanup(self) -> None:
        shutil.rmtree(self.workdir, ignore_errors=True)


def current_rectification(session: Session, site_id: str, cat: Catalogue, tz: ZoneInfo,
                          now: datetime) -> v.Rectification | None:
    """The site's 整改清单 as of now: every open finding, worst first (as the reports
    order them), with evidence labelled as in the period reports."""
    site = session.get(m.Site, site_id)
    if site is None:
        return None
    rows = list(session.scalars(
        select(m.Finding).where(m.Finding.site_id == site_id, m.Finding.status == "open",
                                m.Finding.review != rv.DISMISSED)))
    today = now.astimezone(tz).date()
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.check, r.page, r.url, r.id))
    items = []
    for number, r in enumerate(rows, start=1):
        items.append(v.RectItem(
            number=number, code=r.check, title=cat.title(r.check), severity=r.severity,
            severity_label=SEVERITY_LABELS.get(r.severity, r.severity), message=r.message,
            url=r.url, page=r.page, evidence=evidence_pairs(r.evidence or {}, r.check), rule=r.rule,
            fix=cat.fix(r.check) or "—",
            first_seen=r.first_seen.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            last_seen=r.last_seen.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            status=f"已豁免至 {r.waived_until:%Y-%m-%d}"
            if rv.waiver_active(r.review, r.waived_until, today) else
            rv.STATE_LABELS[rv.APPEALED] if r.review == rv.APPEALED else "未整改",
            fixed_since=False, deadline=r.deadline.isoformat() if r.deadline else "",
            overdue=rv.is_overdue(r.status, r.review, r.waived_until, r.deadline, today),
        ))
    stamp = now.astimezone(tz)
    return v.Rectification(
        site=v.SiteInfo(site.id, site.name, site.url, site.level),
        report_title=f"{site.name}整改清单", period_label=f"截至 {stamp:%Y-%m-%d %H:%M}",
        generated_at=stamp.strftime("%Y-%m-%d %H:%M:%S %z"), items=tuple(items),
    )


def rectification_xlsx(rect: v.Rectification, now: datetime) -> Download:
    workdir = Path(tempfile.mkdtemp(prefix="govwatch-web-"))
    try:
        path = workdir / "rectification.xlsx"
        save(rectification_tables(rect), path, created=now)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    day = now.strftime("%Y%m%d")
    return Download(path, f"整改清单-{rect.site.id}-{day}.xlsx", XLSX, workdir)


class ReportFailed(Exception):
    """The report cannot be generated as asked; the message is one line of Chinese."""


def report_download(settings: Settings, kind: str, period: str, fmt: str) -> Download:
    """Generate a supervision report with the reports package (full coverage, no sample)."""
    from reports.cli import ReportUsageError, generate

    if kind not in REPORT_KINDS:
        raise ReportFailed("未知的报告类型")
    if fmt not in REPORT_FORMATS:
        raise ReportFailed("未知的下载格式")
    workdir = Path(tempfile.mkdtemp(prefix="govwatch-web-"))
    try:
        try:
            done = generate(settings, kind, period, out=workdir,
                            fmt="xlsx" if fmt == "xlsx-all" else fmt)
        except ReportUsageError as exc:
            raise ReportFailed(str(exc)) from None
        name = done.report.parent.name  # <kind>-<period>
        if fmt in SINGLE:
            ext, media = SINGLE[fmt]
            return Download(done.report, f"{done.title}.{ext}", media, workdir)
        archive = workdir / "report.zip"
        root = done.report.parent
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    zf.write(path, f"{name}/{path.relative_to(root).as_posix()}")
        return Download(archive, f"{done.title}.zip", "application/zip", workdir)
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
