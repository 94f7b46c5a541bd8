"""A site's columns (栏目) as one crawl saw them: pure, `(snapshot, now) -> tuple[Column]`.

The runner calls this once per check pass and stores the result; the column checks then read
`snapshot.columns`. Sources, in this order (the first to name a URL fixes its level):

1. level 1: the home page's navigation links (`facts.nav`);
2. level 2: each crawled level-1 column page's navigation links and the 更多 links of its
   list blocks (sub-column blocks of a landing page such as 政务公开), then the 更多 links of
   the home page's own list blocks that no navigation named (home blocks show columns too);
3. the registry's `columns`: a registered path overrides name and type of the column found
   at that URL (source "registry"), or adds it (level 1 for a one-segment path, else 2).

Only same-site pages count: not the home page itself, not attachments, not article pages
(crawled as page_kind "article", or a typical article URL when not crawled). URLs are one
column when they differ only by a trailing index.html / index.htm / index.shtml / "/".

A column's items are its page's main list (see `_main_blocks`), followed through crawled
下一页 pages only until a dated item shows up; dates are resolved with `checks.timeutil`
against `now`. When the list shows no date at all, the newest publication time among the
items' own crawled article pages stands in (newest_from "article"), as the catalogue says.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from checks.base import Column, ColumnItem, PageRef, SiteSnapshot
from checks.columns.common import (
    ARCHIVE_WORDS,
    SINGLE_PAGE_TEXT_MIN,
    is_attachment,
    is_single_page,
    looks_like_article,
    pages_by_key,
    same_site,
    url_key,
)
from checks.timeutil import resolve
from core.site import COLUMN_TYPES
from crawler.facts import ListBlock, PageFacts

# Name keywords per class, in priority order (the order, 概况类 last so that
# 领导动态 is news and 机构职能 static). Registry types win over all of these.
CLASS_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("news", ("动态", "要闻", "新闻")),
    ("notice", ("通知", "公告", "公示")),
    ("policy", ("政策", "文件", "法规")),
    ("personnel", ("人事", "任免")),
    ("plan", ("规划", "计划")),
    ("static", ("概况", "简介", "机构", "领导", "职能")),
)
MAX_LIST_PAGES = 50  # a guard against 下一页 loops; real lists find a date on page 1


def classify(name: str) -> str:
    """A column's class from its name: news, notice, policy, personnel, plan, static, other."""
    for kind, words in CLASS_KEYWORDS:
        if any(word in name for word in words):
            return kind
    return "other"


@dataclass(slots=True)
class _Found:
    url: str
    name: str
    level: int
    link_text: str  # the navigation text it was found under ("" for the registry)
    source: str = "nav"
    type: str | None = None  # a registry type, else classified by name


def discover_columns(snapshot: SiteSnapshot, now: datetime,
                     single_page_text_min: int = SINGLE_PAGE_TEXT_MIN) -> tuple[Column, ...]:
    site = snapshot.site
    pages = pages_by_key(snapshot)
    home_keys = {url_key(site.url)}
    if snapshot.home is not None:
        home_keys |= {url_key(u) for u in (snapshot.home.url, snapshot.home.final_url) if u}
    found: dict[str, _Found] = {}

    def add(url: str, text: str, level: int) -> None:
        name = _clean(text)
        key = url_key(url)
        if key in found or key in home_keys or not name or not _column_url(url, snapshot, pages):
            return
        found[key] = _Found(url=url, name=name, level=level, link_text=name)

    home_facts = snapshot.home.facts if snapshot.home is not None else None
    if home_facts is not None:
        for link in home_facts.nav:
            if link.kind != "attachment":
                add(link.url, link.text, 1)
    for key in list(found):  # the level-1 columns, before any level 2 is added
        page = pages.get(key)
        if page is None or page.facts is None:
            continue
        for link in page.facts.nav:
            if link.kind != "attachment":
                add(link.url, link.text, 2)
        for block in page.facts.lists:
            if block.more_url:
                add(block.more_url, block.heading, 2)
    if home_facts is not None:
        for block in home_facts.lists:
            if block.more_url:
                add(block.more_url, block.heading, 2)
    for spec in site.columns:
        url = urljoin(site.url, spec.path)
        key = url_key(url)
        entry = found.get(key)
        if entry is None:
            level = 1 if len([s for s in urlsplit(url).path.split("/") if s]) <= 1 else 2
            entry = found[key] = _Found(url=url, name=spec.name, level=level, link_text="")
        entry.name, entry.source = spec.name or entry.name, "registry"
        entry.type = spec.type if spec.type in COLUMN_TYPES else None
    return tuple(_column(entry, pages, now, single_page_text_min) for entry in found.values())


