"""identity.name-missing — 网页头部未展示网站全称.

Rule: 山西办法 第六条(四) (网页顶部标识区域显著位置展示网站全称); 德州办法 第十三条(一).
Measured on the home page: the registered full name (`name` in sites.yaml) must appear in the
header text (logo alt/title, header text, meta SiteName, as extracted) or the `<title>`,
compared without whitespace and after NFKC (full-width forms).
Fix: show the site's full registered name in the page header and the `<title>`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts

RULE = Rule(
    code="identity.name-missing",
    title="网页头部未展示网站全称",
    severity=Severity.DEDUCT,
    reference="shanxi-2018 第六条(四); dezhou-2013 第十三条(一); zhiyin-2017 网页设计规范",
    scope="site",
    fix="在网页顶部标识区域显著位置和 <title> 中展示登记的网站全称（如“永州市人民政府”）。",
)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    name = _flat(ctx.site.name)
    if not name or name in _flat(facts.header_text) or name in _flat(facts.title):
        return
    yield RULE.finding(
        ctx,
        url=url,
        page=url,
        message=f"网页头部和标题中未发现网站全称“{ctx.site.name}”",
        evidence={
            "name": ctx.site.name,
            "header_text": facts.header_text[:200],
            "title": facts.title[:200],
        },
    )
