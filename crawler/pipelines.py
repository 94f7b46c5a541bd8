"""Batched writes of crawl results to the database.

Rows are buffered and written in one transaction per batch (`crawler.batch_size` items, or
whatever is pending when the spider closes, including on Ctrl-C), so a crawl that is stopped
leaves whole batches behind and never a half-written page. Bodies are stored zlib-compressed
and shared by content hash.

The writes run in a thread of their own, one batch after the other, not in the reactor's:
a batch waiting for SQLite's write lock (the extraction workers write too) held the reactor,
and with it every download, for about a tenth of the crawl (bench/crawl.py, profiled). At
most WRITES_AHEAD batches wait for the thread; closing the spider waits for all of them.

`write_pages` is the one definition of how a page is stored; the extraction workers
(crawler.pool) call it for the pages they analyse, this pipeline for the others (errors,
non-HTML answers, and every page when extraction runs in the crawl process).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from crawler.facts import FACTS_VERSION
from crawler.items import AttachmentItem, PageItem, ResultItem
from crawler.records import PageRecord
from store import models as m
from store import shared_links

# Seconds a link result may wait in the buffer: crawls waiting for it (crawler.sharing) see it
# once it is written, so a slow trickle of results is not held until the batch fills.
RESULT_MAX_WAIT = 2.0
# Batches handed to the writing thread and not written yet, at most (then the crawl waits).
WRITES_AHEAD = 2

log = logging.getLogger(__name__)

# Tables, not mapped classes: an ORM bulk insert costs more than the SQL itself.
PAGES: Any = m.Page.__table__
FACTS: Any = m.PageFactsRow.__table__
LINKS: Any = m.Link.__table__


def insert_ignore(session: Session, table: Any, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING (SQLite and PostgreSQL): bodies are shared by hash
    across crawls and processes, and a URL's verdict is written once per run."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    session.execute(module.insert(table).on_conflict_do_nothing(), rows)


def _cut(value: str | None, limit: int) -> str | None:
    return value[:limit] if value else None


# The pages columns a PageRecord's row carries (the writer adds run id, body hash and time).
PAGE_FIELDS = ("site_id", "url", "final_url", "status", "depth", "content_type", "encoding",
               "etag", "last_modified", "not_modified", "elapsed_ms", "error_kind", "error",
               "parent_url")


def page_record(item: PageItem) -> PageRecord:
    """The record of a page the spider did not have analysed (no body, facts or links)."""
    return PageRecord(row={name: item.get(name) for name in PAGE_FIELDS})


def write_pages(session: Session, run_id: int, records: Sequence[PageRecord],
                now: datetime) -> None:
    """Insert the records' bodies, pages, facts and links (the caller owns the transaction)."""
    if not records:
        return
    bodies: dict[str, dict[str, Any]] = {}
    page_rows: list[dict[str, Any]] = []
    link_rows: list[dict[str, Any]] = []
    for record in records:
        row = record.row
        stored = record.body
        if stored is not None:
            bodies.setdefault(stored.sha256, {"sha256": stored.sha256, "size": stored.size,
                                              "data": stored.data})
        url = row["url"][:2048]
        page_rows.append({
            "crawl_run_id": run_id,
            "site_id": row["site_id"],
            "url": url,
            "final_url": _cut(row.get("final_url"), 2048),
            "status": row.get("status"),
            "depth": row["depth"],
            "content_type": _cut(row.get("content_type"), 255),
            "encoding": row.get("encoding"),
            "etag": _cut(row.get("etag"), 255),
            "last_modified": _cut(row.get("last_modified"), 64),
            "not_modified": bool(row.get("not_modified")),
            "body_sha256": stored.sha256 if stored is not None else None,
            "fetched_at": now,
            "elapsed_ms": row.get("elapsed_ms"),
            "error_kind": row.get("error_kind"),
            "error": row.get("error"),
            "parent_url": _cut(row.get("parent_url"), 2048),
        })
        if record.facts_data is not None:
            site_id = row["site_id"]
            link_rows.extend(
                {"crawl_run_id": run_id, "site_id": site_id, "page_url": url,
                 "url": link_url[:2048], "kind": kind, "text": text[:255]}
                for link_url, kind, text in record.links
            )
    insert_ignore(session, m.PageBody.__table__, list(bodies.values()))
    # Core, not ORM units of work: the ids come back in the rows' order (RETURNING, one
    # statement per batch), which is all page_facts needs.
    page_ids = session.execute(
        insert(PAGES).returning(PAGES.c.id, sort_by_parameter_order=True), page_rows,
    ).scalars().all()
    fact_rows = [
        {"page_id": page_id, "version": FACTS_VERSION, "data": record.facts_data}
        for page_id, record in zip(page_ids, records, strict=True)
        if record.facts_data is not None
    ]
    if fact_rows:
        session.execute(insert(FACTS), fact_rows)
    if link_rows:
        session.execute(insert(LINKS), link_rows)


