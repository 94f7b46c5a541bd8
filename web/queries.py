"""What the dashboard shows, read from the store as plain values (no ORM object reaches a
template). Every function takes the caller's `scope` (the site ids a user may see, None for
all) and applies it in SQL, so that a webmaster's page can never list another site's row.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from reports.build import Catalogue, evidence_pairs
from reports.model import LEVEL_LABELS, fmt_number
from reports.scoring import (
    SEVERITY_LABELS,
    SEVERITY_ORDER,
    STALE,
    CheckCount,
    Score,
    Scorer,
    column_class,
)
from store import models as m
from store import review as rv
from store.repo import FINISHED
from web import audit

F = m.Finding
# The status filter: open = still to rectify (counted: not dismissed, no unexpired waiver),
# overdue = open past its deadline, appealed = 误报 appeal pending, excluded = dismissed or
# under an unexpired waiver (out of scores and counts), fixed, all.
STATUSES = {"open": "未整改", "overdue": "超期未整改", "appealed": "误报申诉中",
            "excluded": "已豁免/误报", "fixed": "已整改", "all": "全部"}


def status_clause(status: str, today: date) -> list[ColumnElement[bool]]:
    """SQL conditions of a status filter value (see STATUSES)."""
    if status == "open":
        return [F.status == "open", rv.counted(today)]
    if status == "overdue":
        return [rv.overdue_clause(today)]
    if status == "appealed":
        return [F.review == rv.APPEALED]
    if status == "excluded":
        return [~rv.counted(today)]
    if status == "fixed":
        return [F.status == "fixed", F.review != rv.DISMISSED]
    return []
LEVELS = tuple(LEVEL_LABELS)
# Crawl runs looked at, newest first, to find each site's last crawl (one nightly run per
# site is 365 runs a year per site; a site not crawled in the latest N runs shows "—").
LAST_CRAWL_SCAN = 5000


def local(at: datetime | None, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at is not None else ""


def _scoped(column: Any, scope: Collection[str] | None) -> list[ColumnElement[bool]]:
    return [] if scope is None else [column.in_(sorted(scope))]


# -- sites ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SiteStatus:
    id: str
    name: str
    url: str
    level: str
    level_label: str
    veto: int  # open findings by severity
    deduct: int
    notice: int
    last_crawl: str  # local time, "" when never crawled
    score: Score | None  # over the open findings; None when the site was never inspected
    overdue: int = 0  # 超期未整改: open past their deadline (store.review.is_overdue)

    @property
    def open(self) -> int:
        return self.veto + self.deduct + self.notice

    @property
    def score_text(self) -> str:
        return "—" if self.score is None else fmt_number(self.score.score)

    @property
    def verdict(self) -> str:
        if self.score is None:
            return "未检查"
        return "合格" if self.score.passed else "不合格"


def last_crawls(session: Session, site_ids: Collection[str]) -> dict[str, datetime]:
    """When each site's newest finished crawl finished (sites with none are absent)."""
    wanted = set(site_ids)
    found: dict[str, datetime] = {}
    query = (select(m.CrawlRun.finished_at, m.CrawlRun.site_ids)
             .where(m.CrawlRun.status == FINISHED)
             .order_by(m.CrawlRun.id.desc()).limit(LAST_CRAWL_SCAN))
    for finished_at, ids in session.execute(query):
        for sid in ids or ():
            if sid in wanted and sid not in found and finished_at is not None:
                found[sid] = finished_at
        if len(found) == len(wanted):
            break
    return found


def _today(tz: ZoneInfo, today: date | None) -> date:
    return today if today is not None else datetime.now(tz).date()


def open_counts(session: Session, scope: Collection[str] | None, today: date | None = None
                ) -> dict[str, list[CheckCount]]:
    """Open findings per site as scoring counts (columns.stale by column class); findings
    dismissed as 误报 or under an unexpired waiver on `today` do not count."""
    day = today or datetime.now().date()
    out: dict[str, list[CheckCount]] = {}
    rows = session.execute(
        select(F.site_id, F.check, F.severity, func.count())
        .where(F.status == "open", rv.counted(day), F.check != STALE,
               *_scoped(F.site_id, scope))
        .group_by(F.site_id, F.check, F.severity)
    )
    for site_id, code, severity, count in rows:
        out.setdefault(site_id, []).append(CheckCount(code, severity, int(count)))
    stale: dict[tuple[str, str, str | None], int] = {}
    for site_id, severity, evidence in session.execute(
        select(F.site_id, F.severity, F.evidence)
        .where(F.status == "open", rv.counted(day), F.check == STALE,
               *_scoped(F.site_id, scope))
    ):
        cls = column_class(evidence.get("class")) if isinstance(evidence, dict) else None
        key = (site_id, severity, cls)
        stale[key] = stale.get(key, 0) + 1
    for (site_id, severity, cls), count in stale.items():
        out.setdefault(site_id, []).append(CheckCount(STALE, severity, count, cls))
    return out


