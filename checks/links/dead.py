"""links.dead — 网站页面存在不可用链接（错链、断链）.

Rule: 永州办法 第十九条(四) (daily patrol of 链接可用情况); 德州办法 第四十一条(四)
(是否存在错误链接); 2015评分表: 0.1 points per dead link.
Measured: every link found on a page other than the home page whose one request per crawl
(HEAD, GET fallback) ended in a status >= 400, a failed fetch (timeout, DNS, refused, TLS,
redirect loop, ...) or a soft 404; one finding per (target, page). Home-page links are
`links.dead-home`, never both.
Fix: correct or remove the link, or restore the target page.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.links.common import dead_link_findings

RULE = Rule(
    code="links.dead",
    title="页面存在不可用链接",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十九条(四); dezhou-2013 第四十一条(四); pucha-2015",
    scope="link",
    options=MappingProxyType({"points": 0.1}),
    fix="修改或删除错误链接，或恢复被链接的页面；外部链接失效时及时更新地址或撤下链接。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    yield from dead_link_findings(RULE, site, ctx, on_home=False)
