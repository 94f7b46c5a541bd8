"""meta.page-tags-missing — 网页标签缺失或不规范.

Rule: 发展指引 附件 网页设计规范 (网页标签: SiteName, SiteDomain, SiteIDCode on every page;
ColumnName, ColumnType on column pages; ArticleTitle, PubDate, ContentSource on articles);
永州办法 第十九条(三)1 (准确、完整录入信息字段和内容标签).
Measured on every page with facts. A page is
- the home page: site tags only;
- an article: `ArticleTitle` meta present, or a typical article URL (/t20261101_123.html,
  /art/2026/…, /content_…, /content/post_…), or any other .html/.shtml/.htm that is not an
  index/default/list page;
- a column: `ColumnName` meta present, or a path ending in "/" or index.*/default.*/list.*.
PubDate must also match `pubdate_pattern` (YYYY-MM-DD HH:MM; seconds tolerated).
A site-wide template fault is reported once: site tags missing on the home page make ONE
finding at the home page, listing them and how many pages lack each; other pages are not
reported for those same tags. Every other gap is one finding per page, at most
`max_pages_listed` of them (by URL); the rest are counted in the home finding, which is made
for that count alone if needed.
Fix: add the missing <meta> tags to the page templates (首页、栏目页、文章页模板).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence, Set
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from checks.base import Context, Finding, PageRef, Rule, Severity, SiteSnapshot

RULE = Rule(
    code="meta.page-tags-missing",
    title="网页标签缺失或不规范",
    severity=Severity.NOTICE,
    reference="zhiyin-2017 网页设计规范; yongzhou-2021 第十九条(三)1",
    scope="page",
    options=MappingProxyType(
        {
            "site_tags": ("SiteName", "SiteDomain", "SiteIDCode"),
            "column_tags": ("ColumnName", "ColumnType"),
            "article_tags": ("ArticleTitle", "PubDate", "ContentSource"),
            "pubdate_pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})?$",
            "max_pages_listed": 200,
        }
    ),
    fix="按《政府网站发展指引》网页设计规范，在首页、栏目页和文章页模板中补充 SiteName、"
    "SiteDomain、SiteIDCode、ColumnName、ColumnType、ArticleTitle、PubDate（YYYY-MM-DD HH:MM）、"
    "ContentSource 等网页标签。",
)

_ARTICLE_PATH = re.compile(
    r"/t\d{8}_\d+\.s?html?$|/art/\d{4}/|/content_\d+|/content/post_\d+", re.IGNORECASE
)
_LISTING_NAME = re.compile(r"^(index|default|list)([_-]\w*)?\.\w+$", re.IGNORECASE)
_DOCUMENT_NAME = re.compile(r"\.s?html?$", re.IGNORECASE)
_KIND_NAMES = {"home": "首页", "article": "文章页", "column": "栏目页", "other": "页面"}
_SAMPLE = 20


@dataclass(frozen=True, slots=True)
class _Gaps:
    url: str
    kind: str
    missing: tuple[str, ...] = ()
    malformed: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.missing or self.malformed)


def page_kind(url: str, meta: Mapping[str, str], *, is_home: bool) -> str:
    """Classify a page as "home", "article", "column" or "other" (see the module docstring)."""
    if is_home:
        return "home"
    if meta.get("articletitle", "").strip():
        return "article"
    path = urlsplit(url).path or "/"
    if _ARTICLE_PATH.search(path):
        return "article"
    if meta.get("columnname", "").strip():
        return "column"
    name = path.rsplit("/", 1)[-1]
    if not name or _LISTING_NAME.match(name):
        return "column"
    if _DOCUMENT_NAME.search(name):
        return "article"
    return "other"


def _missing(meta: Mapping[str, str], tags: Sequence[str]) -> list[str]:
    return [tag for tag in tags if not meta.get(tag.lower(), "").strip()]


def _gaps(
    page: PageRef,
    meta: Mapping[str, str],
    kind: str,
    opts: Mapping[str, Any],
    site_wide: Set[str] = frozenset(),
) -> _Gaps:
    """What `page` lacks, leaving out the site tags already reported at the home page."""
    missing = [tag for tag in _missing(meta, opts["site_tags"]) if tag not in site_wide]
    malformed: dict[str, str] = {}
    if kind == "column":
        missing += _missing(meta, opts["column_tags"])
    elif kind == "article":
        missing += _missing(meta, opts["article_tags"])
        pubdate = meta.get("pubdate", "").strip()
        if pubdate and not re.match(opts["pubdate_pattern"], pubdate):
            malformed["PubDate"] = pubdate
    return _Gaps(page.url, kind, tuple(missing), malformed)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    home = site.home
    if home is None or home.facts is None:
        return
    opts = ctx.options
    home_urls = {u for u in (home.url, home.final_url) if u}
    home_gaps = _gaps(home, home.facts.meta, "home", opts)
    site_wide = frozenset(home_gaps.missing)  # reported once, at the home page

    others: dict[str, _Gaps] = {}
    lacking = dict.fromkeys(opts["site_tags"], 0)
    for tag in home_gaps.missing:
        lacking[tag] += 1
    for page in site.pages:
        if page.facts is None or page.url in home_urls or page.url in others:
            continue
        meta = page.facts.meta
        for tag in _missing(meta, opts["site_tags"]):
            lacking[tag] += 1
        kind = page_kind(page.url, meta, is_home=False)
        others[page.url] = _gaps(page, meta, kind, opts, site_wide)

    faulty = [gaps for _, gaps in sorted(others.items()) if gaps]
    limit = max(int(opts["max_pages_listed"]), 0)
    listed, unlisted = faulty[:limit], faulty[limit:]
    if home_gaps or unlisted:
        yield _home_finding(ctx, home.url, home_gaps, lacking, len(others) + 1, unlisted)
    for gaps in listed:
        yield RULE.finding(
            ctx,
            url=gaps.url,
            page=gaps.url,
            message=_describe(gaps),
            evidence={
                "kind": gaps.kind,
                "missing": list(gaps.missing),
                "malformed": dict(gaps.malformed),
            },
        )


def _home_finding(
    ctx: Context,
    url: str,
    gaps: _Gaps,
    lacking: Mapping[str, int],
    checked: int,
    unlisted: list[_Gaps],
) -> Finding:
    parts = []
    if gaps.missing:
        counts = "、".join(f"{tag} {lacking[tag]}" for tag in gaps.missing)
        parts.append(
            f"首页缺少网页标签 {'、'.join(gaps.missing)}"
            f"（全站共检查 {checked} 个页面，缺少页数: {counts}）"
        )
    if unlisted:
        parts.append(f"另有 {len(unlisted)} 个页面缺少网页标签，未逐一列出")
    return RULE.finding(
        ctx,
        url=url,
        page=url,
        message="；".join(parts),
        evidence={
            "missing_on_home": list(gaps.missing),
            "pages_lacking": {tag: n for tag, n in lacking.items() if n},
            "pages_checked": checked,
            "pages_not_listed": len(unlisted),
            "not_listed_sample": [g.url for g in unlisted[:_SAMPLE]],
        },
    )


def _describe(gaps: _Gaps) -> str:
    parts = []
    if gaps.missing:
        parts.append(f"{_KIND_NAMES[gaps.kind]}缺少网页标签 {'、'.join(gaps.missing)}")
    for tag, value in gaps.malformed.items():
        parts.append(f"{tag} 格式不规范（{value}，应为 YYYY-MM-DD HH:MM）")
    return "；".join(parts)
