"""The repost watch: poll the columns the 12-hour repost rule is about, every hour.

`repost.lapse` measures the delay between a portal's important item and a lower site's repost
from each one's publication time, else from when govwatch first saw it. A nightly crawl alone
would make those first-seen times accurate to a day; this watch makes them accurate to the
polling interval (`[scheduler] repost_interval_minutes`).

Design (the simplest that is correct): not a crawl, but one GET of each watched column page
with the crawler's own decoding and extraction (`crawler.decode`, `crawler.extract`), its
items taken the way the nightly check pass takes them (`checks.columns.discover`: the column's
main list, not its sidebars), and the article pages of items seen for the first time fetched
(at most `repost_article_limit` per column) for their minute-precision publication time.
What it saw is recorded with `checks.items.record_sightings`, as the check pass does after a
crawl: new items get first_seen = now; items already known only get last_seen (their stored
publication time is never replaced by a list's day-only date). No crawl run, no findings: the
nightly check pass judges. A full crawl process per poll would cost a Twisted start-up, the
soft-404 probes and robots per host for the same two or three pages.

Watched: every `important_columns` path of every site (the portals'), and for every site with
`repost_from` its `repost_columns`, or its home page's lists when it has none (the rule then
looks for reposts anywhere; the home page is where they show first). robots.txt is honoured
as the crawler honours it (`crawler.robots`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import httpx
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from checks import items
from checks.base import PageRef, SiteSnapshot, TrackedItem
from checks.columns.common import same_site
from checks.columns.discover import discover_columns
from checks.snapshot import load_registry
from checks.timeutil import resolve
from core.settings import Settings
from core.site import ColumnSpec, SiteEntry
from crawler.deadline import total_deadline
from crawler.decode import decode_html, looks_binary
from crawler.extract import extract
from crawler.probe import http_client, user_agent
from store import models as m

log = logging.getLogger("govwatch.watch")


@dataclass(frozen=True, slots=True)
class Target:
    site: SiteEntry
    path: str | None  # a column path; None: the home page's lists

    @property
    def url(self) -> str:
        return urljoin(self.site.url, self.path) if self.path else self.site.url


@dataclass(frozen=True, slots=True)
class TargetResult:
    target: Target
    ok: bool
    items: int = 0  # items seen in the column
    new: int = 0  # of which seen for the first time
    error: str = ""


def targets(registry: dict[str, SiteEntry]) -> list[Target]:
    out: list[Target] = []
    for entry in registry.values():
        out += [Target(entry, path) for path in entry.important_columns]
    for entry in registry.values():
        if not entry.repost_from:
            continue
        if entry.repost_columns:
            out += [Target(entry, path) for path in entry.repost_columns]
        else:
            out.append(Target(entry, None))
    seen: set[tuple[str, str]] = set()
    unique = []
    for target in out:
        key = (target.site.id, target.url)
        if key not in seen:
            seen.add(key)
            unique.append(target)
    return unique


class _Fetcher:
    """GETs pages like the crawler would (User-Agent, connect_to, robots, size limit)."""

    def __init__(self, settings: Settings, sites: Iterable[SiteEntry] = ()) -> None:
        self.settings = settings
        # The egress policy allows the registered `sites` whatever they resolve to.
        self.client = http_client(settings, settings.crawler.download_timeout, sites=sites)
        self.agent = user_agent(settings)
        self._robots: dict[str, RobotFileParser | None] = {}
        self._lock = threading.Lock()

    def close(self) -> None:
        self.client.close()

    def allowed(self, url: str) -> bool:
        if self.settings.crawler.robots != "obey":
            return True
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            known = origin in self._robots
            parser = self._robots.get(origin)
        if not known:
            parser = self._load_robots(origin)
            with self._lock:
                self._robots[origin] = parser
        return parser is None or parser.can_fetch(self.agent, url)

    def _load_robots(self, origin: str) -> RobotFileParser | None:
        try:
            with total_deadline(self.settings.crawler.download_timeout):
                response = self.client.get(f"{origin}/robots.txt")
        except (httpx.HTTPError, httpx.InvalidURL):
            return None  # as the crawler: no readable robots.txt, no restriction
        if response.status_code >= 400:
            return None
        parser = RobotFileParser()
        parser.parse(response.text.splitlines())
        return parser

    def page(self, url: str, depth: int) -> PageRef:
        if not self.allowed(url):
            return PageRef(url=url, status=None, depth=depth, error_kind="robots")
        limit = self.settings.crawler.max_body_bytes
        try:  # the whole page within download_timeout, however slowly it trickles
            with total_deadline(self.settings.crawler.download_timeout), \
                    self.client.stream("GET", url) as response:
                body = bytearray()
                for chunk in response.iter_bytes():
                    body += chunk
                    if len(body) > limit:
                        return PageRef(url=url, status=response.status_code, depth=depth,
                                       final_url=str(response.url), error_kind="too_large")
                status, final = response.status_code, str(response.url)
                ctype = response.headers.get("content-type", "")
                charset = response.charset_encoding
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            from crawler.probe import classify_error

            return PageRef(url=url, status=None, depth=depth, error_kind=classify_error(exc))
        facts = None
        if status == 200 and "html" in (ctype or "text/html") and not looks_binary(bytes(body)):
            text, _ = decode_html(bytes(body), charset)
            facts = extract(final, text)
        return PageRef(url=url, status=status, depth=depth, final_url=final,
                       content_type=ctype or None, facts=facts)


def _listed(target: Target, page: PageRef, now: datetime
            ) -> list[tuple[str, str, datetime | None, str]]:
    """(url, title, list date, column url) of the items the watched page lists."""
    if page.facts is None:
        return []
    entry = target.site
    if target.path is None:  # the home page: every list block's items on the site
        return [(item.url, item.title, resolve(item.date, now) if item.date else None, "")
                for block in page.facts.lists for item in block.items
                if item.url and same_site(item.url, entry)]
    column = urljoin(entry.url, target.path)
    site = replace(entry, columns=(ColumnSpec(name="", path=target.path),))
    snapshot = SiteSnapshot(site=site, crawl_run_id=0, home=None, pages=(page,), links=(),
                            results={})
    return [(item.url, item.title, item.date, column)
            for found in discover_columns(snapshot, now) for item in found.items]


def watch_target(fetcher: _Fetcher, target: Target, known: set[str], limit: int,
                 now: datetime) -> tuple[TargetResult, dict[str, TrackedItem]]:
    page = fetcher.page(target.url, depth=0 if target.path is None else 1)
    if page.facts is None:
        reason = page.error_kind or (f"HTTP {page.status}" if page.status else "no answer")
        return TargetResult(target, ok=False, error=reason), {}
    listed = _listed(target, page, now)
    tracked: dict[str, TrackedItem] = {}
    fetched = 0
    for url, title, listed_date, column_url in listed:
        if url in tracked:
            continue
        if url in known:  # keep its stored publication time; only last_seen moves
            tracked[url] = TrackedItem(site=target.site.id, url=url, title=title,
                                       column_url=column_url, published=None, first_seen=now)
            continue
        published = listed_date
        if fetched < limit:
            fetched += 1
            article = fetcher.page(url, depth=2)
            facts = article.facts
            if facts is not None and facts.page_kind == "article" and facts.published:
                published = resolve(facts.published, now) or published
        tracked[url] = TrackedItem(site=target.site.id, url=url, title=title,
                                   column_url=column_url, published=published, first_seen=now)
    new = sum(1 for url in tracked if url not in known)
    return TargetResult(target, ok=True, items=len(tracked), new=new), tracked


def _record(factory: sessionmaker[Session], site_id: str, tracked: dict[str, TrackedItem],
            now: datetime, attempts: int = 3) -> None:
    for attempt in range(attempts):
        try:
            with factory.begin() as session:
                items.record_sightings(session, site_id, tracked, now)
            return
        except OperationalError:  # SQLite busy beyond its timeout: the nightly pass writes
            if attempt == attempts - 1:
                raise
            time.sleep(1.0 + attempt)


def _known(session: Session, site_id: str) -> set[str]:
    return set(session.scalars(select(m.ItemSighting.url).where(
        m.ItemSighting.site_id == site_id)))


def repost_watch(factory: sessionmaker[Session], settings: Settings, now: datetime,
                 stop: threading.Event | None = None) -> list[TargetResult]:
    """Poll every watched column once and record what it lists (see the module docstring)."""
    with factory() as session:
        registry = load_registry(session)
        watched = targets(registry)
        known = {site_id: _known(session, site_id)
                 for site_id in {t.site.id for t in watched}}
    if not watched:
        return []
    limit = settings.scheduler.repost_article_limit
    fetcher = _Fetcher(settings, registry.values())
    results: list[TargetResult] = []
    try:
        def run(target: Target) -> tuple[TargetResult, dict[str, TrackedItem]]:
            if stop is not None and stop.is_set():
                return TargetResult(target, ok=False, error="stopped"), {}
            return watch_target(fetcher, target, known[target.site.id], limit, now)

        workers = max(1, min(settings.probe.concurrency, len(watched)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="watch") as pool:
            done = list(pool.map(run, watched))
    finally:
        fetcher.close()
    by_site: dict[str, dict[str, TrackedItem]] = {}
    for result, tracked in done:
        results.append(result)
        merged = by_site.setdefault(result.target.site.id, {})
        for url, item in tracked.items():
            # An item listed by two watched columns of a site: the first (a column) wins.
            merged.setdefault(url, item)
    for site_id, tracked in by_site.items():
        if tracked:
            _record(factory, site_id, tracked, now)
    return results


def summary_line(results: Sequence[TargetResult]) -> str:
    failed = [r for r in results if not r.ok]
    new = sum(r.new for r in results)
    line = f"转载监测完成: {len(results)} 个栏目，新发现信息 {new} 条，失败 {len(failed)}"
    if failed:
        line += "（" + "；".join(f"{r.target.url}: {r.error}" for r in failed[:5]) + "）"
    return line
