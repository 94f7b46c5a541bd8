"""Writes and queries shared by the CLI, the crawler and the check runner."""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.site import SiteEntry
from store import models as m
from store import process
from store.workdays import Deadlines

RUNNING, FINISHED, INTERRUPTED, FAILED = "running", "finished", "interrupted", "failed"


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert_sites(session: Session, entries: Iterable[SiteEntry]) -> tuple[int, int]:
    """Insert or update sites by id; returns (added, updated)."""
    now = utcnow()
    added = updated = 0
    for entry in entries:
        row = session.get(m.Site, entry.id)
        if row is None:
            row = m.Site(id=entry.id, created_at=now)
            session.add(row)
            added += 1
        else:
            updated += 1
        row.name = entry.name
        row.url = entry.url
        row.level = entry.level
        row.kind = entry.kind
        row.parent_id = entry.parent
        row.sponsor = entry.sponsor
        row.contacts = [c.to_dict() for c in entry.contacts]
        row.config = entry.to_dict()
        row.active = True
        row.updated_at = now
    return added, updated


# A run whose heartbeat (crawl_runs.heartbeat_at) is older than this is dead, from any host
# (the default of [workers] stalled_seconds; callers pass the configured value).
RUN_STALE_AFTER = timedelta(seconds=60)


def create_run(session: Session, site_ids: Sequence[str], as_of: datetime, *,
               heartbeat: bool = False, job_id: int | None = None) -> m.CrawlRun:
    """A new `running` run of `site_ids` by this process. `heartbeat`: the caller renews
    heartbeat_at while it drives the run (heartbeat_runs), so any host can tell when it died;
    `job_id`: the queue job it crawls for (stats["job"], until the run ends)."""
    now = utcnow()
    run = m.CrawlRun(
        started_at=now,
        status=RUNNING,
        as_of=as_of,
        site_ids=list(site_ids),
        stats={} if job_id is None else {"job": job_id},
        pid=os.getpid(),
        host=socket.gethostname(),
        pid_started=process.start_time(os.getpid()),
        heartbeat_at=now if heartbeat else None,
    )
    session.add(run)
    session.flush()
    return run


def reap_dead_runs(session: Session, stale_after: timedelta = RUN_STALE_AFTER) -> int:
    """Mark as interrupted the runs left `running` by a process that died (killed with
    SIGKILL, power loss, a machine gone), so they are never mistaken for complete crawls:
    on this host, a run whose process is gone (a pid now used by another process, with
    another start time, counts as gone); on any host, a run whose heartbeat is older than
    `stale_after`."""
    count = 0
    me = socket.gethostname()
    oldest = utcnow() - stale_after
    for run in session.scalars(select(m.CrawlRun).where(m.CrawlRun.status == RUNNING)):
        if run.heartbeat_at is not None and run.heartbeat_at < oldest:
            _interrupt(run, f"heartbeat stopped (host {run.host}: worker killed or gone?)")
            count += 1
        elif run.host == me and run.pid is not None and not process.alive(run.pid,
                                                                           run.pid_started):
            _interrupt(run, "crawl process vanished (killed?)")
            count += 1
    return count


def _interrupt(run: m.CrawlRun, error: str) -> None:
    run.status = INTERRUPTED
    run.finished_at = utcnow()
    run.error = error


def adopt_run(session: Session, run: m.CrawlRun, job_id: int) -> None:
    """This process drives `run` from now on, for queue job `job_id` (a run created by the
    dashboard's 重新抓取本站 and crawled by a worker): its pid, host and heartbeat are ours."""
    run.pid = os.getpid()
    run.host = socket.gethostname()
    run.pid_started = process.start_time(run.pid)
    run.heartbeat_at = utcnow()
    run.stats = {**(run.stats or {}), "job": job_id}


def heartbeat_runs(session: Session, run_ids: Iterable[int]) -> None:
    """Renew the heartbeat of the runs this process drives (those still `running`)."""
    ids = list(run_ids)
    if ids:
        session.execute(update(m.CrawlRun)
                        .where(m.CrawlRun.id.in_(ids), m.CrawlRun.status == RUNNING)
                        .values(heartbeat_at=utcnow())
                        .execution_options(synchronize_session=False))


def interrupt_job_runs(session: Session, job_id: int, error: str) -> list[int]:
    """Mark interrupted the runs still `running` for queue job `job_id` (its worker died);
    their ids."""
    out = []
    for run in session.scalars(select(m.CrawlRun).where(m.CrawlRun.status == RUNNING)):
        if (run.stats or {}).get("job") == job_id:
            _interrupt(run, error)
            out.append(run.id)
    return out


def running_runs(session: Session, site_ids: Iterable[str], max_age: timedelta
                 ) -> list[m.CrawlRun]:
    """The runs still `running` that cover any of `site_ids`. Call reap_dead_runs first:
    this host's and those with a heartbeat are then alive. Another host's without a
    heartbeat cannot be checked from here; they count while younger than `max_age` (the
    crawl time limit), so that a host that vanished (a container re-created under a new
    name) does not block its sites for ever."""
    wanted = set(site_ids)
    me = socket.gethostname()
    oldest = utcnow() - max_age
    return [run for run in session.scalars(
        select(m.CrawlRun).where(m.CrawlRun.status == RUNNING).order_by(m.CrawlRun.id))
        if wanted & set(run.site_ids or [])
        and (run.host == me or run.heartbeat_at is not None or run.started_at >= oldest)]


