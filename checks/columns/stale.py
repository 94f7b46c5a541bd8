"""columns.stale — 栏目信息长期未更新.

Rule: 永州办法 第十九条(四) (daily patrol of 栏目更新情况); 德州办法 第四十一条(一)
(各栏目及其子栏目内容
是否及时更新); 山西办法 第十条 (及时更新); 检查指标 and 2015评分表 (cycles, points, veto).
Measured on the columns of `checks.columns.discover` (navigation and registry): a column is
stale when its newest item (list date, else the newest crawled article of its list) falls
before its class's window ending at `--as-of`: 动态要闻 (news) 2 weeks, 通知公告 and 政策文件
(notice, policy) 6 months, 人事 and 规划计划 (personnel, plan) 1 year; months and years are
calendar months and years, and dates are compared by calendar day (a newest item on the
window's first day is fresh). A column whose items show no date at all is stale (检查指标:
未注明发布时间的视为不更新). Exempt: 概况/机构/领导 (static) and unclassified columns, archived
columns (历史/归档/旧版, or an 已归档 label), single-page columns (one piece of content with
no dated item, such as 新闻发言人 or 联系我们, unless the registry types the column; see
`columns.blank`), columns that did not load, and blank columns (those are `columns.blank`).
`cycles` maps a class to a period: an int is days, a string "<n>d|w|m|y" (e.g. "6m"); 0
exempts the class; classes left out keep their default. Points per stale column come from the
2015评分表 by class (news 5, notice/policy 4, personnel/plan 3: the shorter the cycle, the
more visible the lapse), carried in the evidence as `class` and `points` (reports score with
`[scoring.column_class_points]`).
Site-level veto (检查指标): when the stale news columns plus the stale level-1 notice/policy
columns reach `veto_news_notice` (5), or all stale columns plus the blank ones reach
`veto_total` (10), every stale finding of the site has severity veto and says which.
Fix: update the column, or merge / archive a column that can no longer be kept up to date.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from checks.base import Column, Context, Finding, Rule, Severity, SiteSnapshot
from checks.columns.common import (
    CLASS_NAMES,
    blank_columns,
    column_finding,
    cycle_for,
    cycle_text,
    is_stale,
)
from checks.timeutil import fmt, local_date, parse_period, period_start
from core.site import COLUMN_TYPES

DEFAULT_CYCLES: Mapping[str, object] = MappingProxyType(
    {"news": "14d", "notice": "6m", "policy": "6m", "personnel": "1y", "plan": "1y"}
)
DEFAULT_POINTS: Mapping[str, float] = MappingProxyType(
    {"news": 5.0, "notice": 4.0, "policy": 4.0, "personnel": 3.0, "plan": 3.0}
)

RULE = Rule(
    code="columns.stale",
    title="栏目信息长期未更新",
    severity=Severity.DEDUCT,
    reference="yongzhou-2021 第十九条(四); dezhou-2013 第四十一条(一); shanxi-2018 第十条; "
    "zhibiao-2019; pucha-2015",
    scope="page",
    options=MappingProxyType(
        {
            "cycles": dict(DEFAULT_CYCLES),
            "points": dict(DEFAULT_POINTS),
            "veto_news_notice": 5,
            "veto_total": 10,
        }
    ),
    fix="按栏目类别及时更新信息（动态要闻类2周内、通知公告和政策文件类6个月内、人事和规划计划类"
    "1年内）；确实无法持续更新的栏目应优化调整、合并或作归档处理并标注“已归档”。",
)


def cycles_of(options: Mapping[str, Any]) -> dict[str, object]:
    """The configured cycles merged over the defaults, validated; 0 exempts a class."""
    merged: dict[str, object] = {**DEFAULT_CYCLES, **dict(options.get("cycles", {}))}
    known = (*COLUMN_TYPES, "other")
    cycles: dict[str, object] = {}
    for kind, spec in merged.items():
        if kind not in known:
            raise ValueError(
                f"columns.stale 的 cycles 含未知栏目类别 {kind!r}（可用: {'、'.join(known)}）"
            )
        if spec == 0 and not isinstance(spec, bool):
            continue
        parse_period(spec)
        cycles[kind] = spec
    return cycles


def _counts_for_news_veto(column: Column) -> bool:
    return column.type == "news" or (column.type in ("notice", "policy") and column.level == 1)


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    opts = ctx.options
    cycles = cycles_of(opts)
    points = {**DEFAULT_POINTS, **dict(opts["points"])}
    stale = [
        column
        for column in site.columns
        if (cycle := cycle_for(column, cycles)) is not None and is_stale(column, ctx.now, cycle)
    ]
    if not stale:
        return
    blanks = len(blank_columns(site))
    news_notice = sum(1 for column in stale if _counts_for_news_veto(column))
    reasons = []
    if news_notice >= opts["veto_news_notice"]:
        reasons.append(
            f"动态要闻类栏目和一级通知公告、政策文件类栏目中共 {news_notice} 个未及时更新"
            f"（达到 {opts['veto_news_notice']} 个）"
        )
    if len(stale) + blanks >= opts["veto_total"]:
        reasons.append(
            f"未及时更新栏目 {len(stale)} 个与空白栏目 {blanks} 个合计 {len(stale) + blanks} 个"
            f"（达到 {opts['veto_total']} 个）"
        )
    veto = "；".join(reasons) or None
    for column in stale:
        cycle = cycles[column.type]
        start = period_start(ctx.now, cycle)
        class_name = CLASS_NAMES.get(column.type, column.type)
        if column.newest is None:
            what = "列表中的信息均未标注发布时间，视为未更新"
        else:
            what = (
                f"最新信息日期为 {local_date(column.newest).isoformat()}，"
                f"超过{cycle_text(cycle)}未更新"
            )
        message = f"栏目“{column.name}”（{class_name}，更新周期{cycle_text(cycle)}）{what}"
        yield column_finding(
            RULE, ctx, column, message, veto,
            {
                "cycle": cycle_text(cycle),
                "window_start": local_date(start).isoformat(),
                "newest": fmt(column.newest),
                "newest_from": column.newest_from,
                "items": len(column.items),
                "points": points.get(column.type),
                "stale_news_notice": news_notice,
                "stale_total": len(stale),
                "blank_total": blanks,
            },
        )
