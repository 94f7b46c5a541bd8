"""Every site's 整改清单 (rectification list) for a period: each finding still open at the
period's end with its URL, page, evidence, rule and how to fix it (Rule.fix from the check
catalogue), for the site's webmaster.

Streamed from SQL site by site (reports.queries.open_at_end), so a year of a thousand sites —
hundreds of thousands of findings — never sits in memory at once; times and evidence, which
repeat across rows, are formatted once per distinct value.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from core.settings import Settings
from reports import model as v
from reports import queries as q
from reports.build import Catalogue, catalogue_info
from reports.evidence import evidence_pairs
from reports.periods import Period
from reports.scoring import SEVERITY_LABELS, SEVERITY_ORDER
from store import review as rv


def rectifications(
    session: Session,
    settings: Settings,
    period: Period,
    report: v.Report,
    *,
    catalogue: Catalogue | None = None,
) -> Iterator[v.Rectification]:
    """Every in-scope site's 整改清单 for the period, in site order, streamed from SQL (one
    site's rows in memory at a time)."""
    cat = catalogue or catalogue_info()
    times = _TimeText(ZoneInfo(settings.timezone))
    cutoff = date.fromisoformat(report.overdue_as_of) if report.overdue_as_of else None
    evidence = _EvidenceText()
    wanted = {row.site.id: row.site for row in report.sites}
    scope = [s.id for s in report.sample.sites] if report.sample is not None else None
    pending: dict[str, list[q.OpenRow]] = defaultdict(list)
    order = sorted(wanted)
    position = 0

    def emit(sid: str) -> v.Rectification:
        return _rectification(wanted[sid], pending.pop(sid, []), report, cat, times, evidence,
                              cutoff, period.end)

    for row in q.open_at_end(session, period, scope):
        if row.site_id not in wanted:
            continue
        while order[position] < row.site_id:  # sites before this one are complete
            yield emit(order[position])
            position += 1
        pending[row.site_id].append(row)
    while position < len(order):
        yield emit(order[position])
        position += 1


class _TimeText:
    """Local-time text of stored instants, computed once per distinct stored value (a year
    of findings has only as many distinct times as check passes)."""

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.minutes: dict[Any, str] = {}
        self.days: dict[Any, str] = {}

    def _local(self, raw: Any) -> datetime:
        at = q.to_datetime(raw)
        assert at is not None
        return at.astimezone(self.tz)

    def minute(self, raw: Any) -> str:
        text = self.minutes.get(raw)
        if text is None:
            text = self.minutes[raw] = self._local(raw).strftime("%Y-%m-%d %H:%M")
        return text

    def day(self, raw: Any) -> str:
        text = self.days.get(raw)
        if text is None:
            text = self.days[raw] = self._local(raw).strftime("%Y-%m-%d")
        return text


class _EvidenceText:
    """evidence_pairs of stored evidence JSON, memoised: dead links to one target share
    their evidence, and a year's 整改清单 repeat it many thousand times. Bounded."""

    LIMIT = 50_000

    def __init__(self) -> None:
        self.cache: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}

    def __call__(self, raw: str | None, check: str) -> tuple[tuple[str, str], ...]:
        if not raw:
            return ()
        pairs = self.cache.get((check, raw))
        if pairs is None:
            loaded = json.loads(raw)
            pairs = evidence_pairs(loaded, check) if isinstance(loaded, dict) else ()
            if len(self.cache) >= self.LIMIT:
                self.cache.clear()
            self.cache[(check, raw)] = pairs
        return pairs


def _rectification(site: v.SiteInfo, rows: list[q.OpenRow], report: v.Report,
                   cat: Catalogue, times: _TimeText, evidence: _EvidenceText,
                   cutoff: date | None, end: datetime) -> v.Rectification:
    rows.sort(key=lambda r: (SEVERITY_ORDER.get(r.severity, 9), r.code, r.page, r.url, r.id))
    items = []
    last = q.last_day(end)
    for number, r in enumerate(rows, start=1):
        status = "未整改" if r.fixed_at is None else f"已于 {times.day(r.fixed_at)} 整改"
        left_out = r.review == rv.DISMISSED or (
            r.review == rv.WAIVED and r.waived_until is not None and r.waived_until >= last
            and (q.to_datetime(r.review_at) or end) < end)  # as q.excluded
        if r.review == rv.DISMISSED:
            status = "误报（已核销）"
        elif left_out and r.waived_until is not None:
            status = f"已豁免至 {r.waived_until:%Y-%m-%d}"
        overdue = (not left_out and cutoff is not None and r.deadline is not None
                   and r.deadline < cutoff)
        items.append(v.RectItem(
            number, r.code, cat.title(r.code), r.severity,
            SEVERITY_LABELS.get(r.severity, r.severity), r.message, r.url, r.page,
            evidence(r.evidence, r.code), r.rule, cat.fix(r.code) or "—",
            times.minute(r.first_seen), times.minute(r.last_seen), status,
            r.fixed_at is not None, r.deadline.isoformat() if r.deadline else "", overdue,
        ))
    return v.Rectification(site=site, report_title=report.title,
                           period_label=report.period_label, generated_at=report.generated_at,
                           items=tuple(items))
