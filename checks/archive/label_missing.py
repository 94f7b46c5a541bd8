"""archive.label-missing — 归档页面未标注“已归档”.

Rule: 永州办法 第十五条 and 山西办法 第八条(四) (归档后的页面在显著位置清晰注明“已归档”和归档时间).
Measured on the archived pages of `checks.archive.common` (under a registered
`archive_paths` prefix, an archived column's page, reached through a link saying 历史/归档/
旧版, or reached from such a page): the page shows no visible 已归档 label. A hidden stamp, a
label only in an attribute, or 归档 only in a navigation link is not a label (the extractor
gives no `archive` then). One finding per page, the first `max_pages` by URL; every finding
carries the total.
Fix: show “已归档” and the archive time in a prominent place of every archived page
(usually in the archive template's header).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.archive.common import Archived, archived_pages, capped
from checks.base import Context, Finding, Rule, Severity, SiteSnapshot

RULE = Rule(
    code="archive.label-missing",
    title="归档页面未标注“已归档”",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十五条; shanxi-2018 第八条(四); zhiyin-2017",
    scope="page",
    options=MappingProxyType({"max_pages": 200}),
    fix="在归档页面（通常为归档页面模板的页头）显著位置清晰注明“已归档”字样和归档时间，"
    "如“本页面已归档　归档时间：2026年1月5日”。",
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    faulty = [a for a in archived_pages(site) if a.page.facts and a.page.facts.archive is None]

    def message(item: Archived) -> str:
        return f"归档页面未在显著位置标注“已归档”（该页面{item.explanation}）"

    def evidence(item: Archived) -> dict[str, str]:
        facts = item.page.facts
        return {"title": facts.title if facts else ""}

    yield from capped(RULE, ctx, faulty, message, evidence)