def latest_finished_run(session: Session, site_id: str) -> m.CrawlRun | None:
    """The newest complete crawl that covered `site_id`."""
    runs = session.scalars(
        select(m.CrawlRun).where(m.CrawlRun.status == FINISHED).order_by(m.CrawlRun.id.desc())
    )
    for run in runs:
        if site_id in (run.site_ids or []):
            return run
    return None


def fingerprint(site: str, check: str, url: str, page: str) -> str:
    return hashlib.sha256("\x00".join((site, check, url, page)).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class FindingCounts:
    new: int = 0
    persisting: int = 0
    reopened: int = 0
    fixed: int = 0

    @property
    def open(self) -> int:
        return self.new + self.persisting + self.reopened


class CheckedFinding(Protocol):
    """What the store reads of a check's finding (checks.base.Finding has these): the store
    sits below the checks and never imports them."""

    @property
    def key(self) -> tuple[str, str, str, str]: ...
    @property
    def site(self) -> str: ...
    @property
    def check(self) -> str: ...
    @property
    def url(self) -> str: ...
    @property
    def page(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def rule(self) -> str: ...
    @property
    def evidence(self) -> Mapping[str, Any]: ...


def record_findings(
    session: Session,
    findings: Iterable[CheckedFinding],
    *,
    site_id: str,
    checks_run: Iterable[str],
    seen_at: datetime,
    crawl_run_id: int | None,
    deadlines: Deadlines | None = None,
) -> FindingCounts:
    """Merge one site's findings from one check pass into the lifecycle table.

    A finding seen again keeps its first_seen and gets a new last_seen; one not seen by a
    check that ran is marked fixed; a fixed one seen again reopens. Checks that did not run
    (disabled) leave their findings untouched. Nothing is deleted.

    Every finding seen gets its 整改期限 from first_seen and its (possibly new) severity
    (`deadlines`: the settings' `[rectify] deadline_working_days`, default the defaults).
    Its review (appeal, waiver, dismissal: store/review.py) is left as it is.
    """
    deadlines = deadlines or Deadlines()
    codes = sorted(set(checks_run))
    existing = {
        row.fingerprint: row
        for row in session.scalars(
            select(m.Finding).where(m.Finding.site_id == site_id, m.Finding.check.in_(codes))
        )
    }
    new = persisting = reopened = fixed = 0
    seen: set[str] = set()
    for finding in findings:
        fp = fingerprint(*finding.key)
        if fp in seen:
            continue
        seen.add(fp)
        row = existing.get(fp)
        if row is None:
            row = m.Finding(
                fingerprint=fp,
                site_id=finding.site,
                check=finding.check,
                url=finding.url,
                page=finding.page,
                first_seen=seen_at,
            )
            session.add(row)
            new += 1
        elif row.status == "fixed":
            reopened += 1
        else:
            persisting += 1
        row.severity = str(finding.severity)
        row.message = finding.message
        row.evidence = _jsonable(dict(finding.evidence))
        row.rule = finding.rule
        row.last_seen = seen_at
        row.deadline = deadlines.deadline(row.first_seen, row.severity)
        row.status = "open"
        row.fixed_at = None
        row.crawl_run_id = crawl_run_id
    for fp, row in existing.items():
        if fp not in seen and row.status == "open":
            row.status = "fixed"
            row.fixed_at = seen_at
            fixed += 1
    return FindingCounts(new=new, persisting=persisting, reopened=reopened, fixed=fixed)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def finish_run(session: Session, run_id: int, status: str, stats: dict[str, Any],
               error: str | None = None) -> None:
    session.execute(
        update(m.CrawlRun)
        .where(m.CrawlRun.id == run_id)
        .values(status=status, finished_at=utcnow(), stats=stats, error=error)
    )


def finding_json(row: m.Finding, tz: tzinfo, today: date | None = None) -> dict[str, Any]:
    """A finding in the contract's JSON shape (interfaces.md section 3), with the 整改 loop's
    fields after it: `deadline` (整改期限, local date), `state` (open | appealed | waived |
    dismissed | fixed: store.review.state_of), `overdue` (超期未整改) and `waived_until`, as of
    the local date `today` (default: the current date in `tz`)."""
    from store import review

    day = today or datetime.now(tz).date()
    return {
        "id": row.id,
        "site": row.site_id,
        "check": row.check,
        "severity": row.severity,
        "url": row.url,
        "page": row.page,
        "message": row.message,
        "evidence": row.evidence,
        "rule": row.rule,
        "first_seen": row.first_seen.astimezone(tz).isoformat(timespec="seconds"),
        "last_seen": row.last_seen.astimezone(tz).isoformat(timespec="seconds"),
        "status": row.status,
        "deadline": row.deadline.isoformat() if row.deadline else None,
        "state": review.state_of(row.status, row.review, row.waived_until, day),
        "overdue": review.is_overdue(row.status, row.review, row.waived_until, row.deadline,
                                     day),
        "waived_until": row.waived_until.isoformat() if row.waived_until else None,
    }
