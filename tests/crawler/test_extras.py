"""Extraction of ad labels, consultation messages and 办事指南 labels (crawler.extras), through
the public `extract`, and the facts surviving the store's JSON round trip."""

from __future__ import annotations

import json

from crawler.extract import extract
from crawler.facts import Message, PageFacts

URL = "https://www.yzcity.gov.cn/hdjl/ldxx/index.html"


def page(body: str, title: str = "永州市人民政府") -> str:
    return (f"<html><head><meta charset='utf-8'><title>{title}</title></head>"
            f"<body>{body}</body></html>")


def roundtrip(facts: PageFacts) -> PageFacts:
    return PageFacts.from_dict(json.loads(json.dumps(facts.to_dict())))


def test_ad_labels_are_short_texts_of_their_own_with_their_block() -> None:
    facts = extract(URL, page(
        "<div class='side'><span class='tag'>【广告】</span><a href='https://x.example.com/'>"
        "<img src='/a.jpg' alt='楼盘'>碧桂园 首付5万起</a></div>"
        "<div class='gy'><em>公益广告</em><p>节约用水 人人有责</p></div>"
        "<h3>关于开展违法广告专项整治的通知</h3>"  # a headline about ads: no label
        "<script>var s='广告';</script>"))
    assert facts.ad_labels == (
        "广告|【广告】 碧桂园 首付5万起", "公益广告|公益广告 节约用水 人人有责")
    assert roundtrip(facts) == facts


def test_pages_without_ad_words_pay_nothing_and_record_nothing() -> None:
    facts = extract(URL, page("<p>政务动态</p>"))
    assert facts.ad_labels == () and facts.messages == () and not facts.guide


def test_message_table_with_header_row() -> None:
    facts = extract(URL, page(
        "<table><tr><th>信件标题</th><th>来信时间</th><th>回复时间</th><th>办理状态</th></tr>"
        "<tr><td><a href='1.html'>小区噪音扰民</a></td><td>2026-05-01</td><td></td>"
        "<td>办理中</td></tr>"
        "<tr><td><a href='2.html'>道路维修</a></td><td>2026年3月1日</td><td>2026-03-10</td>"
        "<td>已回复</td></tr>"
        "<tr><td colspan='4'>共 2 条</td></tr></table>"))
    assert facts.messages == (
        Message("小区噪音扰民", "https://www.yzcity.gov.cn/hdjl/ldxx/1.html", "2026-05-01", "",
                "办理中"),
        Message("道路维修", "https://www.yzcity.gov.cn/hdjl/ldxx/2.html", "2026-03-01",
                "2026-03-10", "已回复"),
    )
    assert roundtrip(facts) == facts


def test_message_entries_labelled_in_a_list() -> None:
    facts = extract(URL, page(
        "<ul><li><a href='/hd/7.html'>关于公交线路的建议</a> 提问时间：2026-02-10 "
        "回复时间： 状态：未回复</li>"
        "<li><a href='/hd/8.html'>咨询社保</a> 提问时间：2026-01-05 回复时间：2026-01-09 "
        "状态：已回复</li><li>无关的条目</li></ul>"))
    assert [(m.url, m.asked, m.answered, m.status) for m in facts.messages] == [
        ("https://www.yzcity.gov.cn/hd/7.html", "2026-02-10", "", "未回复"),
        ("https://www.yzcity.gov.cn/hd/8.html", "2026-01-05", "2026-01-09", "已回复"),
    ]


def test_message_entries_as_nested_blocks_count_once() -> None:
    """Entries written as nested blocks (a block per message, its labels in paragraphs of
    their own) are read once each, with every label of their block."""
    facts = extract(URL, page(
        "<div class='xjlb'><div class='item'><div class='t'><a href='/hd/9.html'>噪音扰民</a>"
        "</div><div class='m'><p>来信时间：2026-04-01</p><p>状态：办理中</p></div></div>"
        "<div class='item'><p><a href='/hd/10.html'>道路积水</a> 来信时间：2026-04-03 "
        "答复时间：2026-04-05 状态：已答复</p></div></div>"))
    assert [(m.url, m.asked, m.answered, m.status) for m in facts.messages] == [
        ("https://www.yzcity.gov.cn/hd/9.html", "2026-04-01", "", "办理中"),
        ("https://www.yzcity.gov.cn/hd/10.html", "2026-04-03", "2026-04-05", "已答复"),
    ]


def test_lists_that_show_no_answer_are_not_read() -> None:
    """A home-page widget that shows only 留言时间 cannot say what is unanswered."""
    facts = extract(URL, page(
        "<table><tbody><tr><td>请问许可证还在使用吗？</td></tr>"
        "<tr><td><span>留言时间：</span><span>2025-04-27</span></td></tr></tbody></table>"
        "<ul><li>留言时间：2025-04-16 关于办事大厅</li></ul>"))
    assert facts.messages == ()


def test_guide_labels_from_tables_definition_lists_headings_and_prefixes() -> None:
    facts = extract("https://www.yzcity.gov.cn/bszn/1.html", page(
        "<h1>户籍迁移办事指南</h1>"
        "<table><tr><th>事项名称</th><td>户籍迁移</td></tr>"
        "<tr><td>设定依据</td><td>《中华人民共和国户口登记条例》第十条</td></tr></table>"
        "<dl><dt>申请条件：</dt><dd>本市户籍居民</dd></dl>"
        "<h3>一、办理材料</h3><p><b>办理地点：</b>市政务服务中心</p>"
        "<p>收费标准：不收费</p>",
        title="户籍迁移办事指南"))
    assert facts.guide
    for label in ("事项名称", "设定依据", "申请条件", "办理材料", "办理地点", "收费标准"):
        assert label in facts.guide_labels, (label, facts.guide_labels)
    assert roundtrip(facts) == facts


def test_a_page_that_is_not_a_guide_records_no_labels() -> None:
    facts = extract(URL, page("<table><tr><th>事项名称</th></tr></table>", title="通知公告"))
    assert not facts.guide and facts.guide_labels == ()


def test_the_bare_guide_column_page_is_not_a_guide_of_one_item() -> None:
    """办事指南 as a column's name (its page, a heading) names no 事项."""
    facts = extract(URL, page("<h2>办事指南</h2><p>办理地点：政务服务中心</p>",
                              title="办事指南 - 永州市人民政府"))
    assert not facts.guide
    named = extract(URL, page("<h2>残疾人证办理服务指南</h2>", title="永州市人民政府"))
    assert named.guide
