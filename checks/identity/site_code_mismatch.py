"""identity.site-code-mismatch — 政府网站标识码格式错误或与登记不一致.

Rule: 永州办法 第十条(四) and 山西办法 第七条(四) (the code is assigned by the
全国政府网站信息报送系统, so the page must show that code and no other).
Measured on the home page: each footer code must be `bm` + 8 digits, or 10 digits whose first
two are a province's administrative division code; it must equal the registered `site_code`
and a non-empty `SiteIDCode` meta tag; the footer must not show two different codes. A
non-empty meta tag is held to the same shape and registry. All problems make ONE finding.
No footer code at all is `identity.site-code-missing`, not this.
Fix: show the code exactly as assigned, and put the same value in the SiteIDCode tag.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts, normalise_site_code, site_code_shape_problem

RULE = Rule(
    code="identity.site-code-mismatch",
    title="政府网站标识码格式错误或与登记不一致",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十条(四); shanxi-2018 第七条(四); zhiyin-2017",
    scope="site",
    fix="按全国政府网站信息报送系统分配的标识码更正页脚，并使 SiteIDCode 网页标签与之一致。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    meta = facts.meta.get("siteidcode", "").strip()
    registered = (ctx.site.site_code or "").strip()
    problems: list[str] = []
    footer = {normalise_site_code(code): code for code in facts.site_codes}
    if len(footer) > 1:
        problems.append(f"页脚出现多个不同的标识码（{'、'.join(footer.values())}）")
    for value, code in footer.items():
        shape = site_code_shape_problem(code)
        if shape:
            problems.append(f"页脚{shape}")
        if registered and value != normalise_site_code(registered):
            problems.append(f"页脚标识码 {code} 与登记的 {registered} 不一致")
        if meta and value != normalise_site_code(meta):
            problems.append(f"页脚标识码 {code} 与 SiteIDCode 网页标签 {meta} 不一致")
    # A meta value equal to a footer code has been judged with it above.
    if meta and normalise_site_code(meta) not in footer:
        shape = site_code_shape_problem(meta)
        if shape:
            problems.append(f"SiteIDCode 网页标签{shape}")
        if registered and normalise_site_code(meta) != normalise_site_code(registered):
            problems.append(f"SiteIDCode 网页标签 {meta} 与登记的 {registered} 不一致")
    if not problems:
        return
    yield RULE.finding(
        ctx,
        url=url,
        page=url,
        message="；".join(problems),
        evidence={
            "displayed": list(facts.site_codes),
            "meta_siteidcode": meta,
            "registered": ctx.site.site_code,
            "problems": problems,
        },
    )
