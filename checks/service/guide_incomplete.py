"""service.guide-incomplete — 办事指南要素缺失.

Rule: 检查指标 (服务不实用: 办事指南要素缺失); 贵阳实施意见 六(三) (细化规范办事指南，列明依据条件、
流程时限、收费标准、办理机构、联系方式等); 山西办法 第十二条; 德州办法 第九条(二).
Measured on 办事指南 pages (the extractor's `guide`: a title segment or a heading names a 事项
before 办事指南/服务指南/办理指南; the bare column page 办事指南 is not a guide): each of the
ten `elements` (事项名称, 设定依据, 申请条件, 办理材料, 办理地点, 办理机构, 收费标准, 办理时间,
联系电话, 办理流程) is present when one of the page's labels (the
short texts of headings, table headers and cells, definition terms and bold spans, and
"标签：" prefixes, as the extractor recorded them) contains one of its synonyms (`elements`
maps each element to its synonyms; `extra_synonyms` adds to them). A guide missing
`min_missing` or more elements is a finding (one per page); the findings are vetoes when the
site has `veto_guides` or more such guides (检查指标: 5), else deductions.
Fix: complete every 办事指南 with all ten elements (a standard guide template helps).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, Rule, Severity, SiteSnapshot

ELEMENTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "事项名称": (
            "事项名称",
            "服务事项",
            "项目名称",
            "审批事项",
            "服务名称",
            "办理事项",
            "事项名",
        ),
        "设定依据": (
            "设定依据",
            "法律依据",
            "办理依据",
            "实施依据",
            "政策依据",
            "法定依据",
            "审批依据",
        ),
        "申请条件": ("申请条件", "受理条件", "办理条件", "申报条件", "准入条件", "申请人条件"),
        "办理材料": (
            "办理材料",
            "申请材料",
            "申报材料",
            "所需材料",
            "材料清单",
            "提交材料",
            "提交资料",
            "所需资料",
        ),
        "办理地点": (
            "办理地点",
            "受理地点",
            "办公地点",
            "办理地址",
            "受理地址",
            "办理窗口",
            "受理窗口",
        ),
        "办理机构": (
            "办理机构",
            "受理机构",
            "实施机构",
            "实施主体",
            "办理部门",
            "受理部门",
            "责任部门",
            "承办机构",
            "决定机构",
            "受理单位",
            "办理单位",
        ),
        "收费标准": ("收费标准", "收费依据", "是否收费", "收费情况", "收费项目", "办理费用"),
        "办理时间": (
            "办理时间",
            "受理时间",
            "办公时间",
            "工作时间",
            "办理时限",
            "承诺时限",
            "法定时限",
            "承诺期限",
            "法定期限",
        ),
        "联系电话": ("联系电话", "咨询电话", "咨询方式", "联系方式", "监督电话", "投诉电话"),
        "办理流程": (
            "办理流程",
            "办事流程",
            "受理流程",
            "办理程序",
            "审批流程",
            "流程图",
            "办理步骤",
        ),
    }
)

RULE = Rule(
    code="service.guide-incomplete",
    title="办事指南要素缺失",
    severity=Severity.VETO,  # when veto_guides or more guides; otherwise deduct
    reference="zhibiao-2019 (服务不实用); guiyang-2018 六(三); "
    "shanxi-2018 第十二条; dezhou-2013 第九条(二)",
    scope="page",
    options=MappingProxyType(
        {
            "elements": ELEMENTS,
            "extra_synonyms": MappingProxyType({}),
            "min_missing": 4,
            "veto_guides": 5,
        }
    ),
    fix="按照办事指南标准要素补全：事项名称、设定依据、申请条件、办理材料、办理地点、办理机构、"
    "收费标准、办理时间、联系电话、办理流程。",
)


def _synonyms(options: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    merged: dict[str, tuple[str, ...]] = {}
    elements: Mapping[str, Sequence[str]] = options["elements"]
    extra: Mapping[str, Sequence[str]] = options["extra_synonyms"]
    for name, words in elements.items():
        merged[name] = (str(name), *map(str, words), *map(str, extra.get(name, ())))
    return merged


def missing_elements(labels: Sequence[str], synonyms: Mapping[str, Sequence[str]]) -> list[str]:
    return [
        name
        for name, words in synonyms.items()
        if not any(word in label for label in labels for word in words)
    ]


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    synonyms = _synonyms(ctx.options)
    min_missing = max(int(ctx.options["min_missing"]), 1)
    faulty = []
    for page in sorted(site.pages, key=lambda p: p.url):
        facts = page.facts
        if facts is None or not facts.guide:
            continue
        missing = missing_elements(facts.guide_labels, synonyms)
        if len(missing) >= min_missing:
            faulty.append((page, facts, missing))
    severity = Severity.VETO if len(faulty) >= int(ctx.options["veto_guides"]) else Severity.DEDUCT
    for page, facts, missing in faulty:
        yield RULE.finding(
            ctx,
            url=page.url,
            page=page.url,
            severity=severity,
            message=f"办事指南缺少 {len(missing)} 项要素：{'、'.join(missing)}",
            evidence={
                "title": facts.meta.get("articletitle") or facts.title,
                "missing": missing,
                "present": len(synonyms) - len(missing),
                "incomplete_guides": len(faulty),
            },
        )
