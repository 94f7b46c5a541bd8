"""The workers' queue (`[workers] enabled`): site crawls as procrastinate jobs kept in the
production PostgreSQL, taken by `govwatch worker` processes on any number of machines.

Why procrastinate: the queue, its locks and the workers' heartbeats live in the PostgreSQL
that production already runs (no broker to operate), a job is queued in one INSERT that
can share a transaction, and its per-site locks are rows of the same database.

Two tasks, both in queue `govwatch`:

- `crawl_site(site_id, as_of, max_pages)`: one site's crawl, exactly the nightly crawl's
  (govwatch.jobs.crawl_sites: its own crawl process, the time limit, a crawl still running
  by a manual `govwatch crawl` skipped), then it queues the site's check pass. Queued with
  queueing lock `crawl:<site>` (a second job for a site already queued is refused:
  `AlreadyEnqueued`, counted as "already queued") and lock `site:<site>` (no two jobs of a
  site run at once anywhere in the cluster; its check job holds the same lock, so the next
  crawl of the site waits for the check of the previous one). Priority by level, portals
  first, as in the nightly crawl. Stopped by a worker's SIGTERM, the crawl writes what it
  holds, ends `interrupted`, and the job goes back to the queue (at most
  `[workers] max_attempts` attempts in all); a crawl that fails fails its job.
  With `recrawl` ({"run", "by"}: the dashboard's 重新抓取本站, queued by QueuedRecrawler in
  the transaction that creates its run), the job crawls that run (repo.adopt_run); a retry
  of it crawls under a new run, recorded as the site event recrawl-retry (web.recrawl's
  status follows it), and recrawl-done is recorded when the check pass is done, or when the
  crawl fails, is skipped, or is interrupted for the last time.
- `check_site(site_id, run_id, as_of, queued_at)`: the site's check pass on that run
  (govwatch.jobs.check_site: the same as after a nightly crawl, notifications included).
  While a crawl or check job of a portal the site reposts from (registry `repost_from`) is
  still queued or running, it waits (the job is retried every `check_retry_seconds`,
  freeing the worker meanwhile), so that the portals' items are recorded first, as in one
  `govwatch crawl`; after `check_wait_minutes` it checks anyway.

Dead workers (kill -9, a machine gone): every worker renews its heartbeat (procrastinate's
`procrastinate_workers` row) and that of the crawl runs it drives (crawl_runs.heartbeat_at).
Each worker looks every `recover_interval_seconds` for jobs left `doing` by a worker whose
heartbeat is older than `stalled_seconds` (JobManager.get_stalled_jobs): the job's runs
still `running` are marked interrupted and the job goes back to the queue for any worker
(or fails, its attempts used up). The retry's crawl is a new run; the interrupted run's
pages stay with it and are never taken for a complete crawl, and findings are keyed by
(site, check, url, page), so nothing is lost or counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import procrastinate
from procrastinate import exceptions as pq_exceptions
from procrastinate.jobs import Job, Status
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from core.errors import UserError
from core.settings import Settings
from core.site import LEVELS, SiteEntry, crawl_order
from govwatch import jobs

log = logging.getLogger("govwatch.worker")

QUEUE = "govwatch"
CRAWL_TASK = "govwatch.crawl_site"
CHECK_TASK = "govwatch.check_site"
CHECK_PRIORITY = 100  # a check pass before any waiting crawl: findings come out promptly

# The tasks are registered on this app; `queue_app` gives it the settings' database.
app = procrastinate.App(connector=procrastinate.PsycopgConnector(),
                        import_paths=["govwatch.queue"])


def conninfo(database_url: str) -> str:
    """libpq's connection string for a SQLAlchemy PostgreSQL URL (any driver)."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise UserError("队列需要 PostgreSQL 数据库（[workers] enabled = true）")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def queue_app(settings: Settings) -> Iterator[procrastinate.App]:
    """The app on the settings' database (not opened: `app.open()` for synchronous use, as
    in `crawl --enqueue`; `app.open_async()` in a worker)."""
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(settings.database_url),
                                               min_size=1, max_size=4)
    with app.replace_connector(connector) as replaced:
        yield replaced


def site_lock(site_id: str) -> str:
    return f"site:{site_id}"


def crawl_priority(level: str) -> int:
    """Higher first: national portals, then provinces, cities, counties, departments."""
    return len(LEVELS) - (LEVELS.index(level) if level in LEVELS else len(LEVELS))


