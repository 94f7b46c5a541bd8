"""What the spider hands to the pipeline. Plain dicts (Scrapy accepts them as items);
the subclasses only tell the pipeline which table a row is for."""

from __future__ import annotations


class PageItem(dict):  # type: ignore[type-arg]
    """A fetched page: site_id, url, final_url, status, depth, content_type, encoding, etag,
    last_modified, not_modified, body (raw bytes of HTML pages), stored_body
    (crawler.pool.StoredBody: the body's hash and compressed bytes, when the extraction
    worker computed them already), facts (PageFacts or None), facts_data
    (facts.to_dict(), when computed already), error_kind, error, elapsed_ms,
    parent_url."""


class ResultItem(dict):  # type: ignore[type-arg]
    """The one verification of a URL: url, method, status, final_url, redirects, error_kind,
    error, elapsed_ms, soft404, attempts."""
