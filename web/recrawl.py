"""「重新抓取本站」: a webmaster (or a supervisor) asks for a crawl and check pass of one site
now, so that findings only a whole crawl can judge (columns.stale, home.stale, content.*)
can be cleared before the nightly crawl.

The request is accepted here — the user may act on the site, the site's last request is
older than `[rectify] recrawl_interval_minutes` (rate limit per site, on the real clock), and
no crawl of the site is running — in one transaction that creates the crawl run and records
the request in the audit trail (finding_events, action recrawl). The crawl itself runs in
the background, in its own process as the nightly crawl runs it: the `Launcher` is given by
the shell (govwatch.jobs.SiteRecrawler, which `govwatch serve` passes to web.app.create_app),
so the dashboard never imports the scheduler's machinery and never waits for a crawl. When
it ends, its result is recorded (action recrawl-done) and shown on the site's page.

With `[workers] enabled` the shell gives a `RecrawlQueue` instead (govwatch.queue.
QueuedRecrawler): the same transaction that creates the run and records the request also
queues the site's crawl job for the `govwatch worker` processes (the nightly crawl's job,
with its queueing lock), so nothing runs in the dashboard's process; a site whose crawl is
already queued is refused, nothing written. The worker's job crawls that very run, then
its check pass, and records recrawl-done. Should the job be retried (its worker died or
was stopped), the retry crawls under a new run and records it (action recrawl-retry): the
status shown follows that run.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from store import models as m
from store import repo
from store import review as rv

log = logging.getLogger("govwatch.web")


class Launcher(Protocol):
    """Runs one site's crawl under the already created run `run_id`, judged as of `as_of`,
    then its check pass; blocks until both end and returns a line of Chinese saying how it
    ended. `stop` asks running crawls to end (the dashboard is shutting down)."""

    def run(self, site_id: str, run_id: int, as_of: datetime) -> str: ...

    def stop(self) -> None: ...


@runtime_checkable
class RecrawlQueue(Protocol):
    """Queues one site's crawl under the already created run `run_id` for the workers, in
    `session`'s transaction (committed with the run and the request, or not at all). Raises
    Refused when the site's crawl is already queued or under way; `check` says so before
    anything is written."""

    def check(self, session: Session, site_id: str) -> None: ...

    def enqueue(self, session: Session, site_id: str, run_id: int, as_of: datetime,
                requested_by: str) -> None: ...


class Refused(Exception):
    """A re-crawl not started; the message is for the person who asked."""


@dataclass(frozen=True, slots=True)
class RecrawlStatus:
    """The site's latest re-crawl request, for its page."""

    asked_at: str
    asked_by: str
    state: str  # running | finished | failed | interrupted
    state_label: str
    detail: str
    next_allowed: str  # local time from which another may be asked; "" when now


STATE_LABELS = {"running": "进行中", "finished": "已完成", "failed": "失败",
                "interrupted": "已中断"}


def _local(at: datetime, tz: ZoneInfo) -> str:
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M")


def status(session: Session, site_id: str, interval: timedelta, now: datetime, tz: ZoneInfo
           ) -> RecrawlStatus | None:
    last = rv.last_recrawl(session, site_id)
    if last is None:
        return None
    retry = rv.recrawl_retry(session, last)  # the run a worker's retry crawls instead
    run_id = retry.crawl_run_id if retry is not None else last.crawl_run_id
    run = session.get(m.CrawlRun, run_id) if run_id else None
    done = rv.recrawl_done(session, run_id) if run_id else None
    state = run.status if run is not None else "failed"
    if state == repo.RUNNING and done is not None:
        state = repo.FAILED
    if state == repo.FINISHED and done is None:
        state = repo.RUNNING  # crawled; the check pass is still going
    detail = done.detail if done is not None else retry.detail if retry is not None else ""
    allowed = last.at + interval
    return RecrawlStatus(
        asked_at=_local(last.at, tz), asked_by=last.user_name, state=state,
        state_label=STATE_LABELS.get(state, state), detail=detail,
        next_allowed=_local(allowed, tz) if allowed > now else "")