def overdue_counts(session: Session, site_ids: Collection[str], today: date
                   ) -> dict[str, int]:
    rows = session.execute(
        select(F.site_id, func.count())
        .where(rv.overdue_clause(today), F.site_id.in_(sorted(site_ids)))
        .group_by(F.site_id))
    return {sid: int(n) for sid, n in rows}


def site_statuses(session: Session, scope: Collection[str] | None, scorer: Scorer,
                  tz: ZoneInfo, *, level: str | None = None, today: date | None = None
                  ) -> list[SiteStatus]:
    """Every active site in scope (of `level`, if given), worst first: sites with a veto,
    then by score ascending; sites never inspected last. Judged on the local date `today`
    (default: the current date)."""
    day = _today(tz, today)
    query = select(m.Site).where(m.Site.active.is_(True), *_scoped(m.Site.id, scope))
    if level:
        query = query.where(m.Site.level == level)
    sites = list(session.scalars(query.order_by(m.Site.id)))
    ids = [s.id for s in sites]
    counts = open_counts(session, ids, day)
    overdue = overdue_counts(session, ids, day)
    crawls = last_crawls(session, ids)
    checked = set(session.scalars(select(F.site_id).where(F.site_id.in_(ids)).distinct()))
    out = []
    for site in sites:
        items = counts.get(site.id, [])
        by_severity = {"veto": 0, "deduct": 0, "notice": 0}
        for item in items:
            key = item.severity if item.severity in by_severity else "deduct"
            by_severity[key] += item.count
        inspected = site.id in crawls or site.id in checked
        out.append(SiteStatus(
            id=site.id, name=site.name, url=site.url, level=site.level,
            level_label=LEVEL_LABELS.get(site.level, site.level),
            veto=by_severity["veto"], deduct=by_severity["deduct"],
            notice=by_severity["notice"], last_crawl=local(crawls.get(site.id), tz),
            score=scorer.score(items) if inspected else None,
            overdue=overdue.get(site.id, 0),
        ))
    out.sort(key=lambda s: (s.score is None, not s.veto,
                            s.score.score if s.score is not None else 0.0, s.id))
    return out


def site_status(session: Session, site_id: str, scope: Collection[str] | None,
                scorer: Scorer, tz: ZoneInfo, today: date | None = None) -> SiteStatus | None:
    """One site's status, or None when it does not exist or is outside `scope`."""
    if scope is not None and site_id not in scope:
        return None
    found = site_statuses(session, {site_id}, scorer, tz, today=today)
    return found[0] if found else None


# -- findings --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """The findings filters of a GET form; invalid values are dropped, not errors."""

    site: str = ""
    level: str = ""
    check: str = ""
    severity: str = ""
    status: str = "open"
    page: int = 1

    @classmethod
    def parse(cls, params: Mapping[str, str], known_checks: Collection[str]) -> Filters:
        def pick(name: str, allowed: Collection[str], default: str = "") -> str:
            value = params.get(name, default).strip()
            return value if value in allowed else default

        try:
            page = max(1, min(int(params.get("page", "1")), 1_000_000))
        except ValueError:
            page = 1
        site = params.get("site", "").strip()
        return cls(
            site=site if len(site) <= 64 else "",
            level=pick("level", LEVELS),
            check=pick("check", known_checks),
            severity=pick("severity", SEVERITY_ORDER),
            status=pick("status", STATUSES, "open"),
            page=page,
        )

    def query(self, **changes: Any) -> dict[str, str]:
        """These filters as query parameters (empty ones left out), with `changes`."""
        values: dict[str, Any] = {"site": self.site, "level": self.level, "check": self.check,
                                  "severity": self.severity, "status": self.status,
                                  "page": self.page}
        values.update(changes)
        return {k: str(v) for k, v in values.items()
                if v not in ("", None) and not (k == "page" and v == 1)}


@dataclass(frozen=True, slots=True)
class FindingRow:
    id: int
    site_id: str
    site_name: str
    check: str
    title: str
    severity: str
    severity_label: str
    message: str
    url: str
    page: str
    status: str
    status_label: str
    first_seen: str
    last_seen: str
    fixed_at: str
    deadline: str = ""  # 整改期限, YYYY-MM-DD
    state: str = "open"  # store.review.state_of
    state_label: str = ""
    overdue: bool = False
    waived_until: str = ""
    review_reason: str = ""


@dataclass(frozen=True, slots=True)
class FindingPage:
    rows: tuple[FindingRow, ...]
    total: int
    page: int
    pages: int


_SEVERITY_RANK = case({k: v for k, v in SEVERITY_ORDER.items()}, value=F.severity, else_=9)


