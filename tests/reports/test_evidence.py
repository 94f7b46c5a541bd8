"""Evidence as webmasters read it: labelled in Chinese, records one labelled line each, and
enumerated values (problems, signals, element kinds) translated."""

from __future__ import annotations

from reports.evidence import EVIDENCE_MAX, evidence_pairs


def test_ad_records_are_labelled_in_chinese() -> None:
    pairs = dict(evidence_pairs({"ads": [
        {"type": "label", "label": "广告", "context": "广告 星河湾 首付5万起"},
        {"type": "ad-host", "host": "pos.baidu.com", "url": "https://pos.baidu.com/s",
         "element": "script"}], "pages_total": 2}))
    assert pairs["广告"] == (
        "类型: 带广告标识的区块，标识文字: 广告，所在区块: 广告 星河湾 首付5万起；"
        "类型: 广告联盟内容，域名: pos.baidu.com，地址: https://pos.baidu.com/s，元素: 脚本")
    assert pairs["问题页面总数"] == "2"


def test_messages_certificates_and_signals() -> None:
    pairs = dict(evidence_pairs({
        "unanswered": 1, "messages": [{"subject": "噪音扰民", "url": "",
                                       "asked": "2026-06-10T00:00+08:00", "state": "办理中"}],
        "problem": "expiring", "days_left": 10, "signal": "all-today"}))
    assert pairs["留言"] == "留言标题: 噪音扰民，提问时间: 2026-06-10T00:00+08:00，办理状态: 办理中"
    assert (pairs["问题"], pairs["剩余天数"], pairs["判断依据"]) == (
        "证书即将过期", "10", "列表全部信息均标注为抓取当日")


def test_spam_evidence_reads_in_chinese() -> None:
    pairs = dict(evidence_pairs({
        "why": "隐藏：display:none 隐藏",
        "selector": "body > div.lk9x",
        "words": ["百家乐", "澳门赌场"],
        "hosts": ["www.bocai88.com"],
        "snippet": '<div style="display:none"><a href="http://www.bocai88.com/">百家乐</a></div>',
        "blocks_total": 1,
        "blocks": [{"selector": "body > div.lk9x", "why": "隐藏", "words": ["百家乐", "澳门赌场"],
                    "hosts": [], "excerpt": ""}],
    }))
    assert pairs["判定依据"] == "隐藏：display:none 隐藏"
    assert pairs["元素（CSS 选择器）"] == "body > div.lk9x"
    assert pairs["命中词"] == "百家乐、澳门赌场"
    assert pairs["HTML 片段"].startswith("<div style=")  # escaped by the templates, not here
    # a block: labelled keys, empty values dropped
    assert pairs["可疑区块"] == (
        "元素（CSS 选择器）: body > div.lk9x，判定依据: 隐藏，命中词: 百家乐、澳门赌场"
    )


def test_long_block_lists_are_shortened() -> None:
    blocks = [{"excerpt": "字" * 200} for _ in range(5)]
    (label, text), = evidence_pairs({"blocks": blocks})
    assert label == "可疑区块" and len(text) == EVIDENCE_MAX and text.endswith("…")
