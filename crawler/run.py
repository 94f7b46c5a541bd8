"""Run one crawl (one `crawl_runs` row) in this process: `python -m crawler.run --run-id N`.

A crawl gets its own process because Twisted's reactor runs once per process, and so that the
scheduler can kill a hung crawl without touching anything else. The run row is created by
the caller (status `running`); this module finishes it as `finished`, or `interrupted` when
stopped by Ctrl-C / SIGTERM (Scrapy closes the spider gracefully and the pipeline writes what
it holds), or `failed`. Started with `--parent-pid`, it also stops that way when the command
that started it dies, even by SIGKILL (store.process). A crawl killed outright is marked
interrupted by the next command (store.repo.reap_dead_runs).
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import sys
import time
import zlib
from dataclasses import replace
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings as ScrapySettings
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.settings import Settings, load_settings
from core.site import SiteEntry
from crawler.egress_policy import EgressPolicy
from crawler.gcpolicy import batch_gc
from crawler.spiders.site import SiteSpider
from store import models as m
from store import repo
from store.process import die_with_parent
from store.process import start_time as process_start_time
from store.session import make_engine, session_factory

log = logging.getLogger("govwatch.crawl")


def egress_policy(settings: Settings, registered: list[SiteEntry]) -> EgressPolicy:
    """The crawl's egress policy: every registered site's origin is allowed (a link from one
    registered site to another on an intranet or on loopback), plus the settings' own."""
    gw = settings.crawler
    return EgressPolicy.build(
        site_urls=[e.url for e in registered],
        site_hosts=[(h, e.url) for e in registered for h in e.all_hosts],
        connect_to=gw.connect_to, proxy=gw.proxy, allow=gw.egress_allow)


def scrapy_settings(settings: Settings, sites: list[SiteEntry],
                    registered: list[SiteEntry] | None = None) -> ScrapySettings:
    """Scrapy's settings for a crawl of `sites`; `registered` (default: `sites`) are all the
    registry's sites, whose hosts the egress policy allows."""
    gw = settings.crawler
    slots = {
        host: {"concurrency": entry.crawl.concurrency, "delay": entry.crawl.delay,
               "randomize_delay": entry.crawl.delay > 0}
        for entry in sites
        for host in entry.all_hosts
    }
    return ScrapySettings({
        "BOT_NAME": "govwatch",
        "USER_AGENT": gw.user_agent.format(contact=gw.contact),
        "ROBOTSTXT_OBEY": gw.robots == "obey",
        "CONCURRENT_REQUESTS": gw.concurrent_requests,
        # Hosts that are not registered sites (link checks only): be gentle.
        "CONCURRENT_REQUESTS_PER_DOMAIN": 2,
        "DOWNLOAD_DELAY": 0,
        "DOWNLOAD_SLOTS": slots,
        "DOWNLOAD_TIMEOUT": gw.download_timeout,
        "DOWNLOAD_MAXSIZE": gw.max_body_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "RETRY_ENABLED": True,
        "RETRY_TIMES": gw.retries,
        "REDIRECT_ENABLED": False,  # the spider follows redirects to record each hop
        "METAREFRESH_ENABLED": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "LOG_ENABLED": True,
        "LOG_FORMAT": "[govwatch] %(levelname)s %(name)s: %(message)s",
        "DNSCACHE_ENABLED": True,
        # IPv4 and IPv6, filtered by the egress policy (crawler.egress).
        "TWISTED_DNS_RESOLVER": "crawler.egress.EgressResolver",
        "GOVWATCH_EGRESS": egress_policy(settings, sites if registered is None else registered),
        "REACTOR_THREADPOOL_MAXSIZE": 8,
        "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
        # Scrapy starts this many asyncio tasks per response to process the callback's output
        # in parallel; the pipeline is synchronous, so a few suffice (100 cost ~10% of CPU).
        "CONCURRENT_ITEMS": 4,
        "DOWNLOAD_HANDLERS": {
            "http": "crawler.handlers.KeepAliveHTTPHandler",
            "https": "crawler.handlers.KeepAliveHTTPHandler",
        },
        "DOWNLOADER_MIDDLEWARES": {
            "crawler.middlewares.ConnectToMiddleware": 740,
            "crawler.egress.EgressMiddleware": 745,
            "crawler.middlewares.RetryAfterMiddleware": 560,
            # The spider has no allowed_domains: offsite filtering is its own (per site).
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
        },
        "SPIDER_MIDDLEWARES": {
            # Depth and offsite handling are the spider's own (per registered site).
            "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
            "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
            # WHY off: every spider middleware wraps every request and item the spider
            # yields in one more async generator, and these earn nothing here. The spider
            # sets Referer itself (SiteSpider._referer: the no-referrer-when-downgrade rule
            # of RefererMiddleware's default policy); UrlLengthMiddleware would drop a long
            # link target without a verdict, while every URL must get one (traps are the
            # spider's own check); MetaCopyDetection is a development aid.
            "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
            "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
            "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
        },
        # Per-response byte counting nobody reads (the spider keeps its own counters).
        "DOWNLOADER_STATS": False,
        "ITEM_PIPELINES": {"crawler.pipelines.StorePipeline": 300},
        "GOVWATCH_CRAWLER": gw,
    })


