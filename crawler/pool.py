"""Page analysis (decode, extract, body digest, facts as stored) in worker processes.

WHY: the crawl process is CPU-bound on one core, and extraction is the largest share of its
work (~6 ms per 30 kB page). Scrapy, the pipeline's database writes and the network all run on
the reactor thread; sending each body to a worker process lets a second core extract while
the reactor keeps downloading and writing. `extract()` stays pure, so a worker computes
exactly what the reactor thread would have: the results are the same, only where they are
computed differs.

`crawler.extract_workers` (govwatch.settings.CrawlerSettings) sets the number of workers;
0 analyses in the crawl process itself. Workers are spawned (not forked: the crawl process
has threads by then) and ignore SIGINT, so Ctrl-C reaches only the crawl process, which stops
gracefully. A worker that dies (SIGTERM to the process group, out of memory) breaks the pool;
the pages still in flight and all later ones are then analysed in-process.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import signal
import zlib
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from crawler import extract
from crawler.facts import PageFacts

log = logging.getLogger(__name__)

# zlib level of stored bodies (crawler.pipelines stores what the analysis compressed).
BODY_ZLIB_LEVEL = 6


@dataclass(frozen=True, slots=True)
class StoredBody:
    """A page body as the pipeline stores it (page_bodies row)."""

    sha256: str
    size: int
    data: bytes  # zlib-compressed


@dataclass(frozen=True, slots=True)
class Analysis:
    facts: PageFacts
    encoding: str
    body: StoredBody | None
    # facts.to_dict() (what the pipeline stores), when `store`d; converting is cheaper in a
    # worker than on the reactor thread.
    facts_data: dict[str, Any] | None


def stored_body(body: bytes) -> StoredBody:
    return StoredBody(hashlib.sha256(body).hexdigest(), len(body),
                      zlib.compress(body, BODY_ZLIB_LEVEL))


def analyse(url: str, body: bytes, charset: str | None, store: bool) -> Analysis:
    """Pure: the facts of one HTML body, the encoding used, and (`store`) the body as stored."""
    text, encoding = extract.decode_html(body, charset)
    facts = extract.extract(url, text)
    if not store:
        return Analysis(facts, encoding, None, None)
    return Analysis(facts, encoding, stored_body(body), facts.to_dict())


def _init_worker() -> None:
    # Ctrl-C goes to the whole foreground process group; only the crawl process handles it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class Analyser:
    """Runs `analyse` in a pool of `workers` processes (0: in this process)."""

    def __init__(self, workers: int) -> None:
        self.pool: ProcessPoolExecutor | None = None
        if workers > 0:
            self.pool = ProcessPoolExecutor(
                max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
            )

    async def run(self, url: str, body: bytes, charset: str | None, store: bool) -> Analysis:
        pool = self.pool
        if pool is not None:
            loop = asyncio.get_running_loop()
            try:
                return await loop.run_in_executor(pool, analyse, url, body, charset, store)
            except BrokenProcessPool:
                if self.pool is pool:
                    log.warning("extraction workers stopped; extracting in the crawl process")
                    self.pool = None
                    pool.shutdown(wait=False, cancel_futures=True)
        return analyse(url, body, charset, store)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None