class StorePipeline:
    """Needs `spider.session_factory` and `spider.run_id` (set by crawler.run)."""

    def __init__(self, crawler: Crawler, batch_size: int) -> None:
        self.crawler = crawler
        self.factory: sessionmaker[Session] | None = None
        self.run_id = 0
        self.batch_size = batch_size
        self.pages: list[PageRecord] = []
        self.results: dict[str, ResultItem] = {}
        self.attachments: list[AttachmentItem] = []
        self.share = False  # publish link results for other crawls (crawler.sharing)
        self.flushed = time.monotonic()
        self.writer: ThreadPoolExecutor | None = None
        self.writing: deque[Future[None]] = deque()
        self.ticker: Any = None  # LoopingCall publishing results while no item arrives

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler, crawler.settings["GOVWATCH_CRAWLER"].batch_size)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.factory = spider.session_factory  # type: ignore[union-attr]
        self.run_id = spider.run_id  # type: ignore[union-attr]
        self.share = getattr(spider, "share", None) is not None
        if self.share:
            # Results are also published on a timer, not only when the next item arrives:
            # two crawls each waiting for a result the other holds in its buffer would
            # otherwise both stop producing items, and wait on each other until the claims'
            # takeover (minutes).
            from twisted.internet import task

            self.ticker = task.LoopingCall(self._publish_due)
            self.ticker.start(RESULT_MAX_WAIT / 2, now=False)

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PageRecord):
            self.pages.append(item)
        elif isinstance(item, PageItem):
            self.pages.append(page_record(item))
        elif isinstance(item, ResultItem):
            # The first verdict on a URL wins; later ones (same URL reached twice in a race)
            # are the same request's echo and are dropped.
            self.results.setdefault(item["url"], item)
        elif isinstance(item, AttachmentItem):
            self.attachments.append(item)
        if len(self.pages) + len(self.results) + len(self.attachments) >= self.batch_size or (
                self.share and self.results
                and time.monotonic() - self.flushed > RESULT_MAX_WAIT):
            self.flush()
        return item

    def _publish_due(self) -> None:
        if self.results and time.monotonic() - self.flushed > RESULT_MAX_WAIT:
            self.flush()

    def close_spider(self, spider: Spider | None = None) -> None:
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        self.flush()
        try:
            while self.writing:
                self.writing.popleft().result()
        finally:
            if self.writer is not None:
                self.writer.shutdown(wait=True)
                self.writer = None

    def flush(self) -> None:
        """Hand the buffered rows to the writing thread (a failed write is raised here, at
        the next flush, or when the spider closes)."""
        if not self.pages and not self.results and not self.attachments:
            return
        pages, results, attachments = self.pages, self.results, self.attachments
        self.pages, self.results, self.attachments = [], {}, []
        self.flushed = time.monotonic()
        if self.writer is None:
            self.writer = ThreadPoolExecutor(1, thread_name_prefix="govwatch-store")
        while self.writing and (self.writing[0].done() or len(self.writing) >= WRITES_AHEAD):
            self.writing.popleft().result()
        self.writing.append(self.writer.submit(self._write, pages, results, attachments))

    def _write(self, pages: list[PageRecord], results: dict[str, ResultItem],
               attachments: list[AttachmentItem]) -> None:
        now = datetime.now(UTC)
        assert self.factory is not None, "pipeline used before open_spider"
        with self.factory() as session, session.begin():
            write_pages(session, self.run_id, pages, now)
            if results:
                insert_ignore(
                    session,
                    m.LinkResult.__table__,
                    [
                        {"crawl_run_id": self.run_id, "url": r["url"][:2048],
                         "method": r["method"], "status": r["status"],
                         "final_url": (r["final_url"] or None) and r["final_url"][:2048],
                         "redirects": r["redirects"], "error_kind": r["error_kind"],
                         "error": r["error"], "elapsed_ms": r["elapsed_ms"],
                         "soft404": r["soft404"], "attempts": r["attempts"],
                         "checked_at": now}
                        for r in results.values()
                    ],
                )
                if self.share:
                    shared_links.publish(session, list(results.values()), time.time())
            if attachments:
                insert_ignore(
                    session,
                    m.AttachmentText.__table__,
                    [
                        {"crawl_run_id": self.run_id, "site_id": a["site_id"],
                         "url": a["url"][:2048], "page_url": a["page_url"][:2048],
                         "format": a["format"], "size": a["size"],
                         "text_chars": a["text_chars"], "personal": a["personal"],
                         "error": a["error"], "read_at": now}
                        for a in attachments
                    ],
                )