def list_findings(session: Session, scope: Collection[str] | None, filters: Filters,
                  cat: Catalogue, tz: ZoneInfo, page_size: int, today: date | None = None
                  ) -> FindingPage:
    day = _today(tz, today)
    conditions: list[ColumnElement[bool]] = [*_scoped(F.site_id, scope)]
    if filters.site:
        conditions.append(F.site_id == filters.site)
    if filters.level:
        conditions.append(m.Site.level == filters.level)
    if filters.check:
        conditions.append(F.check == filters.check)
    if filters.severity:
        conditions.append(F.severity == filters.severity)
    conditions += status_clause(filters.status, day)
    base = select(F, m.Site.name).join(m.Site, m.Site.id == F.site_id).where(*conditions)
    total = int(session.scalar(
        select(func.count()).select_from(F).join(m.Site, m.Site.id == F.site_id)
        .where(*conditions)) or 0)
    pages = max(1, -(-total // page_size))
    page = min(filters.page, pages)
    query = (base.order_by(_SEVERITY_RANK, F.site_id, F.check, F.page, F.url, F.id)
             .limit(page_size).offset((page - 1) * page_size))
    rows = tuple(_row(f, name, cat, tz, day) for f, name in session.execute(query))
    return FindingPage(rows, total, page, pages)


def _row(f: m.Finding, site_name: str, cat: Catalogue, tz: ZoneInfo, today: date
         ) -> FindingRow:
    state = rv.state_of(f.status, f.review, f.waived_until, today)
    overdue = rv.is_overdue(f.status, f.review, f.waived_until, f.deadline, today)
    label = rv.STATE_LABELS[state]
    if state == rv.WAIVED and f.waived_until is not None:
        label = f"已豁免至 {f.waived_until:%Y-%m-%d}"
    return FindingRow(
        id=f.id, site_id=f.site_id, site_name=site_name, check=f.check,
        title=cat.title(f.check), severity=f.severity,
        severity_label=SEVERITY_LABELS.get(f.severity, f.severity), message=f.message,
        url=f.url, page=f.page, status=f.status, status_label=STATUSES.get(f.status, f.status),
        first_seen=local(f.first_seen, tz), last_seen=local(f.last_seen, tz),
        fixed_at=local(f.fixed_at, tz),
        deadline=f.deadline.isoformat() if f.deadline else "", state=state,
        state_label=label, overdue=overdue,
        waived_until=f.waived_until.isoformat() if f.waived_until else "",
        review_reason=f.review_reason or "",
    )


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One step of the 整改 loop on a finding (store.review, table finding_events)."""

    at: str
    by: str
    role_label: str
    action: str
    action_label: str
    from_label: str
    to_label: str
    reason: str
    until: str
    detail: str


@dataclass(frozen=True, slots=True)
class RecheckEntry:
    at: str
    by: str
    result: str
    result_label: str
    detail: str


@dataclass(frozen=True, slots=True)
class FindingDetail:
    row: FindingRow
    site_url: str
    rule: str
    fix: str
    evidence: tuple[tuple[str, str], ...]
    rechecks: tuple[RecheckEntry, ...] = field(default=())
    events: tuple[EventEntry, ...] = field(default=())


def finding_detail(session: Session, finding_id: int, scope: Collection[str] | None,
                   cat: Catalogue, tz: ZoneInfo, today: date | None = None
                   ) -> FindingDetail | None:
    """A finding with its evidence and re-checks, or None when it does not exist or is out of
    scope (the caller answers 404 either way, so no one learns which ids exist)."""
    found = session.execute(
        select(F, m.Site.name, m.Site.url).join(m.Site, m.Site.id == F.site_id)
        .where(F.id == finding_id, *_scoped(F.site_id, scope))
    ).first()
    if found is None:
        return None
    f, name, site_url = found
    rechecks = tuple(
        RecheckEntry(r.checked_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), r.user_name,
                     r.result, r.result_label, r.detail)
        for r in audit.history(session, f.id)
    )
    events = tuple(
        EventEntry(at=e.at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"), by=t["user"],
                   role_label=t["role_label"], action=t["action"],
                   action_label=t["action_label"], from_label=t["from_label"],
                   to_label=t["to_label"], reason=t["reason"], until=t["until"],
                   detail=t["detail"])
        for e in rv.history(session, f.id) for t in (rv.event_text(e),)
    )
    return FindingDetail(
        row=_row(f, name, cat, tz, _today(tz, today)), site_url=site_url, rule=f.rule,
        fix=cat.fix(f.check), evidence=evidence_pairs(dict(f.evidence or {}), f.check),
        rechecks=rechecks, events=events,
    )


def check_choices(cat: Catalogue) -> list[tuple[str, str]]:
    """(code, "title code") for the filter's select, in catalogue order."""
    return [(code, f"{title}（{code}）") for code, title in cat.titles.items()]


def site_choices(session: Session, scope: Collection[str] | None) -> list[tuple[str, str]]:
    rows = session.execute(select(m.Site.id, m.Site.name)
                           .where(m.Site.active.is_(True), *_scoped(m.Site.id, scope))
                           .order_by(m.Site.id))
    return [(sid, f"{name}（{sid}）") for sid, name in rows]


def site_exists(session: Session, site_id: str, scope: Collection[str] | None) -> bool:
    if scope is not None and site_id not in scope:
        return False
    return session.get(m.Site, site_id) is not None


def severity_choices() -> Sequence[tuple[str, str]]:
    return [(k, SEVERITY_LABELS[k]) for k in SEVERITY_ORDER]


def level_choices() -> Sequence[tuple[str, str]]:
    return list(LEVEL_LABELS.items())