class Recrawls:
    """Accepts re-crawl requests and runs them in background threads (a Launcher), or
    queues them for the workers (a RecrawlQueue)."""

    def __init__(self, factory: sessionmaker[Session], launcher: Launcher | RecrawlQueue | None,
                 interval_minutes: int, tz: ZoneInfo) -> None:
        self.factory = factory
        self.launcher = launcher
        self.interval = timedelta(minutes=interval_minutes)
        self.tz = tz
        self.threads: list[threading.Thread] = []
        self.lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.launcher is not None

    @property
    def queued(self) -> bool:
        """Re-crawls go to the workers' queue (not run by this process)."""
        return isinstance(self.launcher, RecrawlQueue)

    def request(self, site_id: str, actor: rv.Actor, as_of: datetime, now: datetime) -> int:
        """Accept a request (see the module docstring) and start it; returns the crawl run id.
        Raises Refused, having written nothing, when it cannot start."""
        if self.launcher is None:
            raise Refused("本看板未启用重新抓取（由 govwatch serve 提供）")
        if not actor.may_act_on(site_id):
            raise Refused("无权重新抓取该站点")
        with self.factory() as session, session.begin():
            site = session.get(m.Site, site_id, with_for_update=True)
            if site is None or not site.active:
                raise Refused("站点不存在或已停用")
            last = rv.last_recrawl(session, site_id)
            if last is not None and last.at + self.interval > now:
                minutes = int(self.interval.total_seconds() // 60)
                raise Refused(
                    f"本站已于 {_local(last.at, self.tz)} 申请过重新抓取；每 {minutes} 分钟"
                    f"最多一次，请于 {_local(last.at + self.interval, self.tz)} 之后再试")
            if isinstance(self.launcher, RecrawlQueue):
                self.launcher.check(session, site_id)  # its crawl already queued: Refused
            repo.reap_dead_runs(session)
            if repo.running_runs(session, [site_id], timedelta(hours=12)):
                raise Refused("本站正在抓取中，请等待本次抓取结束后再试")
            run_id = repo.create_run(session, [site_id], as_of).id
            rv.record_site_event(session, site_id, actor, "recrawl", now, crawl_run_id=run_id,
                                 detail=f"抓取编号 #{run_id}")
            if isinstance(self.launcher, RecrawlQueue):
                # Refused here rolls the run and the request back with the job.
                self.launcher.enqueue(session, site_id, run_id, as_of, actor.name)
                return run_id
        thread = threading.Thread(target=self._run, args=(site_id, run_id, as_of, actor),
                                  name=f"recrawl-{site_id}", daemon=True)
        with self.lock:
            self.threads = [t for t in self.threads if t.is_alive()]
            self.threads.append(thread)
        thread.start()
        return run_id

    def _run(self, site_id: str, run_id: int, as_of: datetime, actor: rv.Actor) -> None:
        assert self.launcher is not None and not isinstance(self.launcher, RecrawlQueue)
        try:
            outcome = self.launcher.run(site_id, run_id, as_of)
        except Exception as exc:  # recorded and logged; the dashboard carries on
            log.exception("recrawl #%s of %s failed", run_id, site_id)
            outcome = f"重新抓取出错: {exc}"[:500]
        # Recorded under the requester's name, as the system's step.
        system = rv.Actor(actor.name, rv.SYSTEM, None)
        with self.factory() as session, session.begin():
            rv.record_site_event(session, site_id, system, "recrawl-done",
                                 datetime.now(self.tz), crawl_run_id=run_id, detail=outcome)
        log.info("recrawl #%s of %s: %s", run_id, site_id, outcome)

    def join(self, timeout: float) -> None:
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            thread.join(timeout)

    def shutdown(self) -> None:
        if self.launcher is not None and not isinstance(self.launcher, RecrawlQueue):
            self.launcher.stop()
        self.join(30.0)
