"""What the column checks share: URL identity, column classes, and the blank/stale verdicts.

`columns.stale` needs the number of blank columns for its site-level veto and `columns.blank`
must never report a column `columns.stale` also reports, so both verdicts live here, once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlsplit

from checks.base import Column, Context, Finding, PageRef, Rule, Severity, SiteSnapshot
from checks.timeutil import describe_period, local_date, period_start
from core.site import SiteEntry
from crawler.facts import PageFacts
from crawler.links import ATTACHMENT_EXTENSIONS

# Chinese names of the column classes (the catalogue's wording), for messages.
CLASS_NAMES = {
    "news": "动态要闻类",
    "notice": "通知公告类",
    "policy": "政策文件类",
    "personnel": "人事类",
    "plan": "规划计划类",
    "static": "概况类",
    "other": "其他",
}
# Classes whose column is a list of dated items by nature: an empty list there is blank.
LIST_CLASSES = frozenset({"news", "notice", "policy", "personnel", "plan"})

# 历史/归档/旧版 mark an archived column, 专题 or old site; but 历史沿革, 历史文化 and the like
# are live 概况 columns about the place's history, not archives.
ARCHIVE_WORDS = re.compile(
    r"归档|旧版|历史(?!沿革|文化|名人|人物|古迹|遗[产存址迹]|名城|渊源|街区|建筑|风貌|典故|传说|上的今天)"
)
_INDEX_NAME = re.compile(r"/(?:index|default)\.(?:s?html?|jsp|php|aspx?)$", re.IGNORECASE)
_NOT_PAGES = (*ATTACHMENT_EXTENSIONS, ".jpg", ".jpeg", ".png", ".gif", ".bmp", ".mp4", ".mp3")
# Typical article URLs of Chinese government CMSs (TRS t20261101_123.html, Hanweb
# /art/2026/11/1/art_1_2.html, content_123.html, /content/post_123.html).
_ARTICLE_PATH = re.compile(
    r"/t\d{8}_\d+\.s?html?$|/art/\d{4}/|/content_\d+|/content/post_\d+", re.IGNORECASE
)


# Memoised: the column and archive checks key the same page URLs again and again (each page
# under its URL, its final URL and as the parent of others, in every check that indexes the
# pages). 8,192 entries (a few MB) cover the pages of a large site.
@functools.lru_cache(maxsize=8192)
def url_key(url: str) -> str:
    """A URL's identity as a column: host, path without a trailing index.* or "/", query.

    "/zwdt/", "/zwdt" and "/zwdt/index.html" are one column; scheme and fragment are ignored.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    path = _INDEX_NAME.sub("/", parts.path or "/").rstrip("/")
    query = f"?{parts.query}" if parts.query else ""
    return f"{(parts.hostname or '').lower()}{path}{query}"


def same_site(url: str, site: SiteEntry) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "").lower() in site.all_hosts


def is_attachment(url: str) -> bool:
    return (urlsplit(url).path or "").lower().endswith(_NOT_PAGES)


def looks_like_article(url: str) -> bool:
    return _ARTICLE_PATH.search(urlsplit(url).path or "") is not None


def pages_by_key(snapshot: SiteSnapshot) -> dict[str, PageRef]:
    """Every crawled page under its URL key (and its final URL's), a loaded page first."""
    found: dict[str, PageRef] = {}
    for page in snapshot.pages:
        for url in (page.url, page.final_url):
            if not url:
                continue
            key = url_key(url)
            current = found.get(key)
            if current is None or (current.facts is None and page.facts is not None):
                found[key] = page
    return found


def loaded(column: Column) -> bool:
    """The column page answered 2xx (a 404 column is `links.dead`'s, an uncrawled one no one's)."""
    return column.status is not None and 200 <= column.status < 300


# Default characters of a column page's own text (PageFacts.content_length: visible text
# outside header, footer, list items and links, whitespace excluded) from which the page is a
# piece of content: a 联系我们 page's address and phone numbers pass it, an empty list page's
# breadcrumb, headings and pager text stay well below it. Settings: `[columns]
# single_page_text_min` (core.settings.ColumnSettings).
SINGLE_PAGE_TEXT_MIN = 50


