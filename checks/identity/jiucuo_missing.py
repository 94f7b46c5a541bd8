"""identity.jiucuo-missing — 未设置“我为政府网站找错”入口，或入口标识码不一致.

Rule: 永州办法 第十九条(五) (规范、准确添加“政府网站找错平台”标识).
Measured on the home page: an entry is a link to
`zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=…` (extracted as `PageFacts.jiucuo`, the
site_code of each, "" when none given). None is a finding. An entry whose non-empty site_code
differs from the site's code (the registered `site_code`, else the footer's) is a finding with
the same code: complaints would reach another site.
Fix: add the 找错 badge linking to the platform with this site's own 标识码.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts, normalise_site_code

RULE = Rule(
    code="identity.jiucuo-missing",
    title="未设置“我为政府网站找错”入口",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十九条(五); zhibiao-2019",
    scope="site",
    fix="在首页添加“我为政府网站找错”标识，链接至 zfwzgl.www.gov.cn/exposure/jiucuo.html，"
    "site_code 参数填写本网站的标识码。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    if not facts.jiucuo:
        yield RULE.finding(
            ctx, url=url, page=url, message="首页未发现“我为政府网站找错”入口", evidence={}
        )
        return
    if ctx.site.site_code:
        expected = {normalise_site_code(ctx.site.site_code)}
    else:
        expected = {normalise_site_code(code) for code in facts.site_codes}
    if not expected:
        return
    differing = [
        code for code in facts.jiucuo if code and normalise_site_code(code) not in expected
    ]
    if differing:
        yield RULE.finding(
            ctx,
            url=url,
            page=url,
            message=f"找错入口标识码不一致（入口为 {'、'.join(differing)}）",
            evidence={
                "entries": list(facts.jiucuo),
                "differing": differing,
                "expected": sorted(expected),
                "expected_from": "registry" if ctx.site.site_code else "footer",
            },
        )
