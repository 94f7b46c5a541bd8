"""identity.conac-missing — 未展示党政机关网站标识.

Rule: 永州办法 第十条(一), 山西办法 第七条(二), 贵阳实施意见 四(二) (党政机关网站标识 obtained
through the 机构 编制部门 before launch).
Measured on the home page: present when the page loads a `dcs.conac.cn/js/…` badge script or
links to `bszs.conac.cn/sitename?method=show&id=…` (extracted as `PageFacts.conac`). Every
registered site is a 党政机关 site, so no badge at all is a finding; only blue (事业单位)
badges is a finding of severity notice: the wrong badge, not a missing one.
Fix: apply for and show the red 党政机关网站标识 in the footer.
"""

from __future__ import annotations

from collections.abc import Iterator

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.identity.common import home_facts

RULE = Rule(
    code="identity.conac-missing",
    title="未展示党政机关网站标识",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十条(一); shanxi-2018 第七条(二); guiyang-2018 四(二); "
    "zhiyin-2017 网页设计规范",
    scope="site",
    fix="向机构编制部门申请党政机关网站标识，"
    "并在全站页脚加挂红色“党政机关”标识（链接至 bszs.conac.cn）。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    found = home_facts(site)
    if found is None:
        return
    url, facts = found
    badges = [
        {"form": b.form, "url": b.url, "badge_id": b.badge_id, "blue": b.blue} for b in facts.conac
    ]
    if not facts.conac:
        yield RULE.finding(
            ctx, url=url, page=url, message="未发现党政机关网站标识", evidence={"badges": []}
        )
    elif all(b.blue for b in facts.conac):
        yield RULE.finding(
            ctx,
            url=url,
            page=url,
            message="使用事业单位标识，政府网站应加挂党政机关网站标识",
            evidence={"badges": badges},
            severity=Severity.NOTICE,
        )