def is_single_page(column: Column, facts: PageFacts | None,
                   text_min: int = SINGLE_PAGE_TEXT_MIN) -> bool:
    """Whether a column is a single-page column (单页栏目: 联系我们, 机构职能, 领导简介,
    网站声明) rather than a list column, from its crawled page.

    Single-page: the page loaded, shows no placeholder, the extractor did not judge it a list
    page (`page_kind` "list": a pager under its list, or one list holding most of its
    entries), none of its items has a date (neither in the list nor on the item's own crawled
    page), and it carries text of its own: at least `text_min` characters outside
    header, footer, list items and links, more than the titles of its listed items (a sidebar
    of links beside the content is no list). A column the registry types as news/notice/
    policy/personnel/plan is a list column whatever its page shows."""
    if facts is None or not loaded(column) or column.placeholder or column.newest is not None:
        return False
    if facts.page_kind == "list":
        return False
    if column.source == "registry" and column.type in LIST_CLASSES:
        return False
    listed = sum(len(item.title) for item in column.items)
    return facts.content_length >= text_min and facts.content_length > listed


PLACEHOLDER = "页面显示“暂无信息”“正在建设中”等占位内容"
EMPTY_LIST = "栏目列表中没有任何信息条目"


def blank_reason(column: Column, page: PageRef | None, column_keys: frozenset[str]) -> str | None:
    """Why a loaded column counts as blank (有栏目无内容), or None.

    A placeholder (暂无信息, 正在建设中, ...) is blank whatever the class. An empty list is
    blank for a column that is a list by nature (news, notice, policy, personnel, plan) and
    for an unclassified one, unless the column is archived (frozen, not unfilled), is a 概况
    page (static: content, not a list), or its page is content of another kind: an article
    page, or a landing page leading to its own sub-columns (links to a column under its path).
    `column_keys` are the URL keys of every column of the site.
    """
    if not loaded(column):
        return None
    if column.placeholder:
        return PLACEHOLDER
    if column.items or column.archived or column.type == "static" or column.single_page:
        return None
    facts = page.facts if page is not None else None
    if column.type not in LIST_CLASSES and facts is not None:
        if facts.page_kind == "article":
            return None
        own = url_key(column.url)
        targets = [link.url for link in facts.nav] + [b.more_url for b in facts.lists]
        for target in targets:
            key = url_key(target) if target else ""
            if key in column_keys and key != own and key.startswith(own.rstrip("/") + "/"):
                return None
    return EMPTY_LIST


def blank_columns(snapshot: SiteSnapshot) -> list[tuple[Column, str]]:
    """The site's blank columns with the reason, in column order."""
    pages = pages_by_key(snapshot)
    keys = frozenset(url_key(column.url) for column in snapshot.columns)
    out = []
    for column in snapshot.columns:
        reason = blank_reason(column, pages.get(url_key(column.url)), keys)
        if reason is not None:
            out.append((column, reason))
    return out


def cycle_for(column: Column, cycles: Mapping[str, object]) -> object | None:
    """The update cycle that applies to a column, None when it is exempt (archived, a
    single-page column, static, other, or a class without a configured cycle)."""
    if column.archived or column.single_page:
        return None
    return cycles.get(column.type)


def is_stale(column: Column, now: datetime, cycle: object) -> bool:
    """Whether a loaded column with items (not a placeholder) is older than its cycle's window.

    Compared by calendar day (lists show days): newest on the window's first day is fresh.
    A column whose items carry no date at all is stale (检查指标: 未注明发布时间的视为不更新).
    A column without items, or showing a placeholder, is at most blank, never stale.
    """
    if not loaded(column) or column.placeholder or not column.items:
        return False
    if column.newest is None:
        return True
    return local_date(column.newest) < local_date(period_start(now, cycle))


def cycle_text(cycle: object) -> str:
    return describe_period(cycle)


def column_finding(rule: Rule, ctx: Context, column: Column, message: str, veto: str | None,
                   evidence: Mapping[str, object]) -> Finding:
    """A column-level finding (url = page = the column), veto when the site-level rule holds;
    the column's identity leads the evidence of every column check."""
    if veto:
        message += f"；{veto}，单项否决"
    return rule.finding(
        ctx,
        url=column.url,
        page=column.url,
        message=message,
        severity=Severity.VETO if veto else None,
        evidence={
            "name": column.name,
            "class": column.type,
            "class_name": CLASS_NAMES.get(column.type, column.type),
            "level": column.level,
            "source": column.source,
            **evidence,
            "veto": veto,
        },
    )
