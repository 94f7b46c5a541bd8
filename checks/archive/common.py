"""Which crawled pages are archived (归档页面), and why: shared by both archive checks.

A page is archived when
- its URL path starts with one of the registry's `archive_paths`;
- it carries a visible 已归档 label itself (the page declares it);
- it is the page of a column discovered as archived (历史/归档/旧版 in its name or link), or
  it was reached through a navigation or content link whose text says 历史/归档/旧版 (a 专题
  or an old site marked as archived);
- or the crawl first reached it (PageRef.parent_url, followed upwards) from such a page.
The walk upwards stops at the home page and at live (not archived) columns, so that a live
page that happened to be reached through an archive page first is still judged live.
Only loaded HTML pages (2xx with facts) other than the home page are considered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from checks.base import Context, Finding, PageRef, Rule, SiteSnapshot
from checks.columns.common import ARCHIVE_WORDS, url_key
from crawler.facts import Link

MAX_CHAIN = 50  # parent links followed upwards at most (guards against cycles)


@dataclass(frozen=True, slots=True)
class Archived:
    page: PageRef
    reason: str  # Chinese, for the message
    by: str  # "path" | "label" | "column" | "link"
    via: str  # the URL that makes it archived (itself, the column, or the linking page)
    # The archived page it was reached from, when it is archived only through that page;
    # `reason` is then that page's own reason.
    inherited_from: str = ""

    @property
    def root(self) -> str:
        """The page archived on its own account that makes this one archived."""
        return self.inherited_from or self.page.url

    @property
    def explanation(self) -> str:
        if self.inherited_from:
            return f"由归档页面 {self.inherited_from} 进入，该页面{self.reason}"
        return self.reason


def _loaded(page: PageRef) -> bool:
    return page.facts is not None and page.status is not None and 200 <= page.status < 300


def _path_prefix(path: str) -> str:
    return path if path.startswith("/") else f"/{path}"


def archived_pages(snapshot: SiteSnapshot) -> list[Archived]:
    """The site's archived pages, by URL."""
    walk = _Walk(snapshot)
    out: dict[str, Archived] = {}
    for page in sorted(snapshot.pages, key=lambda p: p.url):
        key = url_key(page.url)
        if key in walk.home_keys or not _loaded(page) or page.url in out:
            continue
        if key in walk.live_columns and walk.own_reason(page) is None:
            continue
        found = walk.reason_for(page)
        if found is not None:
            out[page.url] = found
    return list(out.values())


class _Walk:
    """One site's pages with what deciding why a page is archived needs, and the decisions.

    A class rather than nested functions: a recursive closure is a reference cycle, which
    kept the whole snapshot's pages alive until the cyclic garbage collector ran.
    """

    def __init__(self, snapshot: SiteSnapshot) -> None:
        site = snapshot.site
        home = snapshot.home
        self.home_keys = {url_key(site.url)}
        if home is not None:
            self.home_keys |= {url_key(u) for u in (home.url, home.final_url) if u}
        self.by_key: dict[str, PageRef] = {}
        for page in snapshot.pages:
            self.by_key.setdefault(url_key(page.url), page)
        self.live_columns = {url_key(c.url) for c in snapshot.columns if not c.archived}
        self.archived_columns = {url_key(c.url): c for c in snapshot.columns if c.archived}
        self.stops = self.home_keys | self.live_columns  # the walk upwards ends at these
        self.prefixes = tuple(_path_prefix(p) for p in site.archive_paths)
        # Per parent page (by key): its links whose text says 历史/归档/旧版, the first one
        # per target key. WHY: looking each page up among all of its parent's links was
        # O(pages x links) and most of a check pass's time.
        self.marked_links: dict[str, dict[str, Link]] = {}
        self.memo: dict[str, Archived | None] = {}

    def marked_links_of(self, parent_key: str, parent: PageRef) -> dict[str, Link]:
        found = self.marked_links.get(parent_key)
        if found is None:
            found = {}
            if parent.facts is not None:
                for link in (*parent.facts.nav, *parent.facts.links):
                    if ARCHIVE_WORDS.search(link.text):
                        found.setdefault(url_key(link.url), link)
            self.marked_links[parent_key] = found
        return found

    def own_reason(self, page: PageRef) -> Archived | None:
        """Why a page is archived on its own account (not through its parent)."""
        key = url_key(page.url)
        path = urlsplit(page.url).path or "/"
        prefix = next((p for p in self.prefixes if path.startswith(p)), None)
        if prefix is not None:
            return Archived(page, f"位于登记的归档路径 {prefix} 下", "path", page.url)
        column = self.archived_columns.get(key)
        if column is not None:
            return Archived(page, f"是已归档栏目“{column.name}”的页面", "column", column.url)
        if page.parent_url:
            parent_key = url_key(page.parent_url)
            parent = self.by_key.get(parent_key)
            if parent is not None:
                link = self.marked_links_of(parent_key, parent).get(key)
                if link is not None:
                    return Archived(page, f"经标注“{link.text}”的链接进入", "link", parent.url)
        if page.facts is not None and page.facts.archive is not None:
            return Archived(page, "页面自身标注为已归档", "label", page.url)
        return None

    def reason_for(self, page: PageRef, depth: int = 0) -> Archived | None:
        """Why a page is archived, on its own account or through its parents."""
        memo = self.memo
        key = url_key(page.url)
        if key in memo:
            return memo[key]
        memo[key] = None  # provisional: breaks cycles in parent links
        found = self.own_reason(page)
        if found is None and depth < MAX_CHAIN and page.parent_url:
            parent_key = url_key(page.parent_url)
            parent = self.by_key.get(parent_key)
            if parent is not None and parent_key not in self.stops:
                inherited = self.reason_for(parent, depth + 1)
                if inherited is not None:
                    found = Archived(
                        page, inherited.reason, inherited.by, inherited.via, inherited.root
                    )
        memo[key] = found
        return found


def capped(
    rule: Rule,
    ctx: Context,
    faulty: Iterable[Archived],
    message: Callable[[Archived], str],
    evidence: Callable[[Archived], Mapping[str, Any]],
) -> Iterator[Finding]:
    """One finding per faulty page, the first `max_pages` by URL, each with the total."""
    pages = list(faulty)
    limit = max(int(ctx.options["max_pages"]), 0)
    for item in pages[:limit]:
        yield rule.finding(
            ctx,
            url=item.page.url,
            page=item.page.url,
            message=message(item),
            evidence={
                **evidence(item),
                "archived_because": item.explanation,
                "archived_by": item.by,
                "archived_via": item.via,
                "pages_total": len(pages),
                "pages_listed": min(len(pages), limit),
            },
        )
