"""Build a supervision report for a period: SQL aggregates (reports.queries) -> scores
(reports.scoring) -> plain values (reports.model). Reads stored findings, sites and crawl runs
only; never runs a check.

Scope: the sites inspected in the period (see reports.queries for both definitions), or, with
a spot check, the sample drawn from them (reports.sampling). Trend and previous-period figures
cover, for each period, the sites inspected then — restricted to the sample when there is one,
so that a sampled notice compares the same sites over time.

Trend periods: a monthly report shows the last 6 months, a quarterly one the last 4 quarters,
an annual one the 12 months of its year (its yearly statistics, month by month).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from checks.catalogue import CheckSpec, load_catalogue
from core.settings import (
    DEFAULT_SCORING_CAPS,
    DEFAULT_SCORING_POINTS,
    ScoringSettings,
    Settings,
)
from reports import model as v
from reports import queries as q
from reports.evidence import evidence_pairs as evidence_pairs  # re-exported: web/ uses it
from reports.periods import KIND_LABELS, Period
from reports.sampling import Sample, level_key
from reports.scoring import (
    DEDUCT,
    NOTICE,
    SEVERITY_LABELS,
    SEVERITY_ORDER,
    VETO,
    Score,
    Scorer,
    pass_rate,
    rank,
    unknown_codes,
)
from store import models as m

TREND_LENGTH = {"monthly": 6, "quarterly": 4}
EXAMPLES_PER_PROBLEM = 3
TITLES = {
    "monthly": "{label}政府网站监测普查情况",
    "quarterly": "关于{label}政府网站抽查情况的通报",
    "annual": "{label}政府网站监管年度报告",
}
TITLES_FULL_QUARTER = "关于{label}政府网站检查情况的通报"

class ReportError(ValueError):
    """A report that cannot be built as asked; the message is one line of Chinese."""


@dataclass(frozen=True, slots=True)
class Catalogue:
    titles: Mapping[str, str]
    fixes: Mapping[str, str]

    def title(self, code: str) -> str:
        return self.titles.get(code, code)

    def fix(self, code: str) -> str:
        return self.fixes.get(code, "")


def catalogue_info(specs: Mapping[str, CheckSpec] | None = None) -> Catalogue:
    specs = load_catalogue() if specs is None else specs
    return Catalogue(
        titles={code: spec.rule.title for code, spec in specs.items()},
        fixes={code: spec.rule.fix for code, spec in specs.items()},
    )


def validate_scoring(scoring: ScoringSettings, catalogue: Catalogue) -> None:
    known = set(catalogue.titles) | set(DEFAULT_SCORING_POINTS) | set(DEFAULT_SCORING_CAPS)
    unknown = unknown_codes(scoring, sorted(known))
    if unknown:
        raise ReportError(f"[scoring] 中有未知的检查代码: {', '.join(unknown)}")


def _sites(session: Session) -> dict[str, v.SiteInfo]:
    rows = session.execute(select(m.Site.id, m.Site.name, m.Site.url, m.Site.level,
                                  m.Site.sponsor))
    return {sid: v.SiteInfo(sid, name, url, level, sponsor or "")
            for sid, name, url, level, sponsor in rows}


def inspected_sites(session: Session, period: Period) -> list[tuple[str, str]]:
    """The sampling frame: (site id, level) of every site inspected in the period."""
    data = q.load_period(session, period)
    sites = _sites(session)
    return sorted((sid, sites[sid].level) for sid in data.inspected if sid in sites)


@dataclass(frozen=True, slots=True)
class Scored:
    data: q.PeriodData
    scores: dict[str, Score]  # inspected sites in scope

    def stat(self) -> v.PeriodStat:
        p = self.data.period
        passed = sum(1 for s in self.scores.values() if s.passed)
        inspected = len(self.scores)
        groups = [g for g in self.data.groups if g.site_id in self.scores]
        fixed = sum(n for (site, _), n in self.data.fixed.items() if site in self.scores)
        return v.PeriodStat(
            code=p.code, label=p.label, short_label=p.short_label, inspected=inspected,
            passed=passed, pass_rate=pass_rate(passed, inspected),
            findings=sum(g.count for g in groups), new=sum(g.new for g in groups), fixed=fixed,
            veto_sites=sum(1 for s in self.scores.values() if s.vetoes),
            average_score=_mean([s.score for s in self.scores.values()]),
        )


def _mean(values: Sequence[float]) -> float | None:
    if not values:
        return None
    total = sum((Decimal(repr(x)) for x in values), Decimal(0))
    return float((total / len(values)).quantize(Decimal("0.01")))


def _scored(data: q.PeriodData, scoring: ScoringSettings | Scorer,
            known: Collection[str]) -> Scored:
    scorer = scoring if isinstance(scoring, Scorer) else Scorer(scoring)
    scores = {site_id: scorer.score(data.counts(site_id))
              for site_id in sorted(data.inspected & set(known))}
    return Scored(data, scores)


def score_period(session: Session, period: Period, scoring: ScoringSettings | Scorer,
                 sites: Collection[str] | None, known: Collection[str]) -> Scored:
    return _scored(q.load_period(session, period, sites), scoring, known)


def build_report(
    session: Session,
    settings: Settings,
    period: Period,
    *,
    sample: Sample | None = None,
    generated_at: datetime,
    catalogue: Catalogue | None = None,
) -> v.Report:
    """The report for `period`; `sample` (already drawn and stored) limits its scope."""
    cat = catalogue or catalogue_info()
    validate_scoring(settings.scoring, cat)
    q.prepare(session)
    scoring = Scorer(settings.scoring)
    tz = ZoneInfo(settings.timezone)
    sites = _sites(session)
    scope: Collection[str] | None = sample.site_ids if sample is not None else None
    if period.kind == "annual":
        trend_list = period.months_within()
        series = q.load_series(session, trend_list, scope, span=period)
        assert series.span is not None
        current = _scored(series.span, scoring, sites)
        trend = [_scored(data, scoring, sites) for data in series.periods]
        previous = score_period(session, period.previous(), scoring, scope, sites)
    else:
        trend_list = period.last(TREND_LENGTH[period.kind])
        series = q.load_series(session, trend_list, scope)
        trend = [_scored(data, scoring, sites) for data in series.periods]
        current, previous = trend[-1], trend[-2]
    inspected_all = (
        len(sample.population) if sample is not None else len(current.scores)
    )
    ranks = rank(current.scores)
    cutoff = overdue_cutoff(period, generated_at, q.last_inspection(session, period), tz)
    overdue = {sid: n for sid, n in q.overdue_at(session, period, cutoff, scope).items()
               if sid in current.scores}
    site_rows = [
        replace(_site_row(sites[sid], current, previous, trend, ranks[sid], cat),
                overdue=overdue.get(sid, 0))
        for sid in current.scores
    ]
    site_rows.sort(key=lambda r: (r.rank, r.site.id))
    histograms = q.fix_histograms(session, period, scope)
    # Findings of sites not inspected cannot be fixed "in" the period; the histograms are
    # restricted to the sample in SQL, and with full scope every site with a fix is inspected.
    return v.Report(
        kind=period.kind,
        kind_label=KIND_LABELS[period.kind],
        period=period.code,
        period_label=period.label,
        title=_title(period, sample),
        start_date=period.start.strftime("%Y-%m-%d"),
        end_date=(period.end - timedelta(days=1)).strftime("%Y-%m-%d"),
        generated_at=generated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S %z"),
        timezone=settings.timezone,
        pass_score=settings.scoring.pass_score,
        inspected_all=inspected_all,
        sample=_sample_view(sample, sites) if sample is not None else None,
        stats=current.stat(),
        previous=previous.stat() if previous.scores else None,
        sites=tuple(site_rows),
        levels=_levels(current, sites),
        checks=_checks(current, cat),
        typical=_typical(session, current, sites, cat),
        fix_times=_fix_times(histograms, cat),
        trend_periods=tuple(t.stat() for t in trend),
        persisting=sum(g.count - g.new for g in current.data.groups
                       if g.site_id in current.scores),
        overdue=sum(overdue.values()),
        overdue_as_of=cutoff.isoformat(),
        excluded=_excluded(session, period, scope, sites, cat),
    )


def overdue_cutoff(period: Period, generated_at: datetime, last_inspection: datetime | None,
                   tz: ZoneInfo) -> date:
    """The local date 超期未整改 is judged on: for a period that has ended, the day after
    its last day (a finding whose deadline was the last day is overdue at the end); for a
    period still running, the day of its latest inspection (not the clock, so that two
    reports of the same data say the same)."""
    end = period.end.astimezone(tz)
    if generated_at.astimezone(tz) >= end or last_inspection is None:
        return end.date() if generated_at.astimezone(tz) >= end \
            else generated_at.astimezone(tz).date()
    return min(last_inspection.astimezone(tz), end).date()


def _excluded(session: Session, period: Period, scope: Collection[str] | None,
              sites: Mapping[str, v.SiteInfo], cat: Catalogue) -> tuple[v.ExcludedItem, ...]:
    out = []
    for r in q.excluded_findings(session, period, scope):
        site = sites.get(r.site_id)
        waived = r.review == "waived"
        out.append(v.ExcludedItem(
            site_id=r.site_id, site_name=site.name if site else r.site_id, code=r.code,
            title=cat.title(r.code), severity_label=SEVERITY_LABELS.get(r.severity, r.severity),
            message=r.message, url=r.url, kind="已豁免" if waived else "误报",
            reason=r.reason or "", until=r.waived_until.isoformat()
            if waived and r.waived_until else ""))
    return tuple(out)


def _title(period: Period, sample: Sample | None) -> str:
    if period.kind == "quarterly" and (sample is None or sample.rate >= 1.0):
        return TITLES_FULL_QUARTER.format(label=period.label)
    return TITLES[period.kind].format(label=period.label)


def _site_row(site: v.SiteInfo, current: Scored, previous: Scored, trend: Sequence[Scored],
              site_rank: int, cat: Catalogue) -> v.SiteRow:
    score = current.scores[site.id]
    groups = current.data.by_site.get(site.id, [])
    before = previous.scores.get(site.id)
    return v.SiteRow(
        site=site,
        rank=site_rank,
        score=score.score,
        deducted=score.deducted,
        passed=score.passed,
        vetoes=tuple(v.CheckRef(code, cat.title(code)) for code in score.vetoes),
        deductions=tuple(
            v.DeductionRow(d.code, cat.title(d.code), d.findings, d.points, d.capped)
            for d in score.deductions
        ),
        veto_findings=score.veto_findings,
        deduct_findings=score.deduct_findings,
        notice_findings=score.notice_findings,
        new=sum(g.new for g in groups),
        persisting=sum(g.count - g.new for g in groups),
        fixed=current.data.fixed_by_site.get(site.id, 0),
        open_at_end=sum(g.open_at_end for g in groups),
        previous_score=before.score if before else None,
        previous_passed=before.passed if before else None,
        trend=tuple(t.scores[site.id].score if site.id in t.scores else None for t in trend),
    )


def _levels(current: Scored, sites: Mapping[str, v.SiteInfo]) -> tuple[v.LevelRow, ...]:
    by_level: dict[str, list[str]] = defaultdict(list)
    for sid in current.scores:
        by_level[sites[sid].level].append(sid)
    findings: dict[str, int] = defaultdict(int)
    for g in current.data.groups:
        if g.site_id in current.scores:
            findings[g.site_id] += g.count
    rows = []
    for level in sorted(by_level, key=level_key):
        ids = by_level[level]
        passed = sum(1 for s in ids if current.scores[s].passed)
        rows.append(v.LevelRow(
            level=level, label=v.LEVEL_LABELS.get(level, level), inspected=len(ids),
            passed=passed, pass_rate=pass_rate(passed, len(ids)),
            average_score=_mean([current.scores[s].score for s in ids]),
            findings=sum(findings[s] for s in ids),
        ))
    return tuple(rows)


def _checks(current: Scored, cat: Catalogue) -> tuple[v.CheckRow, ...]:
    acc: dict[str, dict[str, Any]] = {}
    for g in current.data.groups:
        if g.site_id not in current.scores:
            continue
        row = acc.setdefault(g.code, {"sites": set(), VETO: 0, DEDUCT: 0, NOTICE: 0,
                                      "new": 0, "open": 0, "fixed": 0})
        row["sites"].add(g.site_id)
        row[g.severity if g.severity in (VETO, DEDUCT, NOTICE) else DEDUCT] += g.count
        row["new"] += g.new
        row["open"] += g.open_at_end
    for (sid, code), n in current.data.fixed.items():
        if sid in current.scores:
            acc.setdefault(code, {"sites": set(), VETO: 0, DEDUCT: 0, NOTICE: 0,
                                  "new": 0, "open": 0, "fixed": 0})["fixed"] += n
    rows = []
    for code, a in acc.items():
        severity = VETO if a[VETO] else DEDUCT if a[DEDUCT] else NOTICE
        rows.append(v.CheckRow(
            code=code, title=cat.title(code), severity=severity,
            severity_label=SEVERITY_LABELS[severity],
            findings=a[VETO] + a[DEDUCT] + a[NOTICE], sites=len(a["sites"]), veto=a[VETO],
            deduct=a[DEDUCT], notice=a[NOTICE], new=a["new"], fixed=a["fixed"],
            open_at_end=a["open"],
        ))
    rows.sort(key=lambda r: (SEVERITY_ORDER[r.severity], -r.sites, -r.findings, r.code))
    return tuple(rows)


def _typical(session: Session, current: Scored, sites: Mapping[str, v.SiteInfo],
             cat: Catalogue) -> tuple[v.TypicalProblem, ...]:
    """Veto and deduct problems by how many sites they hit, each with examples from the
    worst-scoring sites (one finding per site: its smallest id, so the choice is stable)."""
    per_check: dict[str, dict[str, int]] = defaultdict(dict)  # code -> site -> first id
    counts: dict[str, int] = defaultdict(int)
    vetoes: dict[str, int] = defaultdict(int)
    severity: dict[str, str] = {}
    for g in current.data.groups:
        if g.site_id not in current.scores or g.severity not in (VETO, DEDUCT):
            continue
        first = per_check[g.code].get(g.site_id)
        per_check[g.code][g.site_id] = g.first_id if first is None else min(first, g.first_id)
        counts[g.code] += g.count
        if g.severity == VETO:
            vetoes[g.code] += g.count
        if g.severity == VETO or g.code not in severity:
            severity[g.code] = g.severity

    def worst_first(sid: str) -> tuple[bool, bool, float, str]:
        s = current.scores[sid]
        return (s.passed, not s.vetoes, s.score, sid)

    chosen: dict[str, list[int]] = {}
    for code, by_site in per_check.items():
        ordered = sorted(by_site, key=worst_first)[:EXAMPLES_PER_PROBLEM]
        chosen[code] = [by_site[sid] for sid in ordered]
    rows = q.findings_by_id(session, [i for ids in chosen.values() for i in ids])
    problems = []
    for code, ids in chosen.items():
        examples = tuple(
            v.Example(r.site_id, sites[r.site_id].name, r.url, r.page, r.message)
            for r in (rows[i] for i in ids if i in rows)
        )
        problems.append(v.TypicalProblem(
            code=code, title=cat.title(code), severity_label=SEVERITY_LABELS[severity[code]],
            sites=len(per_check[code]), findings=counts[code], fix=cat.fix(code),
            examples=examples, veto=vetoes[code],
        ))
    problems.sort(key=lambda p: (-p.sites, -p.findings, p.code))
    return tuple(problems)


def _fix_times(histograms: Sequence[q.FixHistogram], cat: Catalogue
               ) -> tuple[v.FixTimeRow, ...]:
    rows = [_fix_row(h.code, cat.title(h.code), [h]) for h in histograms]
    rows.sort(key=lambda r: (-r.fixed, r.code))
    if histograms:
        rows.append(_fix_row("", "合计", histograms))
    return tuple(rows)


def _fix_row(code: str, title: str, histograms: Sequence[q.FixHistogram]) -> v.FixTimeRow:
    merged: dict[int, int] = defaultdict(int)
    total = 0.0
    for h in histograms:
        total += h.total_seconds
        for hours, n in h.buckets:
            merged[hours] += n
    count = sum(merged.values())
    if count == 0:
        return v.FixTimeRow(code, title, 0, None, None, None)
    median_hours = _median_of_buckets(sorted(merged.items()), count)
    return v.FixTimeRow(
        code=code, title=title, fixed=count,
        median_days=round(median_hours / 24, 2),
        mean_days=round(total / count / 86400, 2),
        max_days=round(max(merged) / 24, 2),
    )


def _median_of_buckets(buckets: Sequence[tuple[int, int]], count: int) -> float:
    """The median of a histogram without expanding it (like statistics.median)."""
    def nth(index: int) -> int:
        seen = 0
        for hours, n in buckets:
            seen += n
            if index < seen:
                return hours
        return buckets[-1][0]

    if count % 2:
        return float(nth(count // 2))
    return statistics.fmean([nth(count // 2 - 1), nth(count // 2)])


def _sample_view(sample: Sample, sites: Mapping[str, v.SiteInfo]) -> v.SampleView:
    return v.SampleView(
        rate=sample.rate, seed=sample.seed, method=sample.method, size=len(sample.site_ids),
        population=len(sample.population), digest=sample.digest,
        strata=tuple(v.StratumRow(s.level, v.LEVEL_LABELS.get(s.level, s.level), s.population,
                                  s.drawn) for s in sample.strata),
        sites=tuple(sites[sid] for sid in sample.site_ids if sid in sites),
    )
