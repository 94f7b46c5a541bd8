"""identity.police-missing — 未展示公安机关备案号，或备案链接与所示编号不一致.

Rule: 永州办法 第十条(二) and 山西办法 第七条(三) (向公安机关备案 before launch).
Measured on the home page: no 公网安备 string at all is a finding. Where the beian.gov.cn link
carries `recordcode=`, that code must equal a printed number (digits compared); a code that
equals none of them is a finding with the same code, naming both.
Fix: show the 公安机关备案号 in the footer, linked to its beian.gov.cn record.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts, squeeze

RULE = Rule(
    code="identity.police-missing",
    title="未展示公安机关备案号",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十条(二); shanxi-2018 第七条(三); zhiyin-2017 网页设计规范",
    scope="site",
    fix="在全站统一页脚中展示公安机关备案号（如“湘公网安备 43110302000125号”），"
    "并链接到全国互联网安全管理服务平台的备案信息，链接中的 recordcode 与所示编号一致。",
)


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d+", squeeze(text)))


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    if not facts.police:
        yield RULE.finding(
            ctx,
            url=url,
            page=url,
            message="页脚未发现公安机关备案号",
            evidence={
                "footer": facts.footer_text[:200],
                "recordcodes": list(facts.police_recordcodes),
            },
        )
        return
    printed = {_digits(text) for text in facts.police} - {""}
    differing = [code for code in facts.police_recordcodes if _digits(code) not in printed]
    if differing:
        yield RULE.finding(
            ctx,
            url=url,
            page=url,
            message="公安机关备案链接中的编号与页面所示备案号不一致",
            evidence={
                "displayed": list(facts.police),
                "recordcodes": list(facts.police_recordcodes),
                "differing": differing,
            },
        )