def queue_installed(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        return bool(session.scalar(text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")))


# -- enqueueing --------------------------------------------------------------------------


@dataclass
class EnqueueOutcome:
    queued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # refused: a job of it still queued


def enqueue_crawls(settings: Settings, factory: sessionmaker[Session],
                   site_ids: Sequence[str] | None = None, *, as_of: datetime | None = None,
                   max_pages: int | None = None) -> EnqueueOutcome:
    """One crawl job per active site (or those named), portals first; a site whose job is
    still queued is not queued again. `as_of` None: each crawl is judged when it starts."""
    from crawler.probe import active_sites

    with factory() as session:
        entries = crawl_order(active_sites(session))
    if site_ids is not None:
        wanted = set(site_ids)
        entries = [e for e in entries if e.id in wanted]
    outcome = EnqueueOutcome()
    with queue_app(settings) as qapp, qapp.open():
        for entry in entries:
            try:
                defer_crawl(qapp, entry, as_of=as_of, max_pages=max_pages)
            except pq_exceptions.AlreadyEnqueued:
                outcome.already.append(entry.id)
            else:
                outcome.queued.append(entry.id)
    return outcome


def defer_crawl(qapp: procrastinate.App, entry: SiteEntry, *, as_of: datetime | None = None,
                max_pages: int | None = None, recrawl: dict[str, Any] | None = None,
                connection: Any = None) -> int:
    """Queue one site's crawl job; its id. Raises AlreadyEnqueued. `recrawl`: the
    dashboard's request whose run the job crawls (see crawl_site); `connection`: a psycopg
    connection whose transaction the job row joins."""
    kwargs: dict[str, Any] = {"site_id": entry.id,
                              "as_of": as_of.isoformat() if as_of else None,
                              "max_pages": max_pages}
    if recrawl is not None:
        kwargs["recrawl"] = recrawl
    return qapp.configure_task(
        CRAWL_TASK, queue=QUEUE, lock=site_lock(entry.id), queueing_lock=f"crawl:{entry.id}",
        priority=crawl_priority(entry.level), connection=connection,
    ).defer(**kwargs)


class QueuedRecrawler:
    """The dashboard's 重新抓取本站 with `[workers] enabled` (web.recrawl.RecrawlQueue): the
    site's crawl job, queued in the transaction that creates its run and records the
    request, for a worker to crawl that run (crawl_site's `recrawl`)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def check(self, session: Session, site_id: str) -> None:
        """Refused when a crawl job of the site is queued or running (the queueing lock
        would refuse the first; the second's crawl may not have started its run yet)."""
        from web.recrawl import Refused

        if session.scalar(text(
                "SELECT count(*) FROM procrastinate_jobs WHERE task_name = :task "
                "AND status IN ('todo', 'doing') AND lock = :lock"),
                {"task": CRAWL_TASK, "lock": site_lock(site_id)}):
            raise Refused(ALREADY_QUEUED)

    def enqueue(self, session: Session, site_id: str, run_id: int, as_of: datetime,
                requested_by: str) -> None:
        from crawler.probe import active_sites
        from web.recrawl import Refused

        entry = next(e for e in active_sites(session) if e.id == site_id)  # checked active
        # The job row joins the session's transaction: committed with the run and the
        # request, or rolled back with them.
        connection = session.connection().connection.driver_connection
        with queue_app(self.settings) as qapp:
            try:
                defer_crawl(qapp, entry, as_of=as_of,
                            recrawl={"run": run_id, "by": requested_by},
                            connection=connection)
            except pq_exceptions.AlreadyEnqueued:
                raise Refused(ALREADY_QUEUED) from None
        log.info("recrawl #%s of %s queued for the workers", run_id, site_id)


ALREADY_QUEUED = "本站的抓取任务已在队列中或正在进行（等待抓取节点完成），请等待其结束后再试"


# -- the tasks -----------------------------------------------------------------------------


class CrawlInterrupted(Exception):
    """The crawl was stopped (the worker's SIGTERM): the job is tried again."""


class CrawlFailed(Exception):
    """The crawl failed or timed out (recorded on its run): the job fails."""


class ChecksWaiting(Exception):
    """A portal the site reposts from is still being crawled or checked."""


def _settings() -> Settings:
    return jobs.runtime().settings


class _CrawlRetry(procrastinate.BaseRetryStrategy):
    """An interrupted crawl is tried again at once, up to `[workers] max_attempts` in all."""

    def get_retry_decision(self, *, exception: BaseException, job: Job
                           ) -> procrastinate.RetryDecision | None:
        if not isinstance(exception, CrawlInterrupted):
            return None
        if job.attempts + 1 >= _settings().workers.max_attempts:
            return None
        return procrastinate.RetryDecision(retry_in={"seconds": 0})


class _CheckRetry(procrastinate.BaseRetryStrategy):
    """A check waiting for its portals looks again after `check_retry_seconds`."""

    def get_retry_decision(self, *, exception: BaseException, job: Job
                           ) -> procrastinate.RetryDecision | None:
        if not isinstance(exception, ChecksWaiting):
            return None
        return procrastinate.RetryDecision(retry_at=datetime.now(UTC) + timedelta(
            seconds=_settings().workers.check_retry_seconds))


def _entry(rt: jobs.Runtime, site_id: str) -> SiteEntry | None:
    from crawler.probe import active_sites

    with rt.factory() as session:
        return next((e for e in active_sites(session) if e.id == site_id), None)


def _parse(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@app.task(name=CRAWL_TASK, queue=QUEUE, pass_context=True, retry=_CrawlRetry())
def crawl_site(context: procrastinate.JobContext, site_id: str, as_of: str | None = None,
               max_pages: int | None = None, recrawl: dict[str, Any] | None = None) -> str:
    """`recrawl` ({"run": id, "by": user name}): the dashboard's 重新抓取本站, whose run this
    job crawls (adopted: repo.adopt_run; a retry crawls under a new run and records it as
    recrawl-retry), recording recrawl-done when it ends (here when the crawl does not
    finish, else after its check pass, check_site)."""
    rt = jobs.runtime()
    job = context.job
    assert job.id is not None
    last_attempt = job.attempts + 1 >= rt.settings.workers.max_attempts
    entry = _entry(rt, site_id)
    if entry is None:
        log.warning("job %s: crawl of %s dropped: not a registered active site", job.id,
                    site_id)
        if recrawl is not None:
            _recrawl_ends(rt, site_id, recrawl, _unadopted(rt, recrawl, job.id),
                          "未抓取: 站点不存在或已停用", failed=True)
        return "not registered"
    adopt = None
    if recrawl is not None:
        adopt = {site_id: _adopt(rt, site_id, recrawl, job.id, job.attempts + 1)}
    report = jobs.crawl_sites(rt, [entry], concurrency=1, as_of=_parse(as_of),
                              max_pages=max_pages, job_id=job.id, check=False, adopt=adopt)
    run_id = report.runs.get(site_id) or (adopt or {}).get(site_id)
    if site_id in report.finished and run_id is not None:
        with rt.factory() as session:
            run_as_of = session.scalar(text("SELECT as_of FROM crawl_runs WHERE id = :id"),
                                       {"id": run_id})
        context.app.configure_task(CHECK_TASK, queue=QUEUE, lock=site_lock(site_id),
                                   priority=CHECK_PRIORITY).defer(
            site_id=site_id, run_id=run_id,
            as_of=(run_as_of or datetime.now(UTC)).isoformat(),
            queued_at=datetime.now(UTC).isoformat(), recrawl=recrawl)
        pages = _run_pages(rt, run_id)
        log.info("job %s: crawl of %s finished (run #%s, %s pages, attempt %s); checks queued",
                 job.id, site_id, run_id, pages, job.attempts + 1)
        return f"run #{run_id} finished"
    if site_id in report.interrupted or (site_id in report.skipped and rt.stop.is_set()):
        log.info("job %s: crawl of %s interrupted (run #%s, attempt %s); back to the queue",
                 job.id, site_id, run_id, job.attempts + 1)
        if recrawl is not None and run_id is not None:
            with rt.factory.begin() as session:  # adopted but never started: not left running
                from store import repo

                repo.interrupt_job_runs(session, job.id, "worker stopped before the crawl")
            if last_attempt:
                _recrawl_ends(rt, site_id, recrawl, run_id,
                              "抓取被中断（抓取节点停止，已达最多尝试次数）", failed=True)
        raise CrawlInterrupted(f"crawl of {site_id} interrupted")
    if site_id in report.skipped:
        log.info("job %s: crawl of %s skipped: another crawl of it is running", job.id,
                 site_id)
        if recrawl is not None and run_id is not None:
            _recrawl_ends(rt, site_id, recrawl, run_id,
                          "未抓取: 本站另有抓取正在进行", failed=True)
        return "skipped"
    log.info("job %s: crawl of %s failed (run #%s)", job.id, site_id, run_id)
    if recrawl is not None and run_id is not None:
        _recrawl_ends(rt, site_id, recrawl, run_id,
                      jobs.recrawl_outcome(rt, run_id, report, "抓取节点"))
    raise CrawlFailed(f"crawl of {site_id} failed (run #{run_id})")


def _adopt(rt: jobs.Runtime, site_id: str, recrawl: dict[str, Any], job_id: int,
           attempt: int) -> int:
    """The run this attempt of a re-crawl job crawls: the dashboard's, still waiting, or
    (a retry: the first attempt's run was interrupted) a new one, recorded as recrawl-retry
    so that the dashboard's status follows it."""
    from store import models as m
    from store import repo
    from store import review as rv

    with rt.factory.begin() as session:
        run = session.get(m.CrawlRun, recrawl["run"], with_for_update=True)
        if run is not None and run.status == repo.RUNNING and (
                (run.stats or {}).get("job") is None):
            repo.adopt_run(session, run, job_id)
            return run.id
        repo.interrupt_job_runs(session, job_id, "superseded by a retry of its job")
        as_of = run.as_of if run is not None else jobs._now(rt.settings)
        new = repo.create_run(session, [site_id], as_of, heartbeat=True, job_id=job_id)
        note = (f"抓取 #{recrawl['run']} 未完成（{_status_zh(run)}），"
                f"第 {attempt} 次尝试改用抓取 #{new.id}")
        rv.record_site_event(session, site_id, _system(recrawl), "recrawl-retry",
                             jobs._now(rt.settings), crawl_run_id=new.id, detail=note)
        log.info("job %s: recrawl #%s of %s retried as run #%s", job_id, recrawl["run"],
                 site_id, new.id)
        return new.id


def _status_zh(run: Any) -> str:
    labels = {"interrupted": "已中断", "failed": "失败", "finished": "已完成",
              "running": "进行中"}
    return labels.get(run.status, run.status) if run is not None else "不存在"


def _unadopted(rt: jobs.Runtime, recrawl: dict[str, Any], job_id: int) -> int | None:
    """The re-crawl's run when no crawl will run for it: ended as failed if still waiting."""
    from store import models as m
    from store import repo

    with rt.factory.begin() as session:
        run = session.get(m.CrawlRun, recrawl["run"], with_for_update=True)
        if run is None:
            return None
        if run.status == repo.RUNNING and (run.stats or {}).get("job") in (None, job_id):
            run.status, run.finished_at = repo.FAILED, repo.utcnow()
            run.error = "site not registered or inactive"
        return run.id


def _system(recrawl: dict[str, Any]) -> Any:
    from store import review as rv

    # Recorded under the requester's name, as the system's step (as web.recrawl does).
    return rv.Actor(str(recrawl.get("by", ""))[:64], rv.SYSTEM, None)


def _recrawl_ends(rt: jobs.Runtime, site_id: str, recrawl: dict[str, Any],
                  run_id: int | None, outcome: str, *, failed: bool = False) -> None:
    """Record recrawl-done for the dashboard (on the run crawled last). `failed`: the run,
    if still running, ends failed (never left running for the dashboard to wait on)."""
    from store import models as m
    from store import repo
    from store import review as rv

    if run_id is not None and run_id != recrawl.get("run"):
        outcome = f"{outcome}（重试的抓取 #{run_id}）"
    with rt.factory.begin() as session:
        if failed and run_id is not None:
            run = session.get(m.CrawlRun, run_id)
            if run is not None and run.status == repo.RUNNING:
                run.status, run.finished_at = repo.FAILED, repo.utcnow()
                run.error = outcome
        rv.record_site_event(session, site_id, _system(recrawl), "recrawl-done",
                             jobs._now(rt.settings), crawl_run_id=run_id, detail=outcome)
    log.info("recrawl #%s of %s: %s", run_id, site_id, outcome)


def _run_pages(rt: jobs.Runtime, run_id: int) -> Any:
    from store import models as m

    with rt.factory() as session:
        run = session.get(m.CrawlRun, run_id)
        return (run.stats or {}).get("pages", 0) if run is not None else 0


def pending_portals(session: Session, portals: Sequence[str]) -> list[str]:
    """Those of `portals` with a crawl or check job still queued or running."""
    if not portals:
        return []
    locks = {site_lock(p): p for p in portals}
    rows = session.scalars(text(
        "SELECT DISTINCT lock FROM procrastinate_jobs WHERE status IN ('todo', 'doing') "
        "AND lock IN :locks").bindparams(bindparam("locks", expanding=True)),
        {"locks": list(locks)})
    return sorted(locks[lock] for lock in rows)


@app.task(name=CHECK_TASK, queue=QUEUE, pass_context=True, retry=_CheckRetry())
def check_site(context: procrastinate.JobContext, site_id: str, run_id: int, as_of: str,
               queued_at: str, recrawl: dict[str, Any] | None = None) -> str:
    rt = jobs.runtime()
    job = context.job
    entry = _entry(rt, site_id)
    if entry is None:
        return "not registered"
    waited = datetime.now(UTC) - datetime.fromisoformat(queued_at)
    if waited < timedelta(minutes=rt.settings.workers.check_wait_minutes):
        with rt.factory() as session:
            pending = pending_portals(session, [p for p in entry.repost_from if p != site_id])
        if pending:
            raise ChecksWaiting(f"waiting for {', '.join(pending)}")
    else:
        log.warning("job %s: checks of %s no longer wait for its portals (%s)", job.id,
                    site_id, waited)
    report = jobs.CrawlReport(finished=[site_id])
    moment = datetime.fromisoformat(as_of)
    jobs.check_site(rt, site_id, run_id, moment, report)
    if recrawl is not None:  # the dashboard's re-crawl is done
        _recrawl_ends(rt, site_id, recrawl, run_id,
                      jobs.recrawl_outcome(rt, run_id, report, "抓取节点"))
    if report.check_errors:
        raise RuntimeError(f"checks of {site_id} (run #{run_id}) failed")
    log.info("job %s: checks of %s done (run #%s)", job.id, site_id, run_id)
    return "checked"


# -- dead workers ----------------------------------------------------------------------------


async def recover_stalled(qapp: procrastinate.App, settings: Settings,
                          factory: sessionmaker[Session]) -> list[int]:
    """Jobs left `doing` by a worker whose heartbeat stopped: their runs are marked
    interrupted and they go back to the queue (or fail, attempts used up). Their ids.
    Several workers may race for the same job: the loser's retry is refused and ignored."""
    import asyncio

    from store import repo

    workers = settings.workers
    stalled = await qapp.job_manager.get_stalled_jobs(
        queue=QUEUE, seconds_since_heartbeat=workers.stalled_seconds)
    recovered = []
    for job in stalled:
        assert job.id is not None

        def interrupt(job_id: int = job.id) -> list[int]:
            with factory.begin() as session:
                return repo.interrupt_job_runs(
                    session, job_id, "worker heartbeat stopped (killed or gone?); retried")

        runs = await asyncio.to_thread(interrupt)
        give_up = job.task_name == CRAWL_TASK and job.attempts + 1 >= workers.max_attempts
        try:
            if give_up:
                await qapp.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
            else:
                await qapp.job_manager.retry_job(job)
        except Exception as exc:  # another worker recovered it first
            log.debug("stalled job %s not recovered here: %s", job.id, exc)
            continue
        recovered.append(job.id)
        site = job.task_kwargs.get("site_id")
        recrawl = job.task_kwargs.get("recrawl")
        if give_up and isinstance(recrawl, dict) and isinstance(site, str):
            # The dashboard's re-crawl will not be tried again: say so on its page.
            first = recrawl.get("run")
            last = runs[-1] if runs else first if isinstance(first, int) else None
            await asyncio.to_thread(
                _recrawl_ends, jobs.Runtime(settings, factory), site, recrawl, last,
                "抓取中断（抓取节点失联，已达最多尝试次数）", failed=True)
        log.warning("job %s (%s of %s) stalled: its worker stopped beating; %s%s", job.id,
                    job.task_name, site, "failed (attempts used up)" if give_up else "requeued",
                    f"; run {', '.join(f'#{r}' for r in runs)} interrupted" if runs else "")
    await asyncio.to_thread(_reap, factory, settings)
    return recovered


def _reap(factory: sessionmaker[Session], settings: Settings) -> None:
    from store import repo

    with factory.begin() as session:
        repo.reap_dead_runs(session, timedelta(seconds=settings.workers.stalled_seconds))
