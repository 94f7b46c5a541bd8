"""Finding evidence as people read it: (label, text) pairs in plain Chinese, for the reports,
the 整改清单 and the dashboard.

Evidence is whatever JSON a check stored. Every key a check emits has a Chinese label here
(LABELS, or CHECK_LABELS where one check means something else by the key), or is listed in
HIDDEN as bookkeeping that restates another field; tests/reports/test_evidence.py derives the
keys from the checks' own outputs (fixtures and the demo world) and fails on any key without
a label. Values are shown as a webmaster reads them: times in local time (`2026-03-02 00:00`),
reasons instead of enum codes (首页导航, not nav), shares as percentages; empty values dropped
and long values shortened.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from crawler.errors import ERROR_KINDS

LOCAL_TZ = ZoneInfo("Asia/Shanghai")  # the zone every report and the dashboard show times in
EVIDENCE_MAX = 300

# Evidence keys and their labels, for every check unless CHECK_LABELS says otherwise.
LABELS: Mapping[str, str] = {
    # links.*
    "reason": "原因", "status": "HTTP 状态码", "anchor": "链接文字", "kind": "链接类型",
    "final_url": "最终地址", "redirects": "重定向经过", "method": "检测方式",
    "error_kind": "错误类型", "error": "错误详情", "soft404": "“页面不存在”页（软404）",
    # identity.*, domain.*
    "footer": "页脚文字", "registered": "登记的编号", "registered_url": "登记的网址",
    "displayed": "页面展示的编号", "meta": "SiteIDCode 网页标签",
    "meta_siteidcode": "SiteIDCode 网页标签", "header": "页头文字",
    "header_text": "页头文字", "title": "网页标题", "host": "域名", "hosts": "域名",
    "badges": "发现的标识", "recordcodes": "备案链接中的 recordcode",
    "differing": "不一致的编号", "problems": "问题", "entries": "互动交流入口",
    "expected": "应填的网站标识码", "expected_from": "标识码依据",
    # columns.*, home.stale
    "name": "栏目名称", "class": "栏目类别", "class_name": "栏目类别", "level": "栏目层级",
    "source": "栏目来源", "cycle": "更新周期", "window_start": "统计起始", "window_end": "统计截止",
    "newest": "最新信息时间", "newest_from": "最新时间依据", "newest_title": "最新信息标题",
    "newest_url": "最新信息地址", "items": "信息条数", "veto": "单项否决",
    "stale_news_notice": "未更新的动态/通知/政策栏目", "stale_total": "未更新栏目合计",
    "blank_total": "空白栏目合计", "days": "时限（天）", "dated_items": "有日期的信息",
    "undated_items": "无日期的信息", "pages_examined": "检查页面数", "pages_sample": "检查的页面",
    "navigation_only": "首页仅为导航", "placeholder": "页面显示占位文字",
    # repost.lapse
    "source_url": "上级信息地址", "source_title": "上级信息标题", "source_time": "上级发布时间",
    "repost_url": "转载地址", "repost_title": "转载标题", "repost_time": "转载时间",
    "similarity": "标题相似度", "delay_hours": "延迟（小时）", "delay_minutes": "延迟（分钟）",
    "window_hours": "时限（小时）", "portal": "上级网站代号", "portal_name": "上级网站",
    # archive.*, meta.*
    "archived_because": "判定为归档页面的原因", "archived_by": "归档依据",
    "archived_via": "归档入口", "label": "标识文字", "pages_total": "问题页面总数",
    "pages_listed": "列出的页面数", "published": "发布时间", "published_from": "发布时间取自",
    "meta_pubdate": "PubDate 网页标签", "meta_contentsource": "ContentSource 网页标签",
    "missing": "缺少的网页标签", "missing_on_home": "首页缺少的网页标签",
    "malformed": "格式错误的网页标签", "pages_checked": "检查页面数",
    "pages_lacking": "缺少各标签的页面数", "pages_not_listed": "未列出的页面数",
    "not_listed_sample": "未列出的页面示例",
    # availability.*
    "probes": "探测次数", "failures": "失败次数", "failure_share": "失败比例",
    "threshold": "否决比例", "required_probes": "应有探测次数",
    "sample_too_thin": "探测次数不足", "failed_probes": "失败的探测",
    "median_ms": "首页加载时间中位数", "slow_ms": "缓慢阈值", "slowest": "最慢的探测",
    # ads, fake dates, consultation, service guides, HTTPS
    "ads": "广告", "type": "类型", "subject": "留言标题", "state": "办理状态",
    "context": "所在区块", "element": "元素", "url": "地址", "signal": "判断依据",
    "list": "列表", "day": "抓取当日", "examples": "示例", "date": "日期",
    "before": "前次抓取日期", "now": "本次抓取日期", "unanswered": "未回复留言数",
    "window": "统计范围", "answer_within": "答复时限", "messages": "留言", "asked": "提问时间",
    "text": "入口文字", "present": "已具备要素数", "incomplete_guides": "要素缺失的办事指南数",
    "probed_at": "探测时间", "not_after": "证书到期时间", "issuer": "证书签发者",
    "days_left": "剩余天数", "problem": "问题",
    # content.spam-injected / content.malicious-embed
    "why": "判定依据", "selector": "元素（CSS 选择器）", "words": "命中词", "snippet": "HTML 片段",
    "excerpt": "区块文字", "blocks": "可疑区块", "blocks_total": "可疑区块数",
    "embeds": "可疑嵌入", "embeds_total": "可疑嵌入数",
    # content.serious-errors, content.typos, content.banned-words, content.privacy-leak,
    # content.traditional-chars
    "hits": "问题词句", "hits_total": "问题处数", "wrong": "错误写法", "right": "正确写法",
    "sentence": "所在语句", "word": "用语", "numbers": "个人信息（已脱敏）",
    "numbers_total": "号码个数", "masked": "号码", "roster": "疑似公示名单",
    "attachment_format": "附件格式", "chars": "繁体字", "char": "繁体字", "simplified": "简体",
    "chars_total": "繁体字处数", "cjk_total": "页面汉字数", "version_prefixes": "网站繁体版地址",
    # links.check-cap
    "site_cap": "每站链接检查上限", "per_page": "每页链接检查上限", "checks": "已检查链接数",
    "skipped": "超出上限未检查的链接数", "pages_capped": "达到每页上限的页面数",
    "page_skipped": "因每页上限未检查的链接数", "pages": "达到每页上限的页面",
}
# Keys a check means differently from the rest.
CHECK_LABELS: Mapping[str, Mapping[str, str]] = {
    "identity.name-missing": {"name": "登记的网站名称", "title": "网页标题（<title>）"},
    "domain.not-gov": {"hosts": "不合规的域名"},
    "repost.lapse": {"status": "转载情况"},
    "meta.page-tags-missing": {"kind": "页面类型"},
    "meta.source-missing": {"source": "来源", "title": "文章标题"},
    "meta.pubdate-missing": {"source": "来源", "title": "文章标题"},
    "archive.label-missing": {"title": "页面标题"},
    "archive.time-missing": {"title": "页面标题", "label": "归档标注"},
    "identity.icp-missing": {"registered": "登记的ICP备案编号",
                             "displayed": "页面展示的ICP备案编号"},
    "identity.site-code-missing": {"registered": "登记的网站标识码"},
    "identity.site-code-mismatch": {"registered": "登记的网站标识码",
                                    "displayed": "页脚展示的网站标识码"},
    "identity.police-missing": {"displayed": "页面展示的公安备案号"},
    "service.guide-incomplete": {"title": "办事指南标题", "missing": "缺少的要素"},
    "content.fake-dates": {"title": "信息标题"},
    "identity.jiucuo-missing": {"expected": "应填的网站标识码",
                                "entries": "找错入口的 site_code"},
    "content.banned-words": {"list": "词表"},
    "content.privacy-leak": {"kind": "类型", "before": "前文"},
    "content.traditional-chars": {"context": "上下文"},
}
# Evidence that only restates what the report itself shows (the points a check would deduct
# are the report's business, from [scoring]) or duplicates another key in machine form.
HIDDEN = frozenset({"points", "delay_total_minutes", "window_from", "source_time_from",
                    "repost_time_from", "source_day_only", "displayed_core", "registered_core",
                    "strict_form"})
# Kept for callers that imported the old names.
EVIDENCE_LABELS = LABELS
EVIDENCE_HIDDEN = HIDDEN

COLUMN_CLASS_LABELS = {
    "news": "动态要闻类", "notice": "通知公告类", "policy": "政策文件类", "personnel": "人事类",
    "plan": "规划计划类", "static": "概况类", "other": "其他",
}
LINK_KINDS = {"a": "超链接", "img": "图片", "script": "脚本", "link": "样式表/图标",
              "iframe": "内嵌页面", "attachment": "附件", "external": "外部链接",
              "frame": "框架页面", "media": "音视频"}
# Enum values in plain words, by key (and by check where one check differs).
VALUE_WORDS: Mapping[str, Mapping[str, str]] = {
    "source": {"nav": "首页导航", "registry": "站点登记（sites.yaml）"},
    "newest_from": {"list": "栏目列表上的日期", "article": "栏目中最新文章的发布时间"},
    "archived_by": {"path": "位于登记的归档路径下", "column": "属于已归档栏目",
                    "link": "经标注“已归档”的链接进入", "label": "页面自身标注为已归档"},
    "published_from": {"visible": "页面展示的发布时间", "meta": "PubDate 网页标签"},
    "expected_from": {"footer": "页脚展示的标识码", "registry": "登记的标识码"},
    "error_kind": ERROR_KINDS,
    "kind": LINK_KINDS,
    "class": COLUMN_CLASS_LABELS,
    "level": {"1": "一级栏目（首页导航）", "2": "二级栏目"},
    "signal": {"all-today": "列表全部信息均标注为抓取当日",
               "dates-changed": "两次抓取间发布日期变化"},
    "problem": {"no-https": "未启用HTTPS", "invalid": "证书无效", "expired": "证书已过期",
                "expiring": "证书即将过期"},
    "type": {"label": "带广告标识的区块", "ad-host": "广告联盟内容"},
    "element": {"script": "脚本", "iframe": "框架", "frame": "框架", "img": "图片", "a": "链接",
                "area": "链接"},
}
# Kept for callers that imported the old name.
EVIDENCE_VALUES = VALUE_WORDS
CHECK_VALUE_WORDS: Mapping[str, Mapping[str, Mapping[str, str]]] = {
    "repost.lapse": {"status": {"late": "超过时限才转载", "missing": "时限已过仍未转载"}},
    "meta.page-tags-missing": {"kind": {"home": "首页", "column": "栏目页", "article": "文章页"}},
    "meta.source-missing": {"source": {}},
    "meta.pubdate-missing": {"source": {}},
    "content.banned-words": {"list": {"veto": "严重表述错误", "deduct": "不规范用语"}},
    "content.privacy-leak": {"kind": {}},
}
_ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?$")


def label_for(check: str, key: str) -> str | None:
    """The Chinese label of an evidence key; None when it has none (or is hidden)."""
    if key in HIDDEN:
        return None
    return CHECK_LABELS.get(check, {}).get(key) or LABELS.get(key)


def local_time(text: str) -> str:
    """`2026-03-02T00:00+08:00` as `2026-03-02 00:00` in China time; other text unchanged."""
    if not _ISO_TIME.match(text):
        return text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(LOCAL_TZ)
    return moment.strftime("%Y-%m-%d %H:%M")


def _percent(value: float) -> str:
    return f"{value * 100:.2f}".rstrip("0").rstrip(".") + "%"


def _ms(value: float) -> str:
    return f"{value / 1000:.1f} 秒"


def _probe(item: Any) -> str:
    if not isinstance(item, Mapping):
        return str(item)
    when = local_time(str(item.get("time") or ""))
    if "elapsed_ms" in item and len(item) <= 2:
        return f"{when} 用时 {_ms(float(item['elapsed_ms']))}"
    why = item.get("error_kind")
    status = item.get("status")
    if why:
        text = ERROR_KINDS.get(str(why), str(why))
    elif status:
        text = f"HTTP {status}"
    else:
        text = str(item.get("error") or "失败")
    return f"{when} {text}"


def _badge(item: Any) -> str:
    if not isinstance(item, Mapping):
        return str(item)
    colour = "蓝色（事业单位）标识" if item.get("blue") else "红色（党政机关）标识"
    return f"{colour} {item.get('url') or ''}".strip()


_SPECIAL: Mapping[str, Callable[[Any], str]] = {
    "failure_share": lambda v: _percent(float(v)),
    "threshold": lambda v: _percent(float(v)),
    "similarity": lambda v: _percent(float(v)),
    "median_ms": lambda v: _ms(float(v)),
    "slow_ms": lambda v: _ms(float(v)),
    "failed_probes": lambda v: "；".join(_probe(x) for x in v),
    "slowest": lambda v: "；".join(_probe(x) for x in v),
    "badges": lambda v: "；".join(_badge(x) for x in v),
    "pages_lacking": lambda v: "；".join(f"{k} 缺少于 {n} 个页面" for k, n in v.items()),
}


def _plain(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return local_time(value)
    return str(value)


def _record(record: Mapping[str, Any], check: str) -> str:
    """One record of a list (an ad, a message, a changed item, a suspicious block) with
    labelled fields; a list inside it is joined with 、."""
    parts = []
    words = CHECK_VALUE_WORDS.get(check, {})
    for key, value in record.items():
        if value in ("", None, False, [], ()) or key in HIDDEN:
            continue
        if isinstance(value, list | tuple):
            parts.append(f"{label_for(check, key) or key}: {'、'.join(map(_plain, value))}")
            continue
        raw = "是" if value is True else _plain(value)
        text = words.get(key, VALUE_WORDS.get(key, {})).get(raw, raw)
        parts.append(f"{label_for(check, key) or key}: {text}")
    return "，".join(parts)


def evidence_pairs(evidence: Mapping[str, Any], check: str = ""
                   ) -> tuple[tuple[str, str], ...]:
    """Evidence as (label, text) for people, in the check's order: empty values and
    bookkeeping keys dropped, every value in plain Chinese, long values shortened. `check`
    is the finding's check code (some keys mean something else in one check)."""
    pairs = []
    words = CHECK_VALUE_WORDS.get(check, {})
    for key, value in evidence.items():
        if key in HIDDEN or value is None or value is False or value in ("", [], {}):
            continue
        if key == "class" and "class_name" in evidence:
            continue
        special = _SPECIAL.get(key)
        if special is not None:
            try:
                text = special(value)
            except (TypeError, ValueError, AttributeError):
                text = str(value)
        elif value is True:
            text = "是"
        elif isinstance(value, list | tuple):
            if all(isinstance(x, Mapping) for x in value):  # records: one labelled line each
                text = "；".join(_record(x, check) for x in value)
            else:
                sep = " → " if key == "redirects" else "、"
                text = sep.join(_plain(x) for x in value if x is not None and x != "")
        elif isinstance(value, dict):
            text = "；".join(f"{k}: {_plain(v)}" for k, v in value.items())
        else:
            raw = _plain(value)
            table = words.get(key, VALUE_WORDS.get(key, {}))
            text = table.get(raw, raw)
        if not text:
            continue
        if len(text) > EVIDENCE_MAX:
            text = text[: EVIDENCE_MAX - 1] + "…"
        pairs.append((label_for(check, key) or key, text))
    return tuple(pairs)
