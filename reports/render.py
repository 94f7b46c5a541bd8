"""HTML reports: Jinja2 (autoescape, StrictUndefined) over reports.model values.

Each document is one self-contained file (styles inline, charts as inline SVG, no script, no
font or image fetched), readable on screen and printable (A4, headers repeated, rows never
split). The generation time is the only thing that changes between two runs on the same data;
it is printed inside `<span class="generated-at">` so that a comparison can mask it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from html import escape
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from reports import charts
from reports import model as v

TEMPLATES = {
    "monthly": "report_monthly.html",
    "quarterly": "report_quarterly.html",
    "annual": "report_annual.html",
}
CHECKS_IN_CHART = 12


def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["num"] = v.fmt_number
    env.filters["rate"] = v.fmt_rate
    env.filters["site_file"] = site_file
    return env


def site_file(site_id: str, ext: str = "html") -> str:
    """The file name of a site's 整改清单 (ids are [a-z0-9-]; anything else is replaced)."""
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_"
                   for ch in site_id)
    return f"{safe or '_'}.{ext}"


@dataclass(frozen=True, slots=True)
class Charts:
    trend: Markup
    levels: Markup
    checks: Markup


def report_charts(report: v.Report) -> Charts:
    if report.kind == "annual":  # twelve months: the whole width, months without the year
        trend = charts.line_chart(
            "各月合格率（%）",
            [(p.label.split("年", 1)[-1], p.pass_rate,
              p.pass_rate_text if p.pass_rate is not None else "")
             for p in report.trend_periods],
            width=1040,
        )
    else:
        trend = charts.line_chart(
            "合格率变化（%）",
            [(p.short_label, p.pass_rate, p.pass_rate_text if p.pass_rate is not None else "")
             for p in report.trend_periods],
        )
    levels = charts.hbar_chart(
        "分级别合格率（%）",
        [(f"{row.label}（{row.inspected}）", row.pass_rate or 0.0, row.pass_rate_text)
         for row in report.levels],
        max_value=100.0,
    )
    top = sorted(report.checks, key=lambda c: (-c.sites, -c.findings, c.code))[:CHECKS_IN_CHART]
    checks = charts.hbar_chart(
        "问题涉及网站数（按检查项）",
        [(row.title, float(row.sites), f"{row.sites} 个网站 / {row.findings} 处")
         for row in top],
        max_value=None, color=charts.BAR_ALT,
    )
    return Charts(trend=trend, levels=levels, checks=checks)


def render_report(report: v.Report, *, env: Environment | None = None,
                  site_links: bool = True) -> str:
    env = env or environment()
    template = env.get_template(TEMPLATES[report.kind])
    return template.render(r=report, charts=report_charts(report), site_links=site_links)


def render_rectification(rect: v.Rectification, *, env: Environment | None = None,
                         rows: RowWriter | None = None) -> str:
    env = env or environment()
    return env.get_template("report_site.html").render(rect=rect, groups=groups(rect, rows))


def render_rectifications_combined(title: str, rects: Iterable[v.Rectification], *,
                                   env: Environment | None = None) -> str:
    """Every site's 整改清单 in one document, each from a new page (for one PDF)."""
    env = env or environment()
    writer = RowWriter()
    items = [(rect, groups(rect, writer)) for rect in rects]
    return env.get_template("report_sites.html").render(title=title, items=items)


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    title: str
    severity: str
    severity_label: str
    rules: str
    fix: str
    count: int
    rows: Markup  # the table rows, rendered (see RowWriter)


def groups(rect: v.Rectification, rows: RowWriter | None = None) -> tuple[Group, ...]:
    """The items of a 整改清单 grouped by check (they arrive sorted by severity, check)."""
    writer = rows or RowWriter()
    out: list[Group] = []
    start = 0
    items = rect.items
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i].code != items[start].code or \
                items[i].severity != items[start].severity:
            chunk = items[start:i]
            first = chunk[0]
            rules = "；".join(dict.fromkeys(item.rule for item in chunk if item.rule))
            out.append(Group(first.code, first.title, first.severity, first.severity_label,
                             rules or "—", first.fix, len(chunk),
                             Markup("".join(writer.row(item) for item in chunk))))
            start = i
    return tuple(out)


