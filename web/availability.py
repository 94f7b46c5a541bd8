"""A site's availability as the dashboard shows it, from the stored home-page probes:
uptime over the last 7 and 30 days, a response-time chart and the incidents (runs of
consecutive failed probes, with when they started, when the site answered again and why).

`summarize` is a pure function of the probes and a "now", so the same probes always give
the same page; `site_availability` and `uptimes` read the probes (scoped by the caller).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crawler.errors import ERROR_KINDS
from reports.charts import BAR, BAR_ALT, FONT, GRID, TEXT, _n
from store import models as m

P = m.Probe
WINDOWS = (7, 30)  # days of the two uptime figures (the "7 and 30 days")
CHART_DAYS = 7  # the response-time chart covers the last week, probe by probe


@dataclass(frozen=True, slots=True)
class ProbePoint:
    started_at: datetime
    ok: bool
    status: int | None
    error_kind: str | None
    elapsed_ms: int | None


@dataclass(frozen=True, slots=True)
class Incident:
    start: str  # local time of the first failed probe
    end: str  # local time of the next probe that succeeded; "" while still failing
    duration: str  # from the first failure to the recovery (or to now), in words
    probes: int  # failed probes in the run
    cause: str  # the most frequent reason among them, in Chinese


@dataclass(frozen=True, slots=True)
class Uptime:
    days: int
    probes: int
    ok: int

    @property
    def ratio(self) -> float | None:
        return self.ok / self.probes if self.probes else None

    @property
    def text(self) -> str:
        ratio = self.ratio
        return "—" if ratio is None else f"{ratio * 100:.2f}%"


@dataclass(frozen=True, slots=True)
class Availability:
    uptimes: tuple[Uptime, ...]  # one per WINDOWS entry
    incidents: tuple[Incident, ...]  # newest first, at most `max_incidents`
    incidents_total: int  # in the 30-day window
    median_ms: int | None  # of the successful probes of the last 7 days
    chart: Markup  # inline SVG; empty when there is no probe in the chart's window


def cause_text(p: ProbePoint) -> str:
    if p.error_kind:
        return ERROR_KINDS.get(p.error_kind, f"请求失败（{p.error_kind}）")
    if p.status is not None:
        return f"HTTP {p.status}"
    return "首页未能正常打开"


def duration_text(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} 天" if days else "", f"{hours} 小时" if hours else "",
             f"{mins} 分钟" if mins or not (days or hours) else ""]
    return " ".join(p for p in parts if p)


def incidents(probes: Sequence[ProbePoint], now: datetime, tz: ZoneInfo, *,
              min_failures: int = 1) -> list[Incident]:
    """Runs of at least `min_failures` consecutive failed probes (probes in time order),
    newest first. A run ends at the first successful probe after it; one still failing at
    the last probe is ongoing (no end, duration up to `now`)."""
    out: list[Incident] = []
    run: list[ProbePoint] = []

    def close(end: datetime | None) -> None:
        if len(run) >= min_failures:
            causes = Counter(cause_text(p) for p in run)
            # most frequent; ties go to the cause seen first
            order = {c: i for i, c in reversed(list(enumerate(cause_text(p) for p in run)))}
            cause = min(causes, key=lambda c: (-causes[c], order[c]))
            start = run[0].started_at
            out.append(Incident(
                start=start.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                end="" if end is None else end.astimezone(tz).strftime("%Y-%m-%d %H:%M"),
                duration=duration_text((end or now) - start), probes=len(run), cause=cause))

    for p in probes:
        if p.ok:
            if run:
                close(p.started_at)
                run = []
        else:
            run.append(p)
    if run:
        close(None)
    out.reverse()
    return out


def chart(probes: Sequence[ProbePoint], now: datetime, tz: ZoneInfo, *,
          days: int = CHART_DAYS, width: int = 720, height: int = 220) -> Markup:
    """Response time (ms) of each probe over the last `days` days, on a time axis; failed
    probes are red marks along the bottom. Fixed decimals: same probes, same bytes."""
    since = now - timedelta(days=days)
    shown = [p for p in probes if since <= p.started_at <= now]
    if not shown:
        return Markup("")
    left, right, top, bottom = 56.0, 16.0, 34.0, 30.0
    plot_w, plot_h = width - left - right, height - top - bottom
    span = (now - since).total_seconds()
    times = [p.elapsed_ms for p in shown if p.ok and p.elapsed_ms is not None]
    top_ms = max(times, default=0)
    # a round upper bound: 1, 2 or 5 times a power of ten
    scale = 100.0
    while scale < top_ms:
        for factor in (2.0, 2.5, 2.0):
            scale *= factor
            if scale >= top_ms:
                break

    def x_of(at: datetime) -> float:
        return left + plot_w * (at - since).total_seconds() / span

    def y_of(ms: float) -> float:
        return top + plot_h - plot_h * min(1.0, ms / scale)

    title = f"首页响应时间（近 {days} 天，毫秒）"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'font-family="{FONT}" font-size="11">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="{TEXT}">'
        f"{escape(title)}</text>",
    ]
    for tick in range(5):
        ms = scale * tick / 4
        y = y_of(ms)
        parts.append(f'<line x1="{_n(left)}" y1="{_n(y)}" x2="{_n(left + plot_w)}" '
                     f'y2="{_n(y)}" stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{_n(left - 6)}" y="{_n(y + 4)}" text-anchor="end" '
                     f'fill="{TEXT}">{_n(ms)}</text>')
    local_now = now.astimezone(tz)
    midnight = local_now.replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(days):
        day = midnight - timedelta(days=back)
        if day < since:
            break
        x = x_of(day)
        parts.append(f'<line x1="{_n(x)}" y1="{_n(top)}" x2="{_n(x)}" y2="{_n(top + plot_h)}" '
                     f'stroke="{GRID}" stroke-width="1"/>')
        parts.append(f'<text x="{_n(x)}" y="{_n(top + plot_h + 16)}" text-anchor="middle" '
                     f'fill="{TEXT}">{day:%m-%d}</text>')
    segment: list[str] = []
    lines: list[str] = []
    for p in shown:
        if p.ok and p.elapsed_ms is not None:
            segment.append(f"{_n(x_of(p.started_at))},{_n(y_of(p.elapsed_ms))}")
        else:
            if segment:
                lines.append(" ".join(segment))
            segment = []
    if segment:
        lines.append(" ".join(segment))
    for points in lines:
        if " " in points:
            parts.append(f'<polyline points="{points}" fill="none" stroke="{BAR_ALT}" '
                         f'stroke-width="1.5"/>')
        else:
            cx, cy = points.split(",")
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="2" fill="{BAR_ALT}"/>')
    for p in shown:
        if not p.ok:
            parts.append(f'<rect class="failed" x="{_n(x_of(p.started_at) - 1.5)}" '
                         f'y="{_n(top + plot_h - 10)}" width="3" height="10" fill="{BAR}">'
                         f"<title>{escape(cause_text(p))}</title></rect>")
    parts.append("</svg>")
    return Markup("".join(parts))


def summarize(probes: Sequence[ProbePoint], now: datetime, tz: ZoneInfo, *,
              min_failures: int = 1, max_incidents: int = 20) -> Availability:
    """Everything the site page shows, from probes in time order (those after `now` are
    ignored, so a page computed "as of" an instant never sees the future)."""
    probes = [p for p in probes if p.started_at <= now]
    ups = []
    for days in WINDOWS:
        since = now - timedelta(days=days)
        window = [p for p in probes if p.started_at > since]
        ups.append(Uptime(days, len(window), sum(1 for p in window if p.ok)))
    since = now - timedelta(days=max(WINDOWS))
    found = incidents([p for p in probes if p.started_at > since], now, tz,
                      min_failures=min_failures)
    week = sorted(p.elapsed_ms for p in probes
                  if p.ok and p.elapsed_ms is not None
                  and p.started_at > now - timedelta(days=CHART_DAYS))
    median = week[len(week) // 2] if week else None
    return Availability(tuple(ups), tuple(found[:max_incidents]), len(found), median,
                        chart(probes, now, tz))


# -- reading the store ---------------------------------------------------------------------


def site_availability(session: Session, site_id: str, now: datetime, tz: ZoneInfo, *,
                      min_failures: int = 1, max_incidents: int = 20) -> Availability:
    """The site page's availability block (the caller has checked the user may see it)."""
    since = now - timedelta(days=max(WINDOWS))
    rows = session.execute(
        select(P.started_at, P.ok, P.status, P.error_kind, P.elapsed_ms)
        .where(P.site_id == site_id, P.started_at > since, P.started_at <= now)
        .order_by(P.started_at, P.id))
    probes = [ProbePoint(_aware(at), bool(ok), status, kind, ms)
              for at, ok, status, kind, ms in rows]
    return summarize(probes, now, tz, min_failures=min_failures, max_incidents=max_incidents)


def uptimes(session: Session, site_ids: Collection[str], now: datetime
            ) -> dict[str, tuple[Uptime, ...]]:
    """Uptime over each of WINDOWS for many sites in one query (the overview's column)."""
    if not site_ids:
        return {}
    since = {days: now - timedelta(days=days) for days in WINDOWS}
    columns = []
    for days in WINDOWS:
        in_window = P.started_at > since[days]
        columns.append(func.sum(case((in_window, 1), else_=0)))
        columns.append(func.sum(case((in_window & P.ok.is_(True), 1), else_=0)))
    rows = session.execute(
        select(P.site_id, *columns)
        .where(P.site_id.in_(sorted(site_ids)), P.started_at > since[max(WINDOWS)],
               P.started_at <= now)
        .group_by(P.site_id))
    out: dict[str, tuple[Uptime, ...]] = {}
    for site_id, *counts in rows:
        out[site_id] = tuple(
            Uptime(days, int(counts[2 * i] or 0), int(counts[2 * i + 1] or 0))
            for i, days in enumerate(WINDOWS))
    return out


def _aware(at: datetime) -> datetime:
    """SQLite hands back naive datetimes; the store keeps UTC."""
    from datetime import UTC

    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