def _clean(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text or "").split())


def _column_url(url: str, snapshot: SiteSnapshot, pages: dict[str, PageRef]) -> bool:
    """Whether a navigation target can be a column: same site, a page, not an article."""
    if not same_site(url, snapshot.site) or is_attachment(url):
        return False
    page = pages.get(url_key(url))
    if page is not None and page.facts is not None:
        return page.facts.page_kind != "article"
    return not looks_like_article(url)


def _column(entry: _Found, pages: dict[str, PageRef], now: datetime, text_min: int) -> Column:
    page = pages.get(url_key(entry.url))
    facts = page.facts if page is not None else None
    kind = entry.type or classify(entry.name)
    archived = bool(
        ARCHIVE_WORDS.search(entry.name)
        or ARCHIVE_WORDS.search(entry.link_text)
        or (facts is not None and facts.archive is not None)
    )
    column = Column(
        url=entry.url,
        name=entry.name,
        type=kind,
        level=entry.level,
        source=entry.source,
        archived=archived,
        status=page.status if page is not None else None,
        placeholder=bool(facts is not None and facts.placeholder),
    )
    if facts is None:
        return column
    items = _items(entry.name, facts, pages, now)
    dated = [item.date for item in items if item.date is not None]
    if dated:
        return replace(column, items=items, newest=max(dated), newest_from="list")
    published = [
        when
        for when in (_published(pages.get(url_key(item.url)), now) for item in items)
        if when is not None
    ]
    if published:
        return replace(column, items=items, newest=max(published), newest_from="article")
    column = replace(column, items=items)
    return replace(column, single_page=is_single_page(column, facts, text_min))


def _published(page: PageRef | None, now: datetime) -> datetime | None:
    if page is None or page.facts is None or not page.facts.published:
        return None
    return resolve(page.facts.published, now)


def _items(
    name: str, facts: PageFacts, pages: dict[str, PageRef], now: datetime
) -> tuple[ColumnItem, ...]:
    """The main list's items, through crawled 下一页 pages until one of them has a date."""
    items: dict[str, ColumnItem] = {}
    seen: set[str] = set()
    current: PageFacts | None = facts
    while current is not None and len(seen) < MAX_LIST_PAGES:
        seen.add(url_key(current.url))
        for block in _main_blocks(name, current):
            for entry in block.items:
                if entry.url and entry.url not in items:
                    date = resolve(entry.date, now) if entry.date else None
                    items[entry.url] = ColumnItem(title=entry.title, url=entry.url, date=date)
        if any(item.date is not None for item in items.values()) or not current.next_page:
            break
        following = pages.get(url_key(current.next_page))
        if following is None or url_key(current.next_page) in seen:
            break
        current = following.facts
    return tuple(items.values())


def _main_blocks(name: str, facts: PageFacts) -> Iterator[ListBlock]:
    """The list block(s) that hold a column page's own items, not its sidebars.

    Blocks headed with the column's name, if any; else the largest block without a 更多 link
    to elsewhere (sidebars such as 热点信息 link to their own columns); else, on a landing page
    whose every block leads to a sub-column, all blocks (the column is updated when any is).
    """
    blocks = [block for block in facts.lists if block.items]
    if not blocks:
        return
    wanted = _clean(name)
    named = [b for b in blocks if _clean(b.heading) and _clean(b.heading) == wanted]
    if named:
        yield from named
        return
    own_key = url_key(facts.url)
    own = [b for b in blocks if not b.more_url or url_key(b.more_url) == own_key]
    if own:
        yield max(own, key=lambda b: len(b.items))
        return
    yield from blocks
