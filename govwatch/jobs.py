"""The scheduler's jobs (scheduler.py names them by textual reference, without arguments).

They run in the scheduler's worker threads of `govwatch serve`, which installs the `Runtime`
(settings, database, a stop signal) first; run standalone (a REPL, a one-off), they load the
settings the usual way. Every job logs one summary line; an exception is logged with its
traceback (by APScheduler) and the scheduler carries on with the next run.

- crawl_sites, the nightly crawl (govwatch.dispatch.crawl_all). One crawl process per site
  (`python -m crawler.run`, as `govwatch crawl` does), at most `[scheduler]
  crawl_concurrency` at a time, portals before the sites below them (the repost rule needs
  the portals' items first); a crawl still running after `crawl_timeout_minutes` is stopped
  (SIGTERM, then SIGKILL) and recorded as failed. A site still being crawled by a live
  process (a manual `govwatch crawl`) is skipped; a crawl process stops by itself if serve
  dies (store.process). Each crawl that finishes is checked at once
  (checks.runner.run_checks) and its new veto findings announced (govwatch.notify). On
  shutdown, crawls not started are skipped and running ones get SIGTERM: they write what
  they hold and end `interrupted`. The process driving the crawls renews each run's
  heartbeat (crawl_runs.heartbeat_at), so that another host can tell when it died. With
  `[workers] enabled`, crawl_all only queues one job per site for the `govwatch worker`
  processes (govwatch.queue), which run `crawl_sites` for one site.
- probe_all: one availability probe of every home page (crawler.probe).
- repost_watch: the hourly repost watch (govwatch.watch).
- report_monthly / report_quarterly / report_annual: the reports of the period just ended,
  through reports.cli.generate, in `[scheduler] report_formats` under `report_dir`.
- notify_pending: retry notifications that failed (veto notices and today's digests).
- notify_digest: the daily digest of each site to its webmasters and the supervisors'
  summary (govwatch.notify.send_digests), at `[scheduler] digest_time`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.settings import Settings, load_settings
from core.site import SiteEntry

log = logging.getLogger("govwatch.jobs")

ROOT = Path(__file__).resolve().parent.parent
KILL_GRACE = 60.0  # seconds a crawl told to stop gets to write its batch before SIGKILL
POLL = 0.5  # seconds between looks at the running crawls


@dataclass
class Runtime:
    """What the jobs share with the `serve` process that runs them."""

    settings: Settings
    factory: sessionmaker[Session]
    stop: threading.Event = field(default_factory=threading.Event)
    # Running crawl processes, so that shutdown can stop them (pid -> process).
    children: dict[int, subprocess.Popen[bytes]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _terminated: set[int] = field(default_factory=set)

    def terminate(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGTERM a crawl, once: Scrapy takes a second signal as "stop now, uncleanly"."""
        with self.lock:
            if proc.pid in self._terminated:
                return
            self._terminated.add(proc.pid)
        _signal(proc, signal.SIGTERM)

    def request_stop(self) -> None:
        """Shutdown: no new work; running crawls are told to stop gracefully (they write
        what they hold and end `interrupted`)."""
        self.stop.set()
        with self.lock:
            children = list(self.children.values())
        for child in children:
            self.terminate(child)


_runtime: Runtime | None = None
_runtime_lock = threading.Lock()


def install(runtime: Runtime | None) -> None:
    global _runtime
    with _runtime_lock:
        _runtime = runtime


def runtime() -> Runtime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            from store.session import make_engine, session_factory

            settings = load_settings()
            _runtime = Runtime(settings, session_factory(make_engine(settings.database_url)))
        return _runtime


def _now(settings: Settings) -> datetime:
    return datetime.now(ZoneInfo(settings.timezone))