def previous_pages(session: Session, sites: list[SiteEntry], run_id: int
                   ) -> dict[str, dict[str, tuple[str | None, str | None, str | None]]]:
    """Validators of each site's pages in its last finished crawl, for conditional GETs."""
    out: dict[str, dict[str, tuple[str | None, str | None, str | None]]] = {}
    for entry in sites:
        run = repo.latest_finished_run(session, entry.id)
        if run is None or run.id == run_id:
            continue
        rows = session.execute(
            select(m.Page.url, m.Page.etag, m.Page.last_modified, m.Page.body_sha256).where(
                m.Page.crawl_run_id == run.id, m.Page.site_id == entry.id,
                m.Page.status == 200, m.Page.body_sha256.is_not(None),
            )
        )
        out[entry.id] = {url: (etag, lm, sha) for url, etag, lm, sha in rows if etag or lm}
    return out


class Progress:
    """Prints a progress line on stderr every few seconds. When nothing finished since the
    last line, the line also says what the crawl is waiting for: responses in flight (the
    oldest with its URL), requests queued behind a host's delay (a Retry-After slows a host
    down), pages waiting for the extraction workers."""

    def __init__(self, spider: SiteSpider, interval: float, stream: Any = None,
                 prefix: str = "[govwatch]") -> None:
        self.spider = spider
        self.interval = interval
        self.stream = stream or sys.stderr
        self.prefix = prefix
        self.last = time.monotonic()
        self.done = (-1, -1, -1)
        self.since: dict[str, float] = {}  # URL in flight -> when a tick first saw it

    def tick(self) -> None:
        c = self.spider.counters
        now = time.monotonic()
        elapsed = max(now - c.started, 1e-6)
        waiting = self.waiting(now)
        done = (c.pages, c.checks, c.errors)
        stalled = f" · 等待: {waiting}" if done == self.done else ""
        self.done = done
        self.stream.write(
            f"{self.prefix} 页面 {c.pages} · 链接检查 {c.checks} · 错误 {c.errors} · "
            f"{c.pages / elapsed:.1f} 页/秒 · {c.checks / elapsed:.1f} 检查/秒 · "
            f"{elapsed:.0f} 秒{stalled}\n"
        )
        self.stream.flush()

    def waiting(self, now: float) -> str:
        """What the crawl is waiting for, in words ("" when it cannot tell)."""
        parts = []
        engine = getattr(getattr(self.spider, "crawler", None), "engine", None)
        downloader = getattr(engine, "downloader", None)
        if downloader is not None:
            active = {request.url for request in downloader.active}
            self.since = {url: self.since.get(url, now) for url in active}
            if active:
                oldest = min(active, key=lambda url: (self.since[url], url))
                parts.append(f"{len(active)} 个请求等待响应（最久已约 "
                             f"{now - self.since[oldest]:.0f} 秒: {oldest}）")
            queued = [(len(slot.queue), key, slot.delay)
                      for key, slot in downloader.slots.items() if slot.queue]
            if queued:
                most, key, delay = max(queued)
                text = f"{sum(q[0] for q in queued)} 个请求排队"
                if delay >= 1:
                    text += f"（{key} 每 {delay:.0f} 秒一个，{most} 个）"
                parts.append(text)
        workers = getattr(getattr(self.spider, "analyser", None), "workers", None) or ()
        extracting = sum(len(getattr(w, "in_flight", ())) for w in workers)
        if extracting:
            parts.append(f"{extracting} 个页面等待抽取进程处理")
        return "；".join(parts) or "调度中（无进行中的请求）"


