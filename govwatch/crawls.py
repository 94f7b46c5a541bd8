"""`govwatch crawl --jobs N`: the selected sites crawled by up to N crawl processes at once.

Each crawl process (`python -m crawler.run`, one Twisted reactor, so one core's worth of
downloading) crawls one crawl run; with several jobs the sites are split into disjoint groups,
one run each, all started together, so that a machine's cores are all used. The groups are
balanced by each site's pages in its last finished crawl (longest first onto the lightest
group); sites never crawled count as the average. Each process keeps its own per-host
politeness and its own "every URL once" memory, so a URL that sites of two groups link to is
requested once per group.

The extraction workers (`crawler.extract_workers`, the machine's budget) are shared out among
the processes running at once, at least one each, so N crawls do not start N times the workers.

Ctrl-C reaches every process (one process group) and SIGTERM is forwarded to each: every crawl
writes what it holds and ends `interrupted`. A process that fails (or is killed) fails only its
own run; the others go on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.settings import Settings
from govwatch.jobs import crawl_env


def default_jobs() -> int:
    """The cores this process may run on (its CPU affinity, as a container or taskset set it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def site_weights(session: Session, site_ids: Sequence[str]) -> dict[str, int]:
    """Pages each site had in its last finished crawl (absent: never crawled)."""
    from store import models as m
    from store.repo import FINISHED

    wanted = set(site_ids)
    latest: dict[str, int] = {}
    runs = session.execute(select(m.CrawlRun.id, m.CrawlRun.site_ids)
                           .where(m.CrawlRun.status == FINISHED)
                           .order_by(m.CrawlRun.id.desc()))
    for run_id, sites in runs:
        for site in sites or []:
            if site in wanted and site not in latest:
                latest[site] = run_id
        if len(latest) == len(wanted):
            break
    if not latest:
        return {}
    counts = session.execute(
        select(m.Page.site_id, m.Page.crawl_run_id, func.count())
        .where(m.Page.crawl_run_id.in_(set(latest.values())), m.Page.site_id.in_(latest))
        .group_by(m.Page.site_id, m.Page.crawl_run_id))
    return {site: int(n) for site, run_id, n in counts if latest.get(site) == run_id}


def partition(site_ids: Sequence[str], weights: Mapping[str, int], jobs: int
              ) -> list[list[str]]:
    """Up to `jobs` disjoint, non-empty groups of `site_ids` with balanced weights.

    Deterministic; each group keeps the order of `site_ids`, and groups come in the order of
    their first site."""
    count = max(1, min(jobs, len(site_ids)))
    if count == 1:
        return [list(site_ids)]
    known = [weights[s] for s in site_ids if s in weights]
    default = sum(known) / len(known) if known else 1.0
    position = {site: i for i, site in enumerate(site_ids)}
    order = sorted(site_ids, key=lambda s: (-weights.get(s, default), position[s]))
    loads = [0.0] * count
    groups: list[list[str]] = [[] for _ in range(count)]
    for site in order:
        lightest = min(range(count), key=lambda i: (loads[i], i))
        groups[lightest].append(site)
        loads[lightest] += max(weights.get(site, default), 1.0)
    groups = [sorted(g, key=position.__getitem__) for g in groups if g]
    return sorted(groups, key=lambda g: position[g[0]])


def workers_per_crawl(extract_workers: int, crawls: int) -> int:
    """Extraction workers of each of `crawls` crawl processes running at once."""
    if extract_workers == 0:
        return 0  # extraction in the crawl process, as configured
    return max(1, extract_workers // max(1, crawls))


@dataclass
class _Child:
    run_id: int
    proc: subprocess.Popen[bytes]
    terminated: bool = False


def run_crawl_processes(run_ids: Sequence[int], settings: Settings, max_pages: int | None,
                        quiet: bool = False) -> dict[int, int]:
    """Crawl each run in its own process, all at once; their exit codes by run id.

    Waits for every process: Ctrl-C (which the processes get too) and SIGTERM (forwarded, once
    to each) make them stop gracefully; this returns when all have ended."""
    env = crawl_env(settings)
    labelled = len(run_ids) > 1
    workers = workers_per_crawl(settings.crawler.extract_workers, len(run_ids))
    children: list[_Child] = []
    stopping = False

    def terminate_all() -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if not child.terminated and child.proc.poll() is None:
                child.terminated = True  # Scrapy takes a second signal as "stop now"
                child.proc.send_signal(signal.SIGTERM)

    def forward(_signum: int, _frame: Any) -> None:
        terminate_all()

    previous = signal.signal(signal.SIGTERM, forward)
    try:
        for run_id in run_ids:
            if stopping:
                break  # runs never started: the caller finds them still `running`
            # --parent-pid: the crawl stops with this command, even when it is killed outright.
            cmd = [sys.executable, "-m", "crawler.run", "--run-id", str(run_id),
                   "--parent-pid", str(os.getpid())]
            if max_pages is not None:
                cmd += ["--max-pages", str(max_pages)]
            if quiet:
                cmd.append("--quiet")
            if labelled:
                cmd += ["--label", f"#{run_id}",
                        "--extract-workers", str(workers)]
            children.append(_Child(run_id, subprocess.Popen(cmd, env=env)))
        codes: dict[int, int] = {}
        for child in children:
            while True:
                try:
                    codes[child.run_id] = child.proc.wait()
                    break
                except KeyboardInterrupt:
                    continue  # the children got the same SIGINT and are shutting down
        return codes
    finally:
        signal.signal(signal.SIGTERM, previous)
        if any(c.proc.poll() is None for c in children):  # only on an unexpected error here
            terminate_all()