def link(url: str) -> str:
    """An escaped link to a web address; anything but http(s) (a `javascript:` URL found on a
    hostile page) stays inert text."""
    text = escape(url)
    if url[:8].lower().startswith(("http://", "https://")):
        return f'<a href="{text}" rel="noreferrer noopener">{text}</a>'
    return text


class RowWriter:
    """Table rows of 整改清单 items, written in Python rather than Jinja: a year's lists are
    hundreds of thousands of rows, and this is several times faster. Every value is escaped
    (html.escape, quotes included) as autoescape would; values that repeat (pages, dates,
    evidence shared by many links) are escaped once. Caches are bounded."""

    LIMIT = 100_000

    def __init__(self) -> None:
        self.text: dict[str, str] = {}
        self.links: dict[str, str] = {}
        self.evidence: dict[tuple[tuple[str, str], ...], str] = {}

    def _esc(self, value: str) -> str:
        out = self.text.get(value)
        if out is None:
            if len(self.text) >= self.LIMIT:
                self.text.clear()
            out = self.text[value] = escape(value)
        return out

    def _link(self, url: str) -> str:
        out = self.links.get(url)
        if out is None:
            if len(self.links) >= self.LIMIT:
                self.links.clear()
            out = self.links[url] = link(url)
        return out

    def _evidence(self, pairs: tuple[tuple[str, str], ...]) -> str:
        out = self.evidence.get(pairs)
        if out is None:
            if len(self.evidence) >= self.LIMIT:
                self.evidence.clear()
            out = "<br>".join(f"<b>{escape(k)}</b>：{escape(val)}" for k, val in pairs) or "—"
            self.evidence[pairs] = out
        return out

    def row(self, item: v.RectItem) -> str:
        page = "同左" if item.page == item.url else self._link(item.page)
        return (
            f'<tr><td class="c">{item.number}</td><td>{self._esc(item.message)}</td>'
            f'<td class="url">{link(item.url)}</td><td class="url">{page}</td>'
            f"<td>{self._evidence(item.evidence)}</td>"
            f'<td class="c">{self._esc(item.first_seen)}</td>'
            f'<td class="c">{self._esc(item.last_seen)}</td>'
            f'<td class="c{" overdue" if item.overdue else ""}">{self._esc(item.deadline)}'
            f'{"<br>超期未整改" if item.overdue else ""}</td>'
            f'<td class="c">{self._esc(item.status)}</td></tr>\n'
        )


def temp_path(path: Path) -> Path:
    """A fresh name beside `path` for writing before the rename (created with the process's
    umask, unlike mkstemp's 0600, so a published report is readable as usual)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:12]}.tmp")


def write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a report."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path(path)
    try:
        with open(tmp, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def remove_stale(directory: Path, keep: set[str], ext: str) -> None:
    """Delete `*.ext` files of an earlier run that this run did not write (a site that left
    the scope must not keep an old 整改清单 beside the new report)."""
    if not directory.is_dir():
        return
    for path in directory.glob(f"*.{ext}"):
        if path.name not in keep:
            path.unlink()


def write_html(report: v.Report, rects: Iterable[v.Rectification], out_dir: Path
               ) -> tuple[Path, Path, int]:
    """report.html plus sites/<id>.html; returns (report path, sites dir, sites written)."""
    env = environment()
    main = out_dir / "report.html"
    write_text(main, render_report(report, env=env))
    sites_dir = out_dir / "sites"
    written: set[str] = set()
    writer = RowWriter()
    for rect in rects:
        name = site_file(rect.site.id)
        write_text(sites_dir / name, render_rectification(rect, env=env, rows=writer))
        written.add(name)
    sites_dir.mkdir(parents=True, exist_ok=True)
    remove_stale(sites_dir, written, "html")
    return main, sites_dir, len(written)
