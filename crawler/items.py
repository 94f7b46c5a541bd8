"""What the spider hands to the pipeline. Plain dicts (Scrapy accepts them as items);
the subclasses only tell the pipeline which table a row is for. Pages analysed in the crawl
process come as crawler.pool.PageRecord (with body, facts and links); pages a worker analysed
are stored by that worker and never reach the pipeline."""

from __future__ import annotations


class PageItem(dict):  # type: ignore[type-arg]
    """A fetched page that is not analysed (an error, a redirect, a non-HTML answer), or
    the row of one about to be: site_id, url, final_url, status, depth, content_type,
    encoding, etag, last_modified, not_modified, error_kind, error, elapsed_ms, parent_url
    (crawler.pipelines.PAGE_FIELDS)."""


class ResultItem(dict):  # type: ignore[type-arg]
    """The one verification of a URL: url, method, status, final_url, redirects, error_kind,
    error, elapsed_ms, soft404, attempts."""


class AttachmentItem(dict):  # type: ignore[type-arg]
    """An attachment the crawl read (crawler.attachments): site_id, url, page_url, format,
    size, text_chars, personal (masked numbers as dicts), error."""
