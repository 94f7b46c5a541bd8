"""identity.icp-missing — 未展示ICP备案编号，或与登记不一致.

Rule: 永州办法 第十条(二) and 山西办法 第七条(三) (ICP 备案 before launch), 德州办法 第十一条;
发展指引 asks the footer to show the 备案编号.
Measured on the home page's footer identifiers: none at all is a finding. Any displayed
ICP string counts as present (lenient: a dropped 号 or stray spaces are not "missing"); when
the registry has `icp`, the displayed numbers are compared with it on the core
"<省>ICP备<number>号(-N)" after removing spaces, colons and labels, with 川/蜀, 贵/黔, 云/滇,
甘/陇 equal, and the "-N" suffix compared only when the registry gives one. No displayed
number matching the registered one is a finding with the same code.
Fix: show the ICP 备案编号 in the site-wide footer, exactly as registered with MIIT.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts, icp_is_strict, parse_icp

RULE = Rule(
    code="identity.icp-missing",
    title="未展示ICP备案编号",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十条(二); shanxi-2018 第七条(三); dezhou-2013 第十一条; "
    "zhiyin-2017",
    scope="site",
    fix="在全站统一页脚中展示ICP备案编号（如“湘ICP备05009375号”），并与工业和信息化部备案信息保持一致。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    registered = ctx.site.icp
    if not facts.icp:
        yield RULE.finding(
            ctx,
            url=url,
            page=url,
            message="页脚未发现ICP备案编号",
            evidence={"footer": facts.footer_text[:200], "registered": registered},
        )
        return
    expected = parse_icp(registered) if registered else None
    if expected is None:
        return
    parsed = [parse_icp(text) for text in facts.icp]
    if any(number is not None and number.matches(expected) for number in parsed):
        return
    yield RULE.finding(
        ctx,
        url=url,
        page=url,
        message=f"页脚ICP备案编号与登记不一致（登记为 {registered}）",
        evidence={
            "displayed": list(facts.icp),
            "registered": registered,
            "displayed_core": [str(n) if n else None for n in parsed],
            "registered_core": str(expected),
            "strict_form": [icp_is_strict(text) for text in facts.icp],
        },
    )
