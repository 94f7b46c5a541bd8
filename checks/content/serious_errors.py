"""content.serious-errors — 严重错别字、严重表述错误.

Rule: 检查指标 (国办秘函〔2019〕19号) 单项否决: 严重错别字、严重表述错误; 001 第十九条(三)1
(用语用字应当符合国家通用语言文字规范, 不出现错别字).
Measured over each page's visible text (PageFacts.text, as crawled): the wrong forms of fixed
political and administrative terms, titles and leaders' names, from (wrong -> right) lists
matched with an Aho-Corasick automaton (checks.content.lexicon): the built-in starter list
(checks/content/data/serious_errors.txt, switched off by `builtin = false`), the region lists
named in `files` (leaders' names and posts of a region: one "错误写法<TAB>正确写法" a line),
and inline `pairs`. Every wrong form must be impossible inside correct text (not a substring of
a correct usage), so a match is always an error. One finding per page, the first `max_pages`
pages by URL; evidence: up to `max_hits` matches, each with its sentence and the correction.
Fix: correct the wording on the page (and in the CMS template or source it was copied from).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.content.lexicon import prepare_pairs
from checks.content.pairs import pair_findings


def _prepare(options: dict[str, Any]) -> dict[str, Any]:
    return prepare_pairs(options, "serious_errors.txt")


RULE = Rule(
    code="content.serious-errors",
    title="严重错别字或严重表述错误",
    severity=Severity.VETO,
    reference="zhibiao-2019 （单项否决：严重错别字、严重表述错误）; yongzhou-2021 第十九条(三)1",
    scope="page",
    options=MappingProxyType(
        {"builtin": True, "files": (), "pairs": {}, "max_pages": 200, "max_hits": 5}
    ),
    fix="按证据中的正确写法更正页面文字，并核对同一来源的其他稿件；领导姓名、职务以本地区名单为准。",
    prepare=_prepare,
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    yield from pair_findings(RULE, site, ctx, "严重表述错误")
