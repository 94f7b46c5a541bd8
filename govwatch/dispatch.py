"""Where site crawls run: in this process (govwatch.jobs) or on the workers' queue
(govwatch.queue, `[workers] enabled`).

This module sits above both so that neither imports the other's caller: govwatch.queue's
tasks run govwatch.jobs' crawls, and the choice between the two is made here, by the nightly
crawl (`crawl_all`, the scheduler's job) and by the commands that need the queue
(`load_queue`: `govwatch worker`, `govwatch crawl --enqueue`, serve's 重新抓取本站).
"""

from __future__ import annotations

import importlib
import logging
from typing import Any

from core.errors import UserError
from core.site import crawl_order
from govwatch import jobs

log = logging.getLogger("govwatch.jobs")


def load_queue() -> Any:
    """govwatch.queue, or a one-line error when procrastinate is not installed (it is an
    optional dependency: the embedded default never queues)."""
    try:
        return importlib.import_module("govwatch.queue")
    except ImportError as exc:
        raise UserError(f"任务队列需要 procrastinate（{exc.name} 未安装）: "
                        "pip install 'govwatch[postgres]'") from None


def crawl_all() -> jobs.CrawlReport:
    """The nightly crawl of every active site (see govwatch.jobs): in this process, or, with
    `[workers] enabled`, one queued job per site for the `govwatch worker` processes (this
    returns at once)."""
    from crawler.probe import active_sites

    rt = jobs.runtime()
    if rt.settings.workers.enabled:
        outcome = load_queue().enqueue_crawls(rt.settings, rt.factory)
        report = jobs.CrawlReport(queued=list(outcome.queued), skipped=list(outcome.already),
                                  enqueued=True)
        log.info(report.line())
        return report
    with rt.factory() as session:
        entries = crawl_order(active_sites(session))
    report = jobs.crawl_sites(rt, entries, concurrency=rt.settings.scheduler.crawl_concurrency)
    log.info(report.line())
    return report
