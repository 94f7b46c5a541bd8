"""The SQL behind the reports: every aggregate is a GROUP BY in the database, so a year of a
thousand sites (a million findings) never travels to Python row by row.

Which findings belong to a period P = [start, end) — "observed in P":

    first_seen < end  AND  last_seen >= start

i.e. the finding's observed life [first_seen, last_seen] overlaps P: some check pass inside P
saw it, or it was seen both before and after P. This is what the period's inspections found,
so a veto seen once in July fails the third quarter even if it was gone by September
(checks.md: "one such finding fails the site for the period"), and a finding last seen in
September and found fixed by the first October crawl is not an October finding (it counts
as fixed in October). Caveat of the lifecycle table: a finding that was fixed and reopened
keeps its first first_seen, so the gap in between counts as observed.

Against the previous period: `new` = observed in P with first_seen in P; `persisting` =
observed in P and first seen before P; `fixed` = fixed_at in P (the first check pass of P that
no longer saw it). `open at end` = observed in P and not fixed before P ended (status open, or
fixed_at >= end): the findings a 整改清单 for P lists.

Which sites were inspected in P: every site named by a finished crawl run whose as_of lies in
P, plus every site with a finding event (first_seen, last_seen or fixed_at) in P (a `govwatch
check` pass without a new crawl). Findings of sites not inspected in P are not counted.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.orm import Session

from reports.periods import Period
from reports.scoring import STALE, CheckCount, column_class
from store import models as m
from store import review as rv

F = m.Finding


@dataclass(frozen=True, slots=True)
class GroupRow:
    """Findings of one site, check, severity and column class observed in a period."""

    site_id: str
    code: str
    severity: str
    column_class: str | None
    count: int
    new: int  # first seen in the period
    open_at_end: int  # not fixed before the period ended
    first_id: int  # the smallest finding id of the group (an example)


@dataclass(slots=True)
class PeriodData:
    """The aggregates of one period, before scoring."""

    period: Period
    groups: list[GroupRow] = field(default_factory=list)
    fixed: dict[tuple[str, str], int] = field(default_factory=dict)  # (site, check) -> count
    inspected: set[str] = field(default_factory=set)
    by_site: dict[str, list[GroupRow]] = field(default_factory=dict)
    fixed_by_site: dict[str, int] = field(default_factory=dict)

    def counts(self, site_id: str) -> list[CheckCount]:
        return [CheckCount(g.code, g.severity, g.count, g.column_class)
                for g in self.by_site.get(site_id, ())]


def observed(period: Period) -> ColumnElement[bool]:
    return and_(F.first_seen < period.end, F.last_seen >= period.start)


def last_day(end: datetime) -> date:
    """The last (local) day before the instant `end` (a period's end is local midnight)."""
    return (end - timedelta(days=1)).date()


def excluded(end: datetime) -> ColumnElement[bool]:
    """SQL: left out of a report ending at `end` (store.review): dismissed as 误报, or
    waived, before `end`, until the period's last day or later."""
    return or_(F.review == rv.DISMISSED,
               and_(F.review == rv.WAIVED, F.waived_until.is_not(None),
                    F.waived_until >= last_day(end), F.review_at < end))


def _within(column: Any, period: Period) -> ColumnElement[bool]:
    return and_(column >= period.start, column < period.end)


def _site_filter(sites: Collection[str] | None) -> list[ColumnElement[bool]]:
    return [] if sites is None else [F.site_id.in_(sorted(sites))]


# PostgreSQL's default work_mem (4 MB) makes the year's GROUP BY and the 整改清单 sort spill to
# disk; a report is one session a day or so, so it may use more. Transaction-local.
POSTGRES_WORK_MEM = "64MB"


def prepare(session: Session) -> None:
    """Per-transaction tuning for the report's big sorts (PostgreSQL only)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SET LOCAL work_mem = '{POSTGRES_WORK_MEM}'"))


def _rows(session: Session, query: Any, batch: int = 10_000) -> Any:
    """Run a Core query on the session's connection: plain tuples, none of the ORM's
    per-row bookkeeping, fetched in batches (row-by-row fetching costs seconds over a year of
    findings; PostgreSQL streams them from a server-side cursor)."""
    return session.connection().execute(query.execution_options(yield_per=batch))


def _stale_class() -> ColumnElement[Any]:
    return case((F.check == STALE, F.evidence["class"].as_string()), else_=None)


def _runs(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, list[Any]]]:
    """(as_of, site ids) of the finished crawl runs judged within [start, end)."""
    query = select(m.CrawlRun.as_of, m.CrawlRun.site_ids).where(
        m.CrawlRun.status == "finished", m.CrawlRun.as_of >= start, m.CrawlRun.as_of < end
    )
    return [(as_of, list(site_ids or ())) for as_of, site_ids in _rows(session, query)]


def load_period(session: Session, period: Period, sites: Collection[str] | None = None
                ) -> PeriodData:
    """Aggregate one period: groups of observed findings, fixed counts, inspected sites.

    `sites` restricts everything to those sites (a spot-check sample); None = all sites.
    """
    return load_series(session, [period], sites).periods[0]


@dataclass(slots=True)
class Series:
    periods: list[PeriodData]  # one per period, in order
    span: PeriodData | None  # the whole series as one period (a year of months), if asked


def _bucket(column: Any, bounds: Sequence[datetime], low: int = 0,
            high: int | None = None) -> Any:
    """0 before bounds[0], k within [bounds[k-1], bounds[k]), len(bounds) after the last.

    A binary search of nested CASEs: four comparisons per row for a year of months instead of
    up to thirteen (SQLite evaluates every WHEN in turn; over a million rows it shows)."""
    high = len(bounds) if high is None else high
    if low == high:
        return literal(low)
    middle = (low + high) // 2
    return case((column < bounds[middle], _bucket(column, bounds, low, middle)),
                else_=_bucket(column, bounds, middle + 1, high))


def load_series(session: Session, periods: Sequence[Period],
                sites: Collection[str] | None = None, span: Period | None = None) -> Series:
    """Aggregate consecutive periods (a year's months, the last quarters) in one GROUP BY.

    Each finding is reduced in SQL to the periods of its first_seen (a), last_seen (b) and
    fixed_at (c) — bucket numbers 1..n, 0 before the series, n+1 after it — and grouped by
    (site, check, severity, column class, a, b, c). A group is observed in period k exactly
    when a <= k <= b, new in k when a == k, still open at k's end when it was not fixed by
    then (c > k or never fixed), and fixed in k when c == k. So one scan and one sort give
    every period's figures, where a query per period would sort the table once per month.
    `span` is the whole series as one Period (the year, for an annual report), if wanted.
    """
    if not periods:
        raise ValueError("load_series needs at least one period")
    for before, after in pairwise(periods):
        if before.end != after.start:
            raise ValueError("load_series needs consecutive periods")
    n = len(periods)
    bounds = [periods[0].start, *(p.end for p in periods)]
    # The report's own period gets everything (open at end, example ids): the span when
    # there is one, else the last period. The others get what a trend needs (counts, new,
    # fixed, inspected), accumulated as difference arrays so that a finding observed over
    # many months costs the same as one observed once.
    main = n if span is not None else n - 1
    inner = (
        select(
            F.id.label("id"),
            F.site_id.label("site_id"),
            F.check.label("code"),
            F.severity.label("severity"),
            _stale_class().label("cls"),
            _bucket(F.first_seen, bounds).label("a"),
            _bucket(F.last_seen, bounds).label("b"),
            case((F.fixed_at.is_(None), -1), else_=_bucket(F.fixed_at, bounds)).label("c"),
        )
        .where(
            or_(and_(F.first_seen < bounds[-1], F.last_seen >= bounds[0]),
                and_(F.fixed_at >= bounds[0], F.fixed_at < bounds[-1])),
            # Waived and dismissed findings leave the scores and counts (the report lists
            # them apart: excluded_findings); judged at the end of the whole series.
            ~excluded(bounds[-1]),
            *_site_filter(sites),
        )
        .subquery()
    )
    keys = (inner.c.site_id, inner.c.code, inner.c.severity, inner.c.cls, inner.c.a, inner.c.b,
            inner.c.c)
    query = select(*keys, func.count(), func.min(inner.c.id)).group_by(*keys)
    Key = tuple[str, str, str, str | None]
    diff: dict[Key, list[int]] = {}  # +count at the first period observed, -count after last
    new: dict[Key, list[int]] = {}
    full: dict[Key, list[int]] = {}  # the main period: [count, new, open, first id]
    fixed: list[dict[tuple[str, str], int]] = [{} for _ in range(n + 1)]
    inspected: list[set[str]] = [set() for _ in range(n + 1)]
    for site_id, code, severity, cls_value, a, b, c, count, first_id in _rows(session, query):
        # Two spellings of one class ("新闻", "news") fold into one group.
        key = (site_id, code, severity, column_class(cls_value) if code == STALE else None)
        count = int(count)
        if 1 <= c <= n:
            for index in (c - 1, n):
                fixed[index][(site_id, code)] = fixed[index].get((site_id, code), 0) + count
                inspected[index].add(site_id)
        first, last = max(a, 1), min(b, n)
        if first > last:
            continue  # fixed in the series but not observed in it
        row = diff.get(key)
        if row is None:
            row = diff[key] = [0] * (n + 2)
            new[key] = [0] * (n + 2)
        row[first] += count
        row[last + 1] -= count
        if a >= 1:
            new[key][a] += count
            inspected[a - 1].add(site_id)
        if b <= n:
            inspected[b - 1].add(site_id)
        if main == n:
            observed_main, is_new, still_open = True, a >= 1, c == -1 or c > n
        else:
            observed_main, is_new, still_open = first <= n <= last, a == n, c == -1 or c > n
        if observed_main:
            _add(full, key, count, is_new, still_open, int(first_id))
            if main == n and (a >= 1 or b <= n):
                inspected[n].add(site_id)
    groups: list[list[GroupRow]] = [[] for _ in range(n + 1)]
    for key in sorted(diff, key=_key_sort):
        running = 0
        for k in range(1, n + 1):
            running += diff[key][k]
            if running > 0 and k - 1 != main:
                groups[k - 1].append(GroupRow(*key, running, new[key][k], 0, 0))
    for key in sorted(full, key=_key_sort):
        count, is_new, still_open, first_id = full[key]
        groups[main].append(GroupRow(*key, count, is_new, still_open, first_id))
    runs = _runs(session, bounds[0], bounds[-1])
    out = []
    for index, period in enumerate([*periods, *([span] if span is not None else [])]):
        data = PeriodData(period)
        data.groups = groups[index]
        data.fixed = dict(sorted(fixed[index].items()))
        data.inspected = inspected[index]
        for as_of, site_ids in runs:
            if period.start <= as_of < period.end:
                data.inspected.update(str(s) for s in site_ids)
        out.append(_finish(data, sites))
    return Series(out[:n], out[n] if span is not None else None)


def _add(table: dict[tuple[str, str, str, str | None], list[int]],
         key: tuple[str, str, str, str | None], count: int, new: bool, still_open: bool,
         first_id: int) -> None:
    entry = table.get(key)
    if entry is None:
        table[key] = [count, count if new else 0, count if still_open else 0, first_id]
        return
    entry[0] += count
    if new:
        entry[1] += count
    if still_open:
        entry[2] += count
    entry[3] = min(entry[3], first_id)


def _finish(data: PeriodData, sites: Collection[str] | None) -> PeriodData:
    if sites is not None:
        data.inspected &= set(sites)
    for group in data.groups:
        data.by_site.setdefault(group.site_id, []).append(group)
    for (site_id, _), count in data.fixed.items():
        data.fixed_by_site[site_id] = data.fixed_by_site.get(site_id, 0) + count
    return data


def _key_sort(key: tuple[str, str, str, str | None]) -> tuple[str, ...]:
    site, code, severity, cls_key = key
    return (site, code, severity, cls_key or "")


@dataclass(frozen=True, slots=True)
class FixHistogram:
    """Durations (first_seen -> fixed_at) of the findings of one check fixed in a period,
    in whole hours (rounded), with their exact sum for the mean."""

    code: str
    buckets: tuple[tuple[int, int], ...]  # (hours, findings), ascending
    total_seconds: float

    @property
    def count(self) -> int:
        return sum(n for _, n in self.buckets)


def _bytewise(session: Session, column: Any) -> Any:
    """Order strings by code point on every backend, as Python sorts them (PostgreSQL's
    default collation would put "a-b" after "ab")."""
    if session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column


def _seconds_between(session: Session, start: Any, stop: Any) -> ColumnElement[Any]:
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(stop) - func.julianday(start)) * 86400.0
    return func.extract("epoch", stop - start)


def fix_histograms(session: Session, period: Period, sites: Collection[str] | None = None
                   ) -> list[FixHistogram]:
    """整改时效 of the findings fixed in the period, per check, as hour histograms."""
    seconds = _seconds_between(session, F.first_seen, F.fixed_at)
    inner = (
        select(
            F.check.label("code"),
            seconds.label("seconds"),
        )
        .where(_within(F.fixed_at, period), *_site_filter(sites))
        .subquery()
    )
    # Whole hours, rounded half up the same way on both backends (CAST truncates on SQLite
    # and rounds on PostgreSQL, so neither is used on a fraction).
    hours = func.floor(inner.c.seconds / 3600.0 + 0.5) if session.get_bind().dialect.name != \
        "sqlite" else cast(inner.c.seconds / 3600.0 + 0.5, Integer)
    bucketed = select(inner.c.code, hours.label("hours"), inner.c.seconds).subquery()
    query = (
        select(bucketed.c.code, bucketed.c.hours, func.count(), func.sum(bucketed.c.seconds))
        .group_by(bucketed.c.code, bucketed.c.hours)
        .order_by(bucketed.c.code, bucketed.c.hours)
    )
    out: dict[str, tuple[list[tuple[int, int]], list[float]]] = {}
    for code, bucket, count, total in _rows(session, query):
        entry = out.setdefault(code, ([], [0.0]))
        entry[0].append((max(0, int(bucket)), int(count)))
        entry[1][0] += float(total or 0.0)
    return [FixHistogram(code, tuple(b), t[0]) for code, (b, t) in sorted(out.items())]


@dataclass(frozen=True, slots=True)
class FindingRow:
    id: int
    site_id: str
    code: str
    severity: str
    url: str
    page: str
    message: str
    evidence: dict[str, Any]
    rule: str
    first_seen: datetime
    last_seen: datetime
    status: str
    fixed_at: datetime | None


def _columns(session: Session) -> tuple[Any, ...]:
    """The columns of a FindingRow. On SQLite the times come back as their stored text (UTC)
    and are parsed once per distinct value (to_datetime): a year's 整改清单 has hundreds
    of thousands of rows but only as many distinct times as there were check passes."""
    times: tuple[Any, ...] = (F.first_seen, F.last_seen, F.fixed_at)
    if session.get_bind().dialect.name == "sqlite":
        times = tuple(type_coerce(t, String) for t in times)
    # Evidence as its JSON text: equal evidence (the same anchor text and status on many
    # pages) is decoded and formatted once (see evidence_of).
    evidence = cast(F.evidence, Text).label("evidence")
    return (F.id, F.site_id, F.check, F.severity, F.url, F.page, F.message, evidence,
            F.rule, times[0], times[1], F.status, times[2], F.deadline, F.review,
            F.waived_until, F.review_at)


def to_datetime(value: Any) -> datetime | None:
    """A time as `_columns` returns it (a datetime, or SQLite's stored UTC text)."""
    if value is None or isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


class OpenRow(NamedTuple):
    """A finding for a 整改清单. Times are as `_columns` returns them (see to_datetime), so
    that a caller formats each distinct stored time once rather than once per row."""

    id: int
    site_id: str
    code: str
    severity: str
    url: str
    page: str
    message: str
    evidence: str | None  # JSON text
    rule: str
    first_seen: Any
    last_seen: Any
    status: str
    fixed_at: Any
    deadline: date | None = None
    review: str = ""
    waived_until: date | None = None
    review_at: Any = None


def findings_by_id(session: Session, ids: Collection[int]) -> dict[int, FindingRow]:
    if not ids:
        return {}
    query = select(*_columns(session)).where(F.id.in_(sorted(ids)))
    out = {}
    for row in _rows(session, query):
        r = OpenRow(*row)
        first, last = to_datetime(r.first_seen), to_datetime(r.last_seen)
        assert first is not None and last is not None
        out[r.id] = FindingRow(r.id, r.site_id, r.code, r.severity, r.url, r.page, r.message,
                               json.loads(r.evidence or "{}"), r.rule, first, last, r.status,
                               to_datetime(r.fixed_at))
    return out


def open_at_end(session: Session, period: Period, sites: Collection[str] | None = None,
                batch: int = 5000) -> Iterator[OpenRow]:
    """The findings observed in the period and not fixed before it ended, by site then id,
    streamed (a year of a thousand sites is hundreds of thousands of rows)."""
    query = (
        select(*_columns(session))
        .where(observed(period), or_(F.fixed_at.is_(None), F.fixed_at >= period.end),
               *_site_filter(sites))
        .order_by(_bytewise(session, F.site_id), F.id)
    )
    for row in _rows(session, query, batch):
        yield OpenRow(*row)


def overdue_at(session: Session, period: Period, cutoff: date,
               sites: Collection[str] | None = None) -> dict[str, int]:
    """超期未整改 per site: observed in the period, not fixed before it ended, not excluded
    (waived or dismissed), and past the 整改期限 on the local date `cutoff` (the period's
    end, or the day of the report for a period still running)."""
    query = (
        select(F.site_id, func.count())
        .where(observed(period), or_(F.fixed_at.is_(None), F.fixed_at >= period.end),
               ~excluded(period.end), F.deadline.is_not(None), F.deadline < cutoff,
               *_site_filter(sites))
        .group_by(F.site_id)
    )
    return {sid: int(n) for sid, n in _rows(session, query)}


class ExcludedRow(NamedTuple):
    id: int
    site_id: str
    code: str
    severity: str
    url: str
    message: str
    review: str
    reason: str | None
    waived_until: date | None


def excluded_findings(session: Session, period: Period, sites: Collection[str] | None = None
                      ) -> list[ExcludedRow]:
    """The findings observed in the period that the report leaves out of scores and counts
    (see `excluded`), by site and id."""
    query = (
        select(F.id, F.site_id, F.check, F.severity, F.url, F.message, F.review,
               F.review_reason, F.waived_until)
        .where(observed(period), excluded(period.end), *_site_filter(sites))
        .order_by(_bytewise(session, F.site_id), F.id)
    )
    return [ExcludedRow(*row) for row in _rows(session, query)]


def last_inspection(session: Session, period: Period) -> datetime | None:
    """The latest moment the period's data was judged at: the newest as_of of a finished
    crawl run, or last_seen of a finding, within the period (None: none)."""
    runs = session.scalar(select(func.max(m.CrawlRun.as_of)).where(
        m.CrawlRun.status == "finished", _within(m.CrawlRun.as_of, period)))
    seen = session.scalar(select(func.max(F.last_seen)).where(_within(F.last_seen, period)))
    found = [to_datetime(t) for t in (runs, seen) if t is not None]
    return max((t for t in found if t is not None), default=None)
