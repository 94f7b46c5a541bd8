"""Finding evidence as people read it: (label, text) pairs in Chinese, for the 整改清单 and
the dashboard. Evidence is whatever JSON a check stored; known keys get a Chinese label,
bookkeeping keys are hidden, empty values dropped and long values shortened.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# Evidence keys as webmasters read them; unknown keys are shown as they are.
EVIDENCE_LABELS = {
    "reason": "原因", "status": "HTTP 状态", "anchor": "链接文字", "kind": "链接类型",
    "final_url": "最终地址", "redirects": "重定向链", "method": "请求方式",
    "error_kind": "错误类型", "error": "错误详情", "soft404": "软404", "footer": "页脚文字",
    "registered": "登记值", "registered_url": "登记网址", "displayed": "页面展示",
    "meta": "SiteIDCode 标签", "missing": "缺少", "header": "页头文字", "title": "网页标题",
    "host": "域名", "hosts": "域名", "badges": "标识",
    "name": "栏目名称", "class": "栏目类别", "class_name": "栏目类别", "level": "栏目层级",
    "source": "来源", "cycle": "更新周期", "window_start": "统计起始", "window_end": "统计截止",
    "newest": "最新信息时间", "newest_from": "最新时间依据", "newest_title": "最新信息标题",
    "newest_url": "最新信息地址", "items": "信息条数", "veto": "单项否决",
    "stale_news_notice": "未更新的动态/通知/政策栏目", "stale_total": "未更新栏目合计",
    "blank_total": "空白栏目合计", "days": "天数", "dated_items": "有日期的信息",
    "undated_items": "无日期的信息", "pages_examined": "检查页面数", "pages_sample": "页面示例",
    "navigation_only": "首页仅为导航", "source_url": "源信息地址", "source_title": "源信息标题",
    "source_time": "源信息时间", "repost_url": "转载地址", "repost_title": "转载标题",
    "repost_time": "转载时间", "similarity": "标题相似度", "delay_hours": "延迟（小时）",
    "delay_minutes": "延迟（分钟）", "window_hours": "时限（小时）", "placeholder": "占位文字",
    # issue 12: ads, fake dates, consultation, service guides, HTTPS
    "ads": "广告", "type": "类型", "subject": "留言标题", "state": "办理状态", "label": "标识文字",
    "context": "所在区块", "element": "元素", "url": "地址",
    "pages_total": "问题页面总数", "signal": "判断依据", "list": "列表", "day": "抓取当日",
    "examples": "示例", "date": "日期", "before": "前次抓取日期", "now": "本次抓取日期",
    "unanswered": "未回复留言数", "window": "统计范围", "answer_within": "答复时限",
    "messages": "留言", "asked": "提问时间", "entries": "互动交流入口", "text": "入口文字",
    "present": "已具备要素数", "incomplete_guides": "要素缺失的办事指南数",
    "probed_at": "探测时间", "not_after": "证书到期时间", "issuer": "证书签发者",
    "days_left": "剩余天数", "problem": "问题",
    # content.spam-injected / content.malicious-embed
    "why": "判定依据", "selector": "元素（CSS 选择器）", "words": "命中词", "snippet": "HTML 片段",
    "excerpt": "区块文字", "blocks": "可疑区块", "blocks_total": "可疑区块数",
    "embeds": "可疑嵌入", "embeds_total": "可疑嵌入数",
}
# Enumerated evidence values as webmasters read them, by key.
EVIDENCE_VALUES: dict[str, dict[str, str]] = {
    "signal": {"all-today": "列表全部信息均标注为抓取当日",
               "dates-changed": "两次抓取间发布日期变化"},
    "problem": {"no-https": "未启用HTTPS", "invalid": "证书无效", "expired": "证书已过期",
                "expiring": "证书即将过期"},
    "type": {"label": "带广告标识的区块", "ad-host": "广告联盟内容"},
    "element": {"script": "脚本", "iframe": "框架", "frame": "框架", "img": "图片", "a": "链接",
                "area": "链接"},
}
# Evidence that only restates what the report itself shows (the points a check would deduct
# are the report's business, from [scoring]) or duplicates another key.
EVIDENCE_HIDDEN = frozenset({"points", "delay_total_minutes", "window_from",
                             "source_time_from", "repost_time_from", "source_day_only"})
COLUMN_CLASS_LABELS = {
    "news": "动态要闻类", "notice": "通知公告类", "policy": "政策文件类", "personnel": "人事类",
    "plan": "规划计划类", "static": "概况类", "other": "其他",
}
EVIDENCE_MAX = 300



def _record(record: dict[str, Any]) -> str:
    """One record of a list (an ad, a message, a changed item, a suspicious block) with
    labelled fields; a list inside it is joined with 、."""
    parts = []
    for key, value in record.items():
        if value in ("", None, False, [], ()):
            continue
        if type(value) is list or type(value) is tuple:
            text = "、".join(map(str, value))
        else:
            text = EVIDENCE_VALUES.get(key, {}).get(str(value), str(value))
        parts.append(f"{EVIDENCE_LABELS.get(key, key)}: {text}")
    return "，".join(parts)


def evidence_pairs(evidence: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """Evidence as (label, text) for people, in the check's order: empty values and
    bookkeeping keys dropped, column classes in Chinese, long values shortened."""
    pairs = []
    for key, value in evidence.items():
        kind = type(value)
        if kind is str:
            if not value:
                continue
            text = value
        elif kind is int or kind is float:
            text = str(value)
        elif value is None or value is False:
            continue
        elif value is True:
            text = "是"
        elif kind is list or kind is tuple:
            if not value:
                continue
            if all(type(x) is dict for x in value):  # records: one labelled line each
                text = "；".join(_record(x) for x in value)
            else:
                text = (" → " if key == "redirects" else "、").join(str(x) for x in value)
        elif kind is dict:
            if not value:
                continue
            text = "；".join(f"{k}: {value[k]}" for k in value)
        else:
            text = str(value)
        if key in EVIDENCE_HIDDEN:
            continue
        if key == "class":
            if "class_name" in evidence:
                continue
            text = COLUMN_CLASS_LABELS.get(text, text)
        text = EVIDENCE_VALUES.get(key, {}).get(text, text)
        if len(text) > EVIDENCE_MAX:
            text = text[: EVIDENCE_MAX - 1] + "…"
        pairs.append((EVIDENCE_LABELS.get(key, key), text))
    return tuple(pairs)
