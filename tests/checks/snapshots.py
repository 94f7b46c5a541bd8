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
fields (its url defaults to the page's), or null for a page that did not load; `parent` is
its PageRef.parent_url. `expect` lists the findings in the order the check yields them;
`message` is a substring, `evidence` a subset.

For the timeliness checks a case may also give (times are ISO strings, local when naive):

     "now": "2026-11-20T10:00",                      # --as-of; default NOW
     "registry": [{"id": "hunan", "name": "...", "url": "...", "level": "province"}],
     "columns": [{"url": "/zwdt/", "name": "政务动态", "type": "news", "level": 1,
                  "status": 200, "placeholder": false, "archived": false,
                  "items": [{"title": "t", "url": "/zwdt/1.html", "date": "2026-11-01"}]}],
     "derive_columns": true,                          # instead: checks.columns.discover
     "items": [{"url": "/zwgk/1.html", "title": "...", "column_url": "/zwgk/",
                "published": "2026-11-18T09:30", "first_seen": "2026-11-18T10:00"}],
     "sources": {"hunan": [{"url": "https://www.hunan.gov.cn/a.html", "title": "...",
                            "published": "2026-11-18T08:00"}]}

A column's `newest` defaults to its newest item date (newest_from "list"); an item's
`first_seen` defaults to its `published`, else to now; `registry` entries are added to the
context's registry beside the site itself.

For links.check-cap, the crawl's record of the caps it reached (LinkCap fields):

     "link_cap": {"site_cap": 1000, "per_page": 500, "checks": 1000, "skipped": 37}

An item may carry `previous_published` and `date_changed_run` (content.fake-dates; the
snapshot's crawl run is 1).

For content.privacy-leak, the attachments the crawl read (AttachmentRef; `page` links it):

     "attachments": [{"url": "/gsgg/c.pdf", "page": "/gsgg/c.html", "format": "pdf",
                      "personal": [{"kind": "id", "masked": "431***********1017"}]}]

For the availability checks, home-page probes (ProbeResult fields; `at` is started_at;
`tls_not_after` an ISO time like the others):

     "probes": [{"at": "2026-11-19T03:12", "ok": false, "status": 500, "error": "HTTP 500"}],
     "probe_series": [{"start": "2026-11-13T10:30", "every_minutes": 60, "count": 168,
                       "ok": true, "elapsed_ms": 900}]

For content.spam-injected, the site's stylesheets' hiding rules by URL (what the crawl stored):

     "stylesheets": {"/css/style.css": {".yqlj-x": "offscreen:-8000"}}

A series stands for `count` probes `every_minutes` apart from `start`, all alike (the other
keys are ProbeResult fields); the snapshot holds every probe of both, oldest first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

from checks.base import (
    AttachmentRef,
    Column,
    ColumnItem,
    Context,
    LinkCap,
    LinkRef,
    LinkResult,
    PageRef,
    ProbeResult,
    SiteSnapshot,
    TrackedItem,
)
from checks.columns.discover import discover_columns
from core.site import SiteEntry
from crawler.facts import PageFacts, PersonalNumber

SITE_DEFAULTS: dict[str, Any] = {
    "id": "yongzhou",
    "name": "永州市人民政府",
    "url": "https://www.yzcity.gov.cn/",
    "level": "city",
}
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)


def moment(text: str | None) -> datetime | None:
    """An ISO time from a fixture; naive values are Asia/Shanghai."""
    if text is None:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=TZ)


def case_now(case: Mapping[str, Any]) -> datetime:
    return moment(case.get("now")) or NOW


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
        parent_url=absolute(site, data["parent"]) if data.get("parent") else None,
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
    built = SiteSnapshot(
        site=site,
        crawl_run_id=1,
        home=home,
        pages=pages,
        links=links,
        results=results,
        items=tuple(tracked(site, site.id, d) for d in case.get("items", ())),
        sources={
            portal: tuple(tracked(site, portal, d) for d in items)
            for portal, items in case.get("sources", {}).items()
        },
        probes=probes(case),
        link_cap=LinkCap.from_dict(case["link_cap"]) if case.get("link_cap") else None,
        stylesheets={absolute(site, url): dict(rules)
                     for url, rules in case.get("stylesheets", {}).items()},
        attachments=tuple(
            AttachmentRef(
                url=absolute(site, a["url"]),
                page_url=absolute(site, a["page"]),
                format=a.get("format", "pdf"),
                text_chars=a.get("text_chars", 100),
                personal=tuple(PersonalNumber(**n) for n in a.get("personal", ())),
                error=a.get("error", ""),
            )
            for a in case.get("attachments", ())
        ),
    )
    if case.get("derive_columns"):
        return replace(built, columns=discover_columns(built, case_now(case)))
    return replace(built, columns=tuple(column(site, d) for d in case.get("columns", ())))


def column(site: SiteEntry, data: Mapping[str, Any]) -> Column:
    items = tuple(
        ColumnItem(
            title=item.get("title", ""),
            url=absolute(site, item["url"]),
            date=moment(item.get("date")),
        )
        for item in data.get("items", ())
    )
    dated = [item.date for item in items if item.date is not None]
    newest = moment(data["newest"]) if "newest" in data else max(dated, default=None)
    return Column(
        url=absolute(site, data["url"]),
        name=data["name"],
        type=data.get("type", "other"),
        level=data.get("level", 1),
        source=data.get("source", "nav"),
        archived=data.get("archived", False),
        status=data.get("status", 200),
        placeholder=data.get("placeholder", False),
        items=items,
        newest=newest,
        newest_from=data.get("newest_from", "list" if dated and "newest" not in data else ""),
    )


def tracked(site: SiteEntry, owner: str, data: Mapping[str, Any]) -> TrackedItem:
    published = moment(data.get("published"))
    return TrackedItem(
        site=owner,
        url=absolute(site, data["url"]),
        title=data["title"],
        column_url=absolute(site, data["column_url"]) if data.get("column_url") else "",
        published=published,
        first_seen=moment(data.get("first_seen")) or published or NOW,
        previous_published=moment(data.get("previous_published")),
        date_changed_run=data.get("date_changed_run"),
    )


def context(
    site: SiteSnapshot, options: Mapping[str, Any], case: Mapping[str, Any] | None = None
) -> Context:
    case = case or {}
    registry = {entry.id: entry for entry in (site_entry(**d) for d in case.get("registry", ()))}
    registry[site.site.id] = site.site
    return Context(now=case_now(case), site=site.site, options=options, registry=registry)


def probes(case: Mapping[str, Any]) -> tuple[ProbeResult, ...]:
    """The case's `probes` and expanded `probe_series`, oldest first."""
    out: list[ProbeResult] = []
    for data in case.get("probes", ()):
        fields = {k: v for k, v in data.items() if k != "at"}
        if fields.get("tls_not_after"):
            fields["tls_not_after"] = _at(fields["tls_not_after"])
        out.append(ProbeResult(started_at=_at(data["at"]), **fields))
    for series in case.get("probe_series", ()):
        fields = {k: v for k, v in series.items() if k not in ("start", "every_minutes", "count")}
        start, step = _at(series["start"]), timedelta(minutes=series["every_minutes"])
        out += [ProbeResult(started_at=start + i * step, **fields)
                for i in range(series["count"])]
    return tuple(sorted(out, key=lambda p: p.started_at))


def _at(text: str) -> datetime:
    value = moment(text)
    assert value is not None
    return value
