"""Build check inputs (SiteSnapshot, Context) from small readable dicts, as the fixtures hold.

A case (one JSON file under fixtures/<code>/) looks like:

    {"description": "...",
     "site": {"icp": "湘ICP备05009375号"},          # SiteEntry fields over SITE_DEFAULTS
     "options": {"max_pages_listed": 1},            # overrides, validated by resolve_options
     "pages": [{"url": "/", "facts": {"icp": ["湘ICP备05009375号"]}},
               {"url": "/zwdt/", "status": 200, "facts": {...}}],
     "home": "/",                                    # default: the site URL; null: no home
     "links": [{"page": "/zwdt/", "url": "/a/x.html", "kind": "a", "text": "通知全文"}],
     "results": [{"url": "/a/x.html", "status": 404}],
     "expect": [{"url": "/a/x.html", "page": "/zwdt/", "message": "HTTP 404",
                 "evidence": {"status": 404}, "severity": "deduct"}]}

URLs starting with "/" are resolved against the site URL. A page's `facts` is PageFacts
fields (its url defaults to the page's), or null for a page that did not load. `expect` lists
the findings in the order the check yields them; `message` is a substring, `evidence` a subset.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from checks.base import Context, LinkRef, LinkResult, PageRef, SiteSnapshot
from crawler.facts import PageFacts
from govwatch.site import SiteEntry

SITE_DEFAULTS: dict[str, Any] = {
    "id": "yongzhou",
    "name": "永州市人民政府",
    "url": "https://www.yzcity.gov.cn/",
    "level": "city",
}
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def site_entry(**fields: Any) -> SiteEntry:
    return SiteEntry.from_dict({**SITE_DEFAULTS, **fields})


def absolute(site: SiteEntry, url: str) -> str:
    return urljoin(site.url, url) if url.startswith("/") else url


def page_ref(site: SiteEntry, data: Mapping[str, Any]) -> PageRef:
    url = absolute(site, data["url"])
    facts = data.get("facts", {})
    return PageRef(
        url=url,
        status=data.get("status", 200 if facts is not None else None),
        depth=data.get("depth", 0 if url == site.url else 1),
        final_url=absolute(site, data["final_url"]) if data.get("final_url") else None,
        content_type=data.get("content_type", "text/html"),
        error_kind=data.get("error_kind"),
        facts=None if facts is None else PageFacts.from_dict({"url": url, **facts}),
    )


def link_result(site: SiteEntry, data: Mapping[str, Any]) -> LinkResult:
    fields = dict(data)
    fields["url"] = absolute(site, data["url"])
    if fields.get("final_url"):
        fields["final_url"] = absolute(site, fields["final_url"])
    fields["redirects"] = tuple(absolute(site, u) for u in data.get("redirects", ()))
    fields.setdefault("status", None)
    return LinkResult(**fields)


def snapshot(case: Mapping[str, Any]) -> SiteSnapshot:
    site = site_entry(**case.get("site", {}))
    pages = tuple(page_ref(site, p) for p in case.get("pages", ()))
    home_url = case.get("home", site.url)
    home = None
    if home_url is not None:
        home = next((p for p in pages if p.url == absolute(site, home_url)), None)
    links = tuple(
        LinkRef(
            page_url=absolute(site, link["page"]),
            url=absolute(site, link["url"]),
            kind=link.get("kind", "a"),
            text=link.get("text", ""),
        )
        for link in case.get("links", ())
    )
    results = {r.url: r for r in (link_result(site, d) for d in case.get("results", ()))}
    return SiteSnapshot(
        site=site, crawl_run_id=1, home=home, pages=pages, links=links, results=results
    )


def context(site: SiteSnapshot, options: Mapping[str, Any]) -> Context:
    return Context(now=NOW, site=site.site, options=options, registry={site.site.id: site.site})
