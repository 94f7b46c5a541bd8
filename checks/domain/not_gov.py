"""domain.not-gov — 政府网站域名未以 .gov.cn 结尾.

Rule: 德州办法 第十二条(一) (行政单位网站域名以“.gov.cn”结尾); 贵阳实施意见 三
(不得使用其他后缀的英文域名); 山西办法 第六条(六).
Measured on the registry, not on pages: the site's host and every extra host in `hosts` must be
`gov.cn` or end in `.gov.cn` (a link to a non-government site is not this site's domain).
One finding listing every offending host.
Fix: move the site to a “.gov.cn” domain (门户: www.<地名>.gov.cn; 部门: <部门>.<地名>.gov.cn)
and redirect the old domain to it.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot

RULE = Rule(
    code="domain.not-gov",
    title="网站域名未以.gov.cn结尾",
    severity=Severity.DEDUCT,
    reference="dezhou-2013 第十二条(一); guiyang-2018 三; shanxi-2018 第六条(六); zhiyin-2017",
    scope="site",
    fix="申请并启用以“.gov.cn”结尾的英文域名（门户网站 www.□□□.gov.cn，部门网站 ○○○.□□□.gov.cn），"
    "原域名跳转至新域名。",
)


def _is_gov(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host == "gov.cn" or host.endswith(".gov.cn")


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    offending = [host for host in ctx.site.all_hosts if not _is_gov(host)]
    if not offending:
        return
    url = site.home.url if site.home is not None else ctx.site.url
    yield RULE.finding(
        ctx,
        url=url,
        page=url,
        message=f"网站域名未以 .gov.cn 结尾: {'、'.join(offending)}",
        evidence={"hosts": offending, "registered_url": ctx.site.url},
    )
