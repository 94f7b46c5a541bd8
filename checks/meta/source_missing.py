"""meta.source-missing — 文章未标注信息来源.

Rule: 德州办法 第二十二条 (政府网站公开的信息应当做到要素完整，标注来源、发布时间).
Measured on article pages (the extractor's `page_kind == "article"`): no 来源 shown (the
extractor's `source`: the visible 来源/信息来源/文章来源 value, or the ContentSource meta). One
finding per page, the first `max_pages` by URL; every finding carries the total.
Fix: show 来源 on every article (usually a field of the article template).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.meta.articles import lacking

RULE = Rule(
    code="meta.source-missing",
    title="文章未标注信息来源",
    severity=Severity.DEDUCT,
    reference="dezhou-2013 第二十二条; zhiyin-2017",
    scope="page",
    options=MappingProxyType({"max_pages": 200}),
    fix="在文章页模板中展示“来源：”字段，并在发布时填写信息来源单位。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    yield from lacking(
        RULE, site, ctx, lambda facts: not facts.source.strip(), "文章页未标注信息来源（来源）"
    )
