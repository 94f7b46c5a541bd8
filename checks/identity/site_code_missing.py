"""identity.site-code-missing — 页脚未展示政府网站标识码.

Rule: 永州办法 第十条(四) and 山西办法 第七条(四) (a site goes online only with its 政府网站标识码);
发展指引 puts the code in the footer.
Measured on the home page: no value next to 网站标识码 / 网站识别码 in the footer. The
`SiteIDCode` meta tag is corroboration, not a substitute: a page with the meta tag but no
visible code is a finding (its value is in the evidence).
Fix: show “网站标识码：XXXXXXXXXX” in the site-wide footer.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts

RULE = Rule(
    code="identity.site-code-missing",
    title="页脚未展示政府网站标识码",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十条(四); shanxi-2018 第七条(四); zhiyin-2017",
    scope="site",
    fix="在全站统一页脚中展示“网站标识码：”加全国政府网站信息报送系统分配的标识码；"
    "仅在 SiteIDCode 网页标签中填写不能代替页脚展示。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    if facts.site_codes:
        return
    meta = facts.meta.get("siteidcode", "")
    message = "页脚未展示政府网站标识码"
    if meta.strip():
        message += f"（仅在 SiteIDCode 网页标签中有 {meta.strip()}）"
    yield RULE.finding(
        ctx,
        url=url,
        page=url,
        message=message,
        evidence={
            "meta_siteidcode": meta,
            "registered": ctx.site.site_code,
            "footer": facts.footer_text[:200],
        },
    )