def _signal(proc: subprocess.Popen[bytes], signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # it has just ended
        proc.send_signal(signum)


# -- the nightly crawl -----------------------------------------------------------------------


def crawl_env(settings: Settings) -> dict[str, str]:
    """The environment of a crawl process: the same database and settings file as ours."""
    env = dict(os.environ)
    env["GOVWATCH_DATABASE_URL"] = settings.database_url
    if settings.source != "<defaults>" and Path(settings.source).is_file():
        env["GOVWATCH_SETTINGS"] = str(Path(settings.source).resolve())
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    return env


@dataclass
class _Crawl:
    site_id: str
    run_id: int
    as_of: datetime
    proc: subprocess.Popen[bytes]
    started: float
    stopping_since: float | None = None  # when SIGTERM was sent (timeout or shutdown)
    timed_out: bool = False


@dataclass
class CrawlReport:
    finished: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # failed or timed out
    interrupted: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not started (shutdown, still running)
    check_errors: list[str] = field(default_factory=list)
    runs: dict[str, int] = field(default_factory=dict)  # site -> its crawl run
    queued: list[str] = field(default_factory=list)  # handed to the workers (govwatch.dispatch)
    enqueued: bool = False  # the crawls were queued for the workers, not run here

    def line(self) -> str:
        if self.enqueued:
            return (f"夜间抓取已加入队列: {len(self.queued)} 个站点"
                    f"（已在队列中而跳过 {len(self.skipped)}）")
        parts = [f"夜间抓取完成: 完成 {len(self.finished)}", f"失败 {len(self.failed)}",
                 f"中断 {len(self.interrupted)}"]
        if self.skipped:
            parts.append(f"未开始 {len(self.skipped)}")
        if self.check_errors:
            parts.append(f"检查出错 {len(self.check_errors)}")
        return "，".join(parts)


def crawl_command(run_id: int, settings: Settings, max_pages: int | None = None) -> list[str]:
    cmd = [sys.executable, "-m", "crawler.run", "--run-id", str(run_id), "--quiet",
           "--parent-pid", str(os.getpid())]  # the crawl stops if serve dies
    pages = max_pages or settings.scheduler.crawl_max_pages
    if pages:
        cmd += ["--max-pages", str(pages)]
    return cmd


def _launch(rt: Runtime, entry: SiteEntry, as_of: datetime | None = None,
            max_pages: int | None = None, job_id: int | None = None,
            run_id: int | None = None) -> _Crawl:
    """Start the crawl process of `entry`, under a new run or the adopted `run_id`."""
    from store import models as m
    from store import repo

    settings = rt.settings
    with rt.factory.begin() as session:
        if run_id is None:
            as_of = as_of or _now(settings)
            run_id = repo.create_run(session, [entry.id], as_of, heartbeat=True,
                                     job_id=job_id).id
        else:
            run = session.get(m.CrawlRun, run_id)
            assert run is not None
            as_of = run.as_of
    cmd = crawl_command(run_id, settings, max_pages)
    # Its own session: a Ctrl-C on serve's terminal must not reach it as well as our own
    # SIGTERM (Scrapy takes a second signal as "stop now, uncleanly").
    proc = subprocess.Popen(cmd, env=crawl_env(settings), cwd=os.getcwd(),
                            stdin=subprocess.DEVNULL, start_new_session=True)
    with rt.lock:
        rt.children[proc.pid] = proc
    log.info("crawl #%s of %s started (pid %s)", run_id, entry.id, proc.pid)
    return _Crawl(entry.id, run_id, as_of, proc, time.monotonic())


def _finish(rt: Runtime, crawl: _Crawl, code: int, report: CrawlReport,
            check: bool = True) -> None:
    from store import models as m
    from store import repo

    with rt.lock:
        rt.children.pop(crawl.proc.pid, None)
        rt._terminated.discard(crawl.proc.pid)
    minutes = rt.settings.scheduler.crawl_timeout_minutes
    with rt.factory.begin() as session:
        run = session.get(m.CrawlRun, crawl.run_id)
        assert run is not None
        if run.status == repo.RUNNING:  # the process died without saying so (SIGKILL)
            run.status = repo.INTERRUPTED if crawl.stopping_since and not crawl.timed_out \
                else repo.FAILED
            run.finished_at = repo.utcnow()
            run.error = run.error or f"crawl process ended with code {code}"
        if crawl.timed_out:
            run.status = repo.FAILED
            run.error = f"抓取超时（超过 {minutes:g} 分钟），已终止" + (
                f"; {run.error}" if run.error else "")
        status = run.status
    log.info("crawl #%s of %s: %s", crawl.run_id, crawl.site_id, status)
    report.runs[crawl.site_id] = crawl.run_id
    if status == repo.FINISHED:
        report.finished.append(crawl.site_id)
        if check:
            check_site(rt, crawl.site_id, crawl.run_id, crawl.as_of, report)
    elif status == repo.INTERRUPTED:
        report.interrupted.append(crawl.site_id)
    else:
        report.failed.append(crawl.site_id)


def check_site(rt: Runtime, site_id: str, run_id: int, as_of: datetime,
               report: CrawlReport) -> None:
    """The check pass of one site's finished crawl, then its new veto findings announced.
    A failure is logged with its traceback and noted in `report` (the other sites go on)."""
    from checks.runner import run_checks

    try:
        summary = run_checks(rt.factory, rt.settings, site_ids=[site_id], now=as_of,
                             crawl_run_id=run_id)
    except Exception:
        # Loud, with the traceback: a check pass that fails must be seen; the other sites'
        # crawls and checks go on.
        log.exception("checks of crawl #%s (%s) failed", run_id, site_id)
        report.check_errors.append(site_id)
        return
    c = summary.counts
    log.info("checks of %s: %s open (%s new, %s fixed)", site_id, c.open, c.new, c.fixed)
    notify_new(rt)


def crawl_sites(rt: Runtime, entries: list[SiteEntry], *, concurrency: int,
                as_of: datetime | None = None, max_pages: int | None = None,
                job_id: int | None = None, check: bool = True,
                adopt: Mapping[str, int] | None = None) -> CrawlReport:
    """Crawl `entries` in order, each in its own crawl process, at most `concurrency` at
    once; each finished crawl is checked at once unless `check` is false (its run is in the
    report). The nightly crawl's loop, and a worker's job (govwatch.queue) for one site.
    `adopt`: site -> a run already created for it (repo.adopt_run), crawled instead of a
    new one (as of that run's `as_of`)."""
    from store import repo

    sched = rt.settings.scheduler
    stale = timedelta(seconds=rt.settings.workers.stalled_seconds)
    adopted = dict(adopt or {})
    report = CrawlReport()
    with rt.factory.begin() as session:
        repo.reap_dead_runs(session, stale)
        busy = {s for run in repo.running_runs(session, [e.id for e in entries],
                                               timedelta(minutes=sched.crawl_timeout_minutes))
                if run.id not in adopted.values() for s in run.site_ids}
    for entry in entries:
        if entry.id in busy:  # still being crawled by a live process (a manual crawl)
            log.warning("crawl of %s skipped: a crawl of it is still running", entry.id)
            report.skipped.append(entry.id)
    pending = deque(e for e in entries if e.id not in busy)
    active: list[_Crawl] = []
    limit = timedelta(minutes=sched.crawl_timeout_minutes).total_seconds()
    beat_every = rt.settings.workers.heartbeat_seconds
    last_beat = time.monotonic()
    while pending or active:
        if rt.stop.is_set():
            report.skipped += [e.id for e in pending]
            pending.clear()
            for crawl in active:
                if crawl.stopping_since is None:
                    crawl.stopping_since = time.monotonic()
                    rt.terminate(crawl.proc)  # a no-op if request_stop already did
        while pending and len(active) < concurrency:
            entry = pending.popleft()
            active.append(_launch(rt, entry, as_of, max_pages, job_id, adopted.get(entry.id)))
        time.sleep(POLL)
        now = time.monotonic()
        if active and now - last_beat >= beat_every:
            last_beat = now
            try:
                with rt.factory.begin() as session:
                    repo.heartbeat_runs(session, [c.run_id for c in active])
            except SQLAlchemyError as exc:  # the database is away: the next beat may do
                log.warning("heartbeat of crawl runs failed: %s", exc)
        for crawl in list(active):
            code = crawl.proc.poll()
            if code is not None:
                active.remove(crawl)
                _finish(rt, crawl, code, report, check)
            elif crawl.stopping_since is None and now - crawl.started > limit:
                log.warning("crawl #%s of %s exceeded %g minutes; stopping it", crawl.run_id,
                            crawl.site_id, sched.crawl_timeout_minutes)
                crawl.timed_out = True
                crawl.stopping_since = now
                rt.terminate(crawl.proc)
            elif crawl.stopping_since is not None and now - crawl.stopping_since > KILL_GRACE:
                log.warning("crawl #%s of %s did not stop; killing it", crawl.run_id,
                            crawl.site_id)
                _signal(crawl.proc, signal.SIGKILL)
    return report


def crawl_site(rt: Runtime, site_id: str, run_id: int, as_of: datetime) -> str:
    """One site's crawl under the already created run `run_id` (the dashboard's 重新抓取本站,
    web.recrawl), exactly as crawl_all runs each site: its own process, the crawl time limit,
    SIGTERM on shutdown, then the check pass judged as of `as_of`. Returns how it ended, in
    Chinese, for the site's page."""

    proc = subprocess.Popen(crawl_command(run_id, rt.settings), env=crawl_env(rt.settings),
                            cwd=os.getcwd(), stdin=subprocess.DEVNULL, start_new_session=True)
    with rt.lock:
        rt.children[proc.pid] = proc
    log.info("recrawl #%s of %s started (pid %s)", run_id, site_id, proc.pid)
    crawl = _Crawl(site_id, run_id, as_of, proc, time.monotonic())
    limit = timedelta(minutes=rt.settings.scheduler.crawl_timeout_minutes).total_seconds()
    while (code := proc.poll()) is None:
        time.sleep(POLL)
        now = time.monotonic()
        if crawl.stopping_since is None and (rt.stop.is_set() or now - crawl.started > limit):
            crawl.timed_out = not rt.stop.is_set()
            crawl.stopping_since = now
            rt.terminate(proc)
        elif crawl.stopping_since is not None and now - crawl.stopping_since > KILL_GRACE:
            _signal(proc, signal.SIGKILL)
    report = CrawlReport()
    _finish(rt, crawl, code, report)
    return recrawl_outcome(rt, run_id, report, "服务")


def recrawl_outcome(rt: Runtime, run_id: int, report: CrawlReport, who: str) -> str:
    """How a re-crawl ended, in Chinese, for the site's page (web.recrawl): the crawl of
    `run_id` and, when it finished, its check pass as `report` says. `who` ran it (服务,
    worker), for the words on a stop or an error."""
    from store import models as m

    with rt.factory() as session:
        run = session.get(m.CrawlRun, run_id)
        pages = int((run.stats or {}).get("pages", 0)) if run is not None else 0
        error = (run.error or "") if run is not None else ""
    if report.finished and not report.check_errors:
        return f"抓取完成（{pages} 个页面）并已重新检查"
    if report.check_errors:
        return f"抓取完成，但检查出错（详见{who}日志）"
    if report.interrupted:
        return f"抓取被中断（{who}停止）"
    return f"抓取失败: {error}"[:500] if error else "抓取失败"


class SiteRecrawler:
    """web.recrawl.Launcher over crawl_site, with a Runtime of its own: `govwatch serve`
    gives one to the dashboard (create_app's `recrawler`)."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.rt = Runtime(settings, factory)

    def run(self, site_id: str, run_id: int, as_of: datetime) -> str:
        return crawl_site(self.rt, site_id, run_id, as_of)

    def stop(self) -> None:
        self.rt.request_stop()


# -- probes, repost watch, notifications -----------------------------------------------------


def probe_all() -> None:
    from crawler.probe import probe_sites, summary_line

    rt = runtime()
    outcomes = probe_sites(rt.factory, rt.settings, None, stop=rt.stop)
    log.info(summary_line(outcomes))


def repost_watch() -> None:
    from govwatch.watch import repost_watch as watch
    from govwatch.watch import summary_line

    rt = runtime()
    results = watch(rt.factory, rt.settings, _now(rt.settings), stop=rt.stop)
    log.info(summary_line(results))


def notify_new(rt: Runtime | None = None) -> None:
    from govwatch.notify import send_pending

    rt = rt or runtime()
    report = send_pending(rt.factory, rt.settings, now=_now(rt.settings))
    if report.messages or report.failed:
        log.info("veto notices: %s messages sent, %s failed", report.messages,
                 len({r for _, r, _ in report.failed}))


def notify_pending() -> None:
    from govwatch.notify import digest_moment, send_digests

    rt = runtime()
    notify_new(rt)
    if rt.settings.scheduler.digest_enabled:  # retry today's digests that failed
        now = _now(rt.settings)
        send_digests(rt.factory, rt.settings, digest_moment(rt.settings, now), now=now,
                     retry_only=True)


def notify_digest() -> None:
    from govwatch.notify import digest_moment, send_digests

    rt = runtime()
    now = _now(rt.settings)
    report = send_digests(rt.factory, rt.settings, digest_moment(rt.settings, now), now=now)
    log.info("daily notices of %s: %s sent, %s failed", report.day, len(report.sent),
             len(report.failed))


# -- reports ---------------------------------------------------------------------------------


def previous_period(kind: str, now: datetime) -> str:
    """The period that ended before `now`: "2026-10", "2026-Q3", "2025"."""
    if kind == "monthly":
        year, month = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
        return f"{year}-{month:02d}"
    if kind == "quarterly":
        quarter = (now.month - 1) // 3  # the current quarter's index 0..3
        year, previous = (now.year, quarter) if quarter > 0 else (now.year - 1, 4)
        return f"{year}-Q{previous}"
    if kind == "annual":
        return str(now.year - 1)
    raise ValueError(kind)


def _report(kind: str) -> list[Path]:
    rt = runtime()
    try:
        from reports.cli import ReportUsageError, generate
    except ImportError as exc:  # the reports package is optional for the service
        log.warning("reports unavailable, %s report skipped: %s", kind, exc)
        return []
    period = previous_period(kind, _now(rt.settings))
    out = Path(rt.settings.scheduler.report_dir)
    written = []
    for fmt in rt.settings.scheduler.report_formats:
        if rt.stop.is_set():
            break
        try:
            generated = generate(rt.settings, kind, period, fmt=fmt, out=out)
        except ReportUsageError as exc:  # e.g. nothing was checked in the period
            log.warning("%s report %s (%s) not written: %s", kind, period, fmt, exc)
            continue
        except Exception:  # one format failing (a missing browser for PDF) spares the others
            log.exception("%s report %s (%s) failed", kind, period, fmt)
            continue
        written.append(generated.report)
        log.info("%s report %s written: %s", kind, period, generated.report)
    return written


def report_monthly() -> None:
    _report("monthly")


def report_quarterly() -> None:
    _report("quarterly")


def report_annual() -> None:
    _report("annual")
