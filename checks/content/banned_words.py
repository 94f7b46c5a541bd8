"""content.banned-words — 使用禁用词或不规范用语.

Rule: 检查指标 (严重表述错误: 单项否决); 004 第三十二条 (依据《互联网信息服务管理办法》加强
内容监管).
Measured over each page's visible text (PageFacts.text) with an Aho-Corasick automaton
(checks.content.lexicon) over two lists: `veto` (严重表述错误: expressions a government page
must never use) and `deduct` (不规范、歧视性用语). Each list is the built-in file
(checks/content/data/banned_veto.txt, banned_deduct.txt; `builtin = false` drops both), plus
the files of `veto_files` / `deduct_files` and the inline `veto_words` / `deduct_words`. One
finding per page, the first `max_pages` pages by URL: veto when any word of the veto list is
on it, else deduct; evidence: up to `max_hits` matches with their list and sentence.
Fix: remove or rephrase the expression (e.g. 北朝鲜 -> 朝鲜, 残废人 -> 残疾人).
"""

from __future__ import annotations

from collections.abc import Iterator
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot
from checks.content.lexicon import find, joined, prepare_words, sentence, text_pages

LISTS = {"veto": "banned_veto.txt", "deduct": "banned_deduct.txt"}
_LIST_LABEL = {"veto": "严重表述错误", "deduct": "不规范用语"}


def _prepare(options: dict[str, Any]) -> dict[str, Any]:
    return prepare_words(options, LISTS)


RULE = Rule(
    code="content.banned-words",
    title="使用禁用词或不规范用语",
    severity=Severity.VETO,
    reference="zhibiao-2019 （单项否决：严重表述错误）; dongcheng-2014 第三十二条",
    scope="page",
    options=MappingProxyType(
        {
            "builtin": True,
            "veto_words": (),
            "deduct_words": (),
            "veto_files": (),
            "deduct_files": (),
            "max_pages": 200,
            "max_hits": 5,
        }
    ),
    fix="删除或改写证据中的用语（如“北朝鲜”应为“朝鲜”，“残废人”应为“残疾人”）。",
    prepare=_prepare,
)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    entries = ctx.options["_words"]
    found = []
    for page in text_pages(site):
        assert page.facts is not None
        matches = find(entries, page.facts.text)
        if matches:
            found.append((page, page.facts.text, matches))
    for page, text, matches in found[: ctx.options["max_pages"]]:
        veto = any(m.value == "veto" for m in matches)
        words = list(dict.fromkeys(m.key for m in matches))
        label = _LIST_LABEL["veto" if veto else "deduct"]
        yield RULE.finding(
            ctx,
            url=page.url,
            page=page.url,
            message=f"页面使用{label}{joined(words[:3])}（共{len(matches)}处）",
            severity=Severity.VETO if veto else Severity.DEDUCT,
            evidence={
                "hits": [
                    {"word": m.key, "list": m.value, "sentence": sentence(text, m.start, m.end)}
                    for m in matches[: ctx.options["max_hits"]]
                ],
                "hits_total": len(matches),
                "pages_total": len(found),
            },
        )
