"""links.dead-home — 首页存在不可用链接.

Rule: as `links.dead` (永州办法 第十九条(四); 德州办法 第四十一条(四)); 2015评分表: 1 point per dead
link on the home page, ten times a link elsewhere, hence a check of its own.
Measured: the links of the home page (as requested or after its redirect) judged as in
`links.dead`; one finding per (target, home page).
Fix: correct or remove the link on the home page, or restore the target page.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.links.common import dead_link_findings

RULE = Rule(
    code="links.dead-home",
    title="首页存在不可用链接",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十九条(四); dezhou-2013 第四十一条(四); pucha-2015",
    scope="link",
    options=MappingProxyType({"points": 1.0}),
    fix="首页链接权重最高，应优先修改或删除错误链接，或恢复被链接的页面。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    yield from dead_link_findings(RULE, site, ctx, on_home=True)
