"""The first findings report: one self-contained HTML page per site plus an index.

Built only from stored findings (reports never re-run checks): rows -> plain dataclasses ->
Jinja2 (autoescape, StrictUndefined). The full monthly/quarterly/annual supervision reports
build on the same data later.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from sqlalchemy import select

from checks.catalogue import load_catalogue
from core.settings import Settings
from reports.evidence import evidence_pairs
from store import models as m
from store.session import make_engine, session_factory

SEVERITY_LABELS = {"veto": "单项否决", "deduct": "扣分", "notice": "提示"}
SEVERITY_ORDER = {"veto": 0, "deduct": 1, "notice": 2}


@dataclass(frozen=True, slots=True)
class FindingView:
    id: int
    check: str
    title: str
    severity: str
    severity_label: str
    url: str
    page: str
    message: str
    rule: str
    fix: str
    evidence: list[tuple[str, str]]
    first_seen: str
    last_seen: str


@dataclass(slots=True)
class SiteView:
    id: str
    name: str
    url: str
    level: str
    findings: list[FindingView] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        out = {"veto": 0, "deduct": 0, "notice": 0}
        for f in self.findings:
            out[f.severity] = out.get(f.severity, 0) + 1
        return out

    @property
    def file(self) -> str:
        return f"site-{self.id}.html"


def build_views(settings: Settings) -> list[SiteView]:
    catalogue = load_catalogue()
    tz = ZoneInfo(settings.timezone)
    factory = session_factory(make_engine(settings.database_url))
    with factory() as session:
        sites = {s.id: SiteView(s.id, s.name, s.url, s.level)
                 for s in session.scalars(select(m.Site).order_by(m.Site.id))}
        rows = session.scalars(select(m.Finding).where(m.Finding.status == "open"))
        for row in rows:
            spec = catalogue.get(row.check)
            view = FindingView(
                id=row.id,
                check=row.check,
                title=spec.rule.title if spec else row.check,
                severity=row.severity,
                severity_label=SEVERITY_LABELS.get(row.severity, row.severity),
                url=row.url,
                page=row.page,
                message=row.message,
                rule=row.rule,
                fix=spec.rule.fix if spec else "",
                evidence=list(evidence_pairs(row.evidence or {}, row.check)),
                first_seen=row.first_seen.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                last_seen=row.last_seen.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
            )
            if row.site_id in sites:
                sites[row.site_id].findings.append(view)
    for site in sites.values():
        site.findings.sort(key=lambda f: (SEVERITY_ORDER.get(f.severity, 9), f.check, f.page,
                                          f.url))
    return list(sites.values())


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_findings_report(settings: Settings, out_dir: Path, *, as_of: datetime) -> Path:
    """Write index.html and one page per site into out_dir; returns the index path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    views = build_views(settings)
    env = _env()
    stamp = as_of.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")
    for site in views:
        groups: dict[str, list[FindingView]] = defaultdict(list)
        for f in site.findings:
            groups[f.check].append(f)
        html = env.get_template("site.html").render(site=site, groups=groups, as_of=stamp)
        (out_dir / site.file).write_text(html, encoding="utf-8")
    index = out_dir / "index.html"
    index.write_text(env.get_template("index.html").render(sites=views, as_of=stamp),
                     encoding="utf-8")
    return index
