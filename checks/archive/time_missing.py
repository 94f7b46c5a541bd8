"""archive.time-missing — 归档页面未标注归档时间.

Rule: 永州办法 第十五条 and 山西办法 第八条(四) (注明“已归档”和归档时间).
Measured on the archived pages of `checks.archive.common` that show the 已归档 label (a page
carrying the label is archived by its own declaration): no archive time next to it, that is
the extractor found none (`archive.time`) and the label's block text holds no date in any
common form (2026-01-05, 2026/1/5, 2026.01.05, 2026年1月5日 归档). One finding per page, the
first `max_pages` by URL; every finding carries the total. Pages without any label are
`archive.label-missing`.
Fix: add the archive time beside the 已归档 label (归档时间：2026年1月5日).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType

from checks.archive.common import Archived, archived_pages, capped
from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.timeutil import find_date

RULE = Rule(
    code="archive.time-missing",
    title="归档页面未标注归档时间",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十五条; shanxi-2018 第八条(四); zhiyin-2017",
    scope="page",
    options=MappingProxyType({"max_pages": 200}),
    fix="在“已归档”标注旁注明归档时间，如“归档时间：2026年1月5日”。",
)


def _lacks_time(item: Archived) -> bool:
    label = item.page.facts.archive if item.page.facts else None
    return label is not None and not label.time.strip() and find_date(label.text) is None


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    faulty = [item for item in archived_pages(site) if _lacks_time(item)]

    def message(item: Archived) -> str:
        return "归档页面标注了“已归档”，但未注明归档时间"

    def evidence(item: Archived) -> dict[str, str]:
        facts = item.page.facts
        label = facts.archive if facts else None
        return {"title": facts.title if facts else "", "label": label.text if label else ""}

    yield from capped(RULE, ctx, faulty, message, evidence)
