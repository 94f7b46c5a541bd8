"""meta.pubdate-missing — 文章未标注发布时间.

Rule: 德州办法 第二十二条 (政府网站公开的信息应当做到要素完整，标注来源、发布时间).
Measured on article pages (the extractor's `page_kind == "article"`): no publication time
(the extractor's `published`: a visible 发布时间/发布日期/日期 line, else the PubDate meta;
header "today" widgets and CMS generation stamps do not count). One finding per page, the
first `max_pages` by URL; every finding carries the total.
Fix: show 发布时间 on every article (usually a field of the article template).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.meta.articles import lacking

RULE = Rule(
    code="meta.pubdate-missing",
    title="文章未标注发布时间",
    severity=Severity.DEDUCT,
    reference="dezhou-2013 第二十二条; zhiyin-2017",
    scope="page",
    options=MappingProxyType({"max_pages": 200}),
    fix="在文章页模板中展示“发布时间：YYYY-MM-DD HH:MM”字段，并同步填写 PubDate 网页标签。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    yield from lacking(
        RULE, site, ctx, lambda facts: not facts.published.strip(), "文章页未标注发布时间"
    )
