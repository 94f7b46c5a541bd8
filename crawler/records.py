"""What one crawled page contributes to the database, as the crawl process and the extraction
workers (crawler.pool) hand it to the writer (crawler.pipelines.write_pages)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class StoredBody:
    """A page body as stored (page_bodies row)."""

    sha256: str
    size: int
    data: bytes  # zlib-compressed


@dataclass(frozen=True, slots=True)
class PageRecord:
    """Everything one page contributes to the database (see crawler.pipelines.write_pages):
    the pages row (without run id, body hash and time, which the writer adds), its stored
    body, its facts as stored (PageFacts.to_dict()) and its links as (url, kind, text)."""

    row: dict[str, Any]
    body: StoredBody | None = None
    facts_data: dict[str, Any] | None = None
    links: tuple[tuple[str, str, str], ...] = ()