def run_crawl(settings: Settings, run_id: int, max_pages: int | None = None,
              progress: bool = True, label: str | None = None,
              parent_pid: int | None = None) -> str:
    """Crawl the sites of run `run_id`; returns the run's final status. `label` tags the
    progress lines (several crawls printing on one terminal). With `parent_pid` (the command
    that started this process), the crawl stops, gracefully, when that process dies, however
    it dies (store.process.die_with_parent)."""
    prefix = f"[govwatch {label}]" if label else "[govwatch]"
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    with factory() as session, session.begin():
        run = session.get(m.CrawlRun, run_id)
        if run is None:
            raise SystemExit(f"错误: 抓取任务 {run_id} 不存在")
        run.pid = os.getpid()
        run.pid_started = process_start_time(run.pid)
        sites = [
            SiteEntry.from_dict(row.config)
            for row in session.scalars(select(m.Site).where(m.Site.id.in_(run.site_ids)))
        ]
        previous = previous_pages(session, sites, run_id)
        registered = [SiteEntry.from_dict(row.config) for row in session.scalars(select(m.Site))]
    if parent_pid is not None:  # once our pid is stored: the next command can judge it
        die_with_parent(parent_pid)

    def load_body(sha: str) -> bytes | None:
        with factory() as s:
            data = s.scalar(select(m.PageBody.data).where(m.PageBody.sha256 == sha))
        return zlib.decompress(data) if data is not None else None

    process = CrawlerProcess(scrapy_settings(settings, sites, registered))
    # Scrapy logs every response and item at DEBUG; LOG_LEVEL only filters the records at the
    # handler, after each was built (about 1% of the crawl process's time): not built at all.
    logging.getLogger("scrapy").setLevel(logging.ERROR)
    # A link that is still dead after its retries is a result, not a log-worthy error.
    logging.getLogger("scrapy.downloadermiddlewares.retry").setLevel(logging.CRITICAL)
    crawler = process.create_crawler(SiteSpider)
    process.crawl(crawler, sites=sites, gw=settings.crawler, previous=previous,
                  max_pages=max_pages, body_loader=load_body, session_factory=factory,
                  run_id=run_id, database_url=settings.database_url)

    ticker: Any = None
    if progress:
        from twisted.internet import task

        def start_ticker() -> None:
            nonlocal ticker
            spider = crawler.spider
            if isinstance(spider, SiteSpider):
                ticker = task.LoopingCall(Progress(spider, settings.crawler.progress_interval,
                                                    prefix=prefix).tick)
                ticker.start(settings.crawler.progress_interval, now=False)

        from twisted.internet import reactor

        reactor.callWhenRunning(start_ticker)

    status = repo.FINISHED
    error: str | None = None
    try:
        process.start()
    except Exception as exc:  # recorded on the run row; the caller prints it
        status, error = repo.FAILED, f"{type(exc).__name__}: {exc}"
    reason = crawler.stats.get_value("finish_reason") if crawler.stats else None
    if status == repo.FINISHED and reason not in ("finished", None):
        status = repo.INTERRUPTED if reason == "shutdown" else repo.FAILED
        error = f"finish_reason={reason}"
    spider = crawler.spider
    counters = spider.counters if isinstance(spider, SiteSpider) else None
    own, children = (resource.getrusage(who)
                     for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    link_caps: dict[str, dict[str, Any]] = (
        spider.link_caps() if isinstance(spider, SiteSpider) else {})
    stats: dict[str, Any] = {
        "pages": counters.pages if counters else 0,
        "checks": counters.checks if counters else 0,
        "errors": counters.errors if counters else 0,
        # Requests refused by the egress policy; answers over crawler.max_body_bytes.
        "refused": counters.refused if counters else 0,
        "too_large": counters.too_large if counters else 0,
        # Link results reused from other crawls, and targets waited for (crawler.sharing).
        "shared": counters.shared if counters else 0,
        "waited": counters.waited if counters else 0,
        # Sites whose link checks a cap cut (read by checks.snapshot: links.check-cap).
        "link_caps": link_caps,
        "seconds": round(time.monotonic() - counters.started, 2) if counters else 0,
        # CPU seconds of this process and of its extraction workers (for tuning).
        "cpu_crawl_s": round(own.ru_utime + own.ru_stime, 1),
        "cpu_workers_s": round(children.ru_utime + children.ru_stime, 1),
    }
    with factory() as session, session.begin():
        repo.finish_run(session, run_id, status, stats, error)
    engine.dispose()
    if progress:
        sys.stderr.write(
            f"{prefix} 抓取结束（{status}）: 页面 {stats['pages']}，链接检查 {stats['checks']}，"
            f"错误 {stats['errors']}，用时 {stats['seconds']} 秒\n"
        )
        for site_id, cap in link_caps.items():
            sys.stderr.write(
                f"[govwatch] {site_id}: 链接检查达到上限（每站 {cap['site_cap']} 个，每页 "
                f"{cap['per_page']} 个），{cap['skipped'] + cap['page_skipped']} 个链接未检查"
                "（links.check-cap）\n")
        if stats["refused"] or stats["too_large"]:
            sys.stderr.write(
                f"[govwatch] 未请求的内网地址 {stats['refused']} 个（private_address），"
                f"超过大小上限的响应 {stats['too_large']} 个（too_large）\n")
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.run")
    parser.add_argument("--run-id", type=int, required=True)
    parser.add_argument("--max-pages", type=int)
    parser.add_argument("--quiet", action="store_true")
    parser.add_argument("--label", help="tag of the progress lines")
    parser.add_argument("--extract-workers", type=int, metavar="N",
                        help="override crawler.extract_workers (several crawls at once)")
    parser.add_argument("--parent-pid", type=int, help="stop when this process dies")
    args = parser.parse_args(argv)
    settings = load_settings()
    if args.extract_workers is not None:
        settings = replace(settings, crawler=replace(settings.crawler,
                                                     extract_workers=args.extract_workers))
    profile_dir = os.environ.get("GOVWATCH_PROFILE_DIR")
    profiler = None
    if profile_dir:  # for tuning (bench/README.md): cProfile of this crawl process
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with batch_gc():
        status = run_crawl(settings, args.run_id, args.max_pages, progress=not args.quiet,
                           label=args.label, parent_pid=args.parent_pid)
    if profiler is not None and profile_dir:
        profiler.disable()
        profiler.dump_stats(os.path.join(profile_dir, f"crawl-{args.run_id}.prof"))
    return {repo.FINISHED: 0, repo.INTERRUPTED: 130}.get(status, 1)


if __name__ == "__main__":
    sys.exit(main())
