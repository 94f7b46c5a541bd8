"""content.typos — 错别字.

Rule: 001 第十九条(三)1 (不出现错别字); 检查指标 (扣分; the serious ones are
content.serious-errors).
Measured like content.serious-errors, with the list of common 错别字 in government writing
(checks/content/data/typos.txt, `builtin`), files named in `files` and inline `pairs`. One
finding per page, the first `max_pages` pages by URL; evidence: up to `max_hits` matches, each
with its sentence and the correction.
Fix: correct the wording on the page.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.content.lexicon import prepare_pairs
from checks.content.pairs import pair_findings


def _prepare(options: dict[str, Any]) -> dict[str, Any]:
    return prepare_pairs(options, "typos.txt")


RULE = Rule(
    code="content.typos",
    title="错别字",
    severity=Severity.DEDUCT,
    reference="zhibiao-2019; yongzhou-2021 第十九条(三)1",
    scope="page",
    options=MappingProxyType(
        {"builtin": True, "files": (), "pairs": {}, "max_pages": 200, "max_hits": 5}
    ),
    fix="按证据中的正确写法更正页面文字。",
    prepare=_prepare,
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    yield from pair_findings(RULE, site, ctx, "错别字")
