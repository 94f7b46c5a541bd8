"""Batched writes of crawl results to the database.

Rows are buffered and written in one transaction per batch (`crawler.batch_size` items, or
whatever is pending when the spider closes, including on Ctrl-C), so a crawl that is stopped
leaves whole batches behind and never a half-written page. Bodies are stored zlib-compressed
and shared by content hash.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import Spider
from scrapy.crawler import Crawler
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from crawler.facts import FACTS_VERSION, PageFacts
from crawler.items import PageItem, ResultItem
from crawler.pool import StoredBody, stored_body
from store import models as m

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


class StorePipeline:
    """Needs `spider.session_factory` and `spider.run_id` (set by crawler.run)."""

    def __init__(self, crawler: Crawler, batch_size: int) -> None:
        self.crawler = crawler
        self.factory: sessionmaker[Session] | None = None
        self.run_id = 0
        self.batch_size = batch_size
        self.pages: list[PageItem] = []
        self.results: dict[str, ResultItem] = {}
        self.written_pages = 0
        self.written_results = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler, crawler.settings["GOVWATCH_CRAWLER"].batch_size)

    def open_spider(self, spider: Spider | None = None) -> None:
        spider = spider or self.crawler.spider
        self.factory = spider.session_factory  # type: ignore[union-attr]
        self.run_id = spider.run_id  # type: ignore[union-attr]

    def process_item(self, item: Any, spider: Spider | None = None) -> Any:
        if isinstance(item, PageItem):
            self.pages.append(item)
        elif isinstance(item, ResultItem):
            # The first verdict on a URL wins; later ones (same URL reached twice in a race)
            # are the same request's echo and are dropped.
            self.results.setdefault(item["url"], item)
        if len(self.pages) + len(self.results) >= self.batch_size:
            self.flush()
        return item

    def close_spider(self, spider: Spider | None = None) -> None:
        self.flush()

    def flush(self) -> None:
        if not self.pages and not self.results:
            return
        pages, results = self.pages, self.results
        self.pages, self.results = [], {}
        now = datetime.now(UTC)
        assert self.factory is not None, "pipeline used before open_spider"
        with self.factory() as session, session.begin():
            bodies: dict[str, dict[str, Any]] = {}
            page_rows: list[dict[str, Any]] = []
            page_facts: list[dict[str, Any] | None] = []
            link_rows: list[dict[str, Any]] = []
            for item in pages:
                sha = None
                stored: StoredBody | None = item.get("stored_body")
                body: bytes | None = item.get("body")
                if stored is None and body:
                    stored = stored_body(body)
                if stored is not None:
                    sha = stored.sha256
                    bodies.setdefault(sha, {"sha256": sha, "size": stored.size,
                                            "data": stored.data})
                url = item["url"][:2048]
                page_rows.append({
                    "crawl_run_id": self.run_id,
                    "site_id": item["site_id"],
                    "url": url,
                    "final_url": (item.get("final_url") or None) and item["final_url"][:2048],
                    "status": item.get("status"),
                    "depth": item["depth"],
                    "content_type": (item.get("content_type") or None)
                    and item["content_type"][:255],
                    "encoding": item.get("encoding"),
                    "etag": (item.get("etag") or None) and item["etag"][:255],
                    "last_modified": (item.get("last_modified") or None)
                    and item["last_modified"][:64],
                    "not_modified": bool(item.get("not_modified")),
                    "body_sha256": sha,
                    "fetched_at": now,
                    "elapsed_ms": item.get("elapsed_ms"),
                    "error_kind": item.get("error_kind"),
                    "error": item.get("error"),
                    "parent_url": (item.get("parent_url") or None) and item["parent_url"][:2048],
                })
                facts: PageFacts | None = item.get("facts")
                page_facts.append(None if facts is None else
                                  item.get("facts_data") or facts.to_dict())
                if facts is not None:
                    run_id, site_id = self.run_id, item["site_id"]
                    link_rows.extend(
                        {"crawl_run_id": run_id, "site_id": site_id,
                         "page_url": url, "url": link.url[:2048], "kind": link.kind,
                         "text": link.text[:255]}
                        for link in facts.links
                    )
            insert_ignore(session, m.PageBody.__table__, list(bodies.values()))
            # Core, not ORM units of work: the ids come back in the rows' order
            # (RETURNING, one statement per batch), which is all page_facts needs.
            page_ids = session.execute(
                insert(PAGES).returning(PAGES.c.id, sort_by_parameter_order=True), page_rows,
            ).scalars().all() if page_rows else []
            fact_rows = [
                {"page_id": page_id, "version": FACTS_VERSION, "data": data}
                for page_id, data in zip(page_ids, page_facts, strict=True)
                if data is not None
            ]
            if fact_rows:
                session.execute(insert(FACTS), fact_rows)
            if link_rows:
                session.execute(insert(LINKS), link_rows)
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
        self.written_pages += len(pages)
        self.written_results += len(results)
