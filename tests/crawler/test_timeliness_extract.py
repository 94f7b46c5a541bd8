"""Timeliness facts of crawler.extract: navigation, lists, pagination, publication time, source,
placeholders, archive labels, page kind. On the hand-labelled real pages and on generated ones.
"""

from __future__ import annotations

import html as htmlmod
import json
import re
from typing import Any

import pytest

from crawler.dates import parse_date, parse_meta_date
from crawler.extract import extract
from crawler.facts import ArchiveLabel, PageFacts
from tests.crawler.realpages import SEEDS, URL, label_id, labels, real_page, shared_file

BASE = "https://www.example.gov.cn"

# Labelling slips found while writing these tests (the test checks the page bytes instead and
# fails once the label is corrected, so that the entry gets removed):
# - 050 is UTF-16: its <meta name="ContentSource"> (and PubDate) were missed by the labeller,
#   who recorded source_meta null; our source is that meta value, as the extraction rule says.
SOURCE_META_SLIPS = {"pages/050.html": "湘潭日报·新湘潭客户端"}
# `pubdate_meta` labels <meta name="PubDate"> only. 002 shows no date and has no PubDate, but
# its <meta name="firstpublishedtime" content="2007-08-20-23:59:59"> is a publication-time
# meta the extraction reads (the brief lists it); its generation stamp (`others`) is not.
OTHER_PUBDATE_META = {"pages/002.html": ("firstpublishedtime", "2007-08-20T23:59")}

_SOURCE_LABEL = re.compile(r"^\W*(?:信息|文章)?(?:来|來)\s*源\s*[:：﹕]\s*")
_TRAILING = " |｜】]\u3000"


def source_value(displayed: str) -> str:
    """The value part of a labelled source line: "信息来源： 省发改委" -> "省发改委". A template
    that repeats its label ("来源： 来源：省文化和旅游厅") shows the value after the last one."""
    value = displayed
    while True:
        stripped = _SOURCE_LABEL.sub("", value, count=1)
        if stripped == value:
            break
        value = stripped
    return value.strip(_TRAILING)


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_publication_time(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    publication = label["publication"]
    visible, meta = publication["published_visible"], publication["pubdate_meta"]
    if visible is not None:
        assert (facts.published_from, facts.published) == ("visible", parse_date(visible))
    elif meta is not None:
        assert (facts.published_from, facts.published) == ("meta", parse_meta_date(meta))
    elif label["file"] in OTHER_PUBDATE_META:
        name, value = OTHER_PUBDATE_META[label["file"]]
        assert "pubdate" not in facts.meta
        assert (facts.published_from, facts.published) == ("meta", value)
        assert parse_meta_date(facts.meta[name]) == value
    else:
        assert (facts.published_from, facts.published) == ("", "")
    # A generation stamp is never the publication time.
    stamp = parse_meta_date(facts.meta.get("others", ""))
    if stamp:
        assert facts.published != stamp


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_source(label: dict[str, Any] | None) -> None:
    facts, text = real_page(label)
    assert label is not None
    publication = label["publication"]
    if publication["source_visible"] is not None:
        assert facts.source == source_value(publication["source_visible"])
    elif publication["source_meta"] is not None:
        assert facts.source == publication["source_meta"]
    elif label["file"] in SOURCE_META_SLIPS:
        expected = SOURCE_META_SLIPS[label["file"]]
        assert f"name=\"ContentSource\" content='{expected}'" in text
        assert facts.source == expected
    else:
        assert facts.source == ""


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_list_item_dates(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    dated = [sorted(item.date for item in block.items if item.date) for block in facts.lists]
    expected = label["list_item_dates"]
    if expected is None:
        if label["page_type"] != "article":
            # A list or home page labelled without dated lists has none; on article pages
            # the field was not labelled (062 shows a dated 相关阅读 list, for one).
            assert not any(dated)
        return
    for name, dates in expected.items():
        want = sorted(parse_date(date) for date in dates)
        assert want in dated, f"list {name!r}: {want} not among {dated}"
    for block in facts.lists:
        for item in block.items:
            assert item.title and item.title not in ("更多", "首页", "下一页")


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_archive_traps(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    # No real page here is archived; several carry traps (a stamp image with an empty switch,
    # 已归档 only on a navigation link): none may count.
    assert label["archived"]["label_present"] is False
    assert facts.archive is None
    assert not facts.placeholder


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_kind_and_navigation(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    if label["publication"]["published_visible"] is not None:
        assert facts.page_kind == "article"
    if label["page_type"] in ("static_info", "column_list"):
        assert facts.page_kind != "article"
    assert all(link.url.startswith("http") and link.text for link in facts.nav)
    assert len({link.url for link in facts.nav}) == len(facts.nav)
    assert PageFacts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts


def test_realpage_navigation_reads_menus_not_footers() -> None:
    by_file = {label["file"]: label for label in labels() if label is not None}
    if not by_file:
        real_page(None)  # skips (fails under CI): ../shared is not beside this checkout
    facts, _ = real_page(by_file["pages/024.html"])
    assert [link.text for link in facts.nav] == [
        "网站首页", "重大项目建设", "新闻中心", "政务公开", "党工信息", "政民互动",
    ]  # fmt: skip
    facts, _ = real_page(by_file["pages/030.html"])
    texts = [link.text for link in facts.nav]
    assert texts[:3] == ["首页", "走进黄埔", "新闻资讯"]
    assert "网站地图" not in texts and "隐私安全" not in texts  # the footer menu


def test_seed_001_publication_time_and_source() -> None:
    path = shared_file(SEEDS / "001_d42a7317affeaaf8.txt")
    text = htmlmod.escape(path.read_text(encoding="utf-8"))
    for wrapper in ('<div class="content">{}</div>', "<div class=footer>{}</div>"):
        facts = extract(URL, f"<html><body>{wrapper.format(text)}</body></html>")
        assert (facts.published, facts.published_from) == ("2021-09-08T16:01", "visible")
        # As displayed: the page is in traditional characters.
        assert facts.source == "永州市政務公開政務服務領導小組辦公室"
        # Its 第十五条 quotes “已歸檔”: a regulation about labels is no label.
        assert facts.archive is None


def test_seed_002_regulation_quoting_the_label_is_no_label() -> None:
    path = shared_file(SEEDS / "002_655fc4a34a353964.txt")
    text = htmlmod.escape(path.read_text(encoding="utf-8"))
    facts = extract(URL, f"<html><body><div class=TRS_Editor>{text}</div></body></html>")
    assert facts.archive is None
    assert facts.published == "" and facts.source == ""


# ---------------------------------------------------------------------------------------------
# Generated pages


def page(body: str, title: str = "测试页面", head: str = "") -> str:
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title>{head}</head><body>{body}</body></html>"
    )


def dates_of(facts: PageFacts) -> list[list[str]]:
    return [[item.date for item in block.items] for block in facts.lists]


def items_of(facts: PageFacts) -> list[list[tuple[str, str, str]]]:
    return [[(i.title, i.url.removeprefix(BASE), i.date) for i in b.items] for b in facts.lists]


LIST_MARKUPS = {
    "ul-date-after": (
        '<ul class="list"><li><a href="/a/1.html">关于开展安全生产检查的通知</a>'
        '<span class="date">2026-11-01</span></li>'
        '<li><a href="/a/2.html">关于举办业务培训班的通知</a><span class="date">2026-10-28</span>'
        "</li></ul>",
        ["2026-11-01", "2026-10-28"],
    ),
    "ul-date-before-bracket": (
        '<ul><li><span>[11-01]</span><a href="/a/1.html">市长调研重点项目建设情况</a></li>'
        '<li><span>(10-28)</span><a href="/a/2.html">全市经济运行分析会召开</a></li></ul>',
        ["--11-01", "--10-28"],
    ),
    "ul-date-as-tail": (
        '<ul><li><a href="/a/1.html">关于印发某某实施办法的通知</a> 2026年11月1日</li>'
        '<li><a href="/a/2.html">关于印发某某管理规定的通知</a> 2026年10月21日</li></ul>',
        ["2026-11-01", "2026-10-21"],
    ),
    "date-inside-link": (
        '<ul><li><a href="/a/1.html"><span>关于公布第一批名单的公告</span><em>2026.11.01</em>'
        '</a></li><li><a href="/a/2.html"><span>关于公布第二批名单的公告</span>'
        "<em>2026.10.15</em></a></li></ul>",
        ["2026-11-01", "2026-10-15"],
    ),
    "table-rows": (
        "<table><tr><th>标题</th><th>发布日期</th></tr>"
        '<tr><td><a href="/a/1.html">关于印发实施方案的通知</a></td><td>2026年11月1日</td></tr>'
        '<tr><td><a href="/a/2.html">关于调整补助标准的通知</a></td><td>2026年10月3日</td></tr>'
        "</table>",
        ["2026-11-01", "2026-10-03"],
    ),
    "div-list-with-time": (
        '<div class="news"><div class="item"><a href="/a/1.html">全市召开安全生产工作会议</a>'
        '<div class="time">2026/11/01 09:30</div></div><div class="item">'
        '<a href="/a/2.html">市政府召开常务会议研究部署</a><div class="time">2026/10/30 16:00'
        "</div></div></div>",
        ["2026-11-01T09:30", "2026-10-30T16:00"],
    ),
    "dl-dt-dd-pairs": (
        '<dl><dt><a href="/a/1.html">我市举行重大项目集中开工仪式</a></dt><dd>2026.11.01</dd>'
        '<dt><a href="/a/2.html">全市优化营商环境大会召开</a></dt><dd>2026.10.29</dd></dl>',
        ["2026-11-01", "2026-10-29"],
    ),
    "dl-per-item": (
        '<div class="list"><dl><dd><a href="/a/1.html">关于征集意见建议的公告</a></dd>'
        '<dd class="t">2026-11-01</dd></dl><dl><dd><a href="/a/2.html">关于开展评议活动的公告'
        '</a></dd><dd class="t">2026-10-12</dd></dl></div>',
        ["2026-11-01", "2026-10-12"],
    ),
    "labelled-dates": (
        '<ul><li><a href="/a/1.html">关于征求意见的公告</a><p>发布时间：2026-11-01</p></li>'
        '<li><a href="/a/2.html">关于听证会的公告</a><p>发布时间：2026-10-01 15:00</p></li></ul>',
        ["2026-11-01", "2026-10-01T15:00"],
    ),
    "separate-title-and-date-rows": (
        '<table><tr><td><a href="/a/1.html">关于开展专项整治行动的通知</a></td></tr>'
        "<tr><td>2026-11-01</td></tr>"
        '<tr><td><a href="/a/2.html">关于加强值班值守工作的通知</a></td></tr>'
        "<tr><td>2026-10-20</td></tr></table>",
        ["2026-11-01", "2026-10-20"],
    ),
}


@pytest.mark.parametrize("markup", LIST_MARKUPS, ids=list(LIST_MARKUPS))
def test_list_markups_and_date_formats(markup: str) -> None:
    body, dates = LIST_MARKUPS[markup]
    facts = extract(URL, page(body))
    assert dates_of(facts) == [dates]
    (block,) = facts.lists
    assert [item.url for item in block.items] == [f"{BASE}/a/1.html", f"{BASE}/a/2.html"]
    assert all(f">{item.title}<" in body for item in block.items)  # the link's text


def test_block_heading_and_more_link() -> None:
    body = (
        '<div class="box"><div class="hd"><h3>通知公告</h3><a href="/tzgg/" class="more">更多>></a>'
        '</div><ul><li><a href="/tzgg/1.html">关于开展安全生产检查的通知</a><span>2026-11-01</span>'
        '</li><li><a href="/tzgg/2.html">关于举办业务培训班的通知</a><span>2026-10-28</span></li>'
        '<li><a href="/tzgg/3.html">关于公布评审结果的公告</a></li></ul></div>'
        '<div class="box"><h3><a href="/zcwj/">政策文件</a></h3><ul><li><a href="/zc/1.html">'
        "关于印发某某实施办法的通知</a><span>2026-10-30</span></li></ul></div>"
    )
    facts = extract(URL, page(body))
    assert [(b.heading, b.more_url) for b in facts.lists] == [
        ("通知公告", f"{BASE}/tzgg/"),
        ("政策文件", f"{BASE}/zcwj/"),  # the heading's own link leads to the column
    ]
    # A pinned entry without a date is an entry all the same; 更多 is none.
    assert items_of(facts)[0] == [
        ("关于开展安全生产检查的通知", "/tzgg/1.html", "2026-11-01"),
        ("关于举办业务培训班的通知", "/tzgg/2.html", "2026-10-28"),
        ("关于公布评审结果的公告", "/tzgg/3.html", ""),
    ]
    # 栏目 link blocks are navigation, shown with their heading.
    assert [(link.text, link.url) for link in facts.nav] == [
        ("通知公告", f"{BASE}/tzgg/"),
        ("政策文件", f"{BASE}/zcwj/"),
    ]


def test_tab_strip_headings_follow_panel_order() -> None:
    news = "".join(
        f'<li><a href="/xw/{i}.html">全市重点工作推进会第{i}次会议召开</a>'
        f"<span>[11-0{i}]</span></li>"
        for i in (1, 2)
    )
    notices = "".join(
        f'<li><a href="/gg/{i}.html">关于第{i}次公开招聘工作人员的公告</a>'
        f"<span>[10-0{i}]</span></li>"
        for i in (1, 2)
    )
    body = (
        '<div class="tab"><ul class="tab-hd"><li class="on"><a href="/xw/">政务要闻</a></li>'
        '<li><a href="/gg/">通知公告</a></li></ul><div class="tab-bd">'
        f'<ul class="con">{news}</ul><ul class="con" style="display:none">{notices}</ul>'
        "</div></div>"
    )
    facts = extract(URL, page(body))
    # A panel hidden until its tab is clicked is a list of the page all the same.
    assert [(b.heading, b.more_url, len(b.items)) for b in facts.lists] == [
        ("政务要闻", f"{BASE}/xw/", 2),
        ("通知公告", f"{BASE}/gg/", 2),
    ]


def test_items_are_titles_not_more_home_or_pagination() -> None:
    body = (
        '<ul><li><a href="/">首页</a><span>2026-11-01</span></li>'
        '<li><a href="/more/">更多</a><span>2026-11-02</span></li>'
        '<li><a href="/a/1.html">关于某项工作的通知公告</a><span>2026-11-03</span></li>'
        '<li><a href="/a/2.html">关于另一项工作的通知</a><span>2026-11-04</span></li></ul>'
        '<div class="page"><a href="?p=1">1</a><a href="?p=2">2</a><a href="?p=2">下一页</a></div>'
    )
    facts = extract(URL, page(body))
    titles = [item.title for block in facts.lists for item in block.items]
    assert titles == ["关于某项工作的通知公告", "关于另一项工作的通知"]


def test_header_widget_copyright_and_stamp_are_no_items() -> None:
    body = (
        '<div class="top"><span>今天是2026年11月21日 星期六</span><a href="/">首页</a>'
        '<a href="/wza/">无障碍浏览</a></div>'
        '<ul><li><a href="/a/1.html">关于某项工作的通知公告</a><span>2026-11-01</span></li>'
        '<li><a href="/a/2.html">关于另一项工作的通知</a><span>2026-10-01</span></li></ul>'
        '<div class="footer"><a href="/gywm/">关于我们网站</a> Copyright © 2003-2026 '
        "页面生成时间：2026-11-21 08:00:00 <a href='/map/'>网站地图导航</a> "
        "publishdate:2026/11/21 08:00:00</div>"
    )
    facts = extract(URL, page(body))
    assert dates_of(facts) == [["2026-11-01", "2026-10-01"]]
    assert facts.published == ""


def test_one_dated_entry_is_a_list_but_an_info_bar_is_not() -> None:
    one = '<ul><li><a href="/a/1.html">关于某项工作的通知公告</a><span>2026-11-01</span></li></ul>'
    assert dates_of(extract(URL, page(one))) == [["2026-11-01"]]
    info_bar = (
        "<h1>市政府召开常务会议</h1><div class='info'>2026年11月01日 09:30 | 来源："
        "<a href='https://www.people.com.cn/'>人民网－人民日报</a></div><p>"
        + "正文。" * 60
        + "</p>"
    )
    facts = extract(URL, page(info_bar, "市政府召开常务会议_某市"))
    assert facts.lists == ()
    assert (facts.published, facts.source) == ("2026-11-01T09:30", "人民网－人民日报")


def test_entries_that_are_not_links() -> None:
    # A 政务咨询 box lists questions without links, each with its date under a label.
    rows = "".join(
        f'<tbody><tr><td class="title"><span>请问{q}如何办理相关手续？</span></td></tr>'
        f'<tr><td class="date"><span>留言时间：</span><span>{d}</span></td></tr></tbody>'
        for q, d in (("营业执照", "2025-04-27"), ("许可证", "2025-04-16"))
    )
    body = f'<div class="tabs"><a href="/zx/">政务咨询</a></div><table>{rows}</table>'
    facts = extract(URL, page(body))
    assert items_of(facts) == [
        [
            ("请问营业执照如何办理相关手续？", "", "2025-04-27"),
            ("请问许可证如何办理相关手续？", "", "2025-04-16"),
        ]
    ]
    assert facts.lists[0].heading == "政务咨询"


def test_dates_in_paragraphs_make_no_list() -> None:
    body = (
        "<div class='content'><p><span>本办法自</span><span>2026年1月1日</span>起施行。</p>"
        "<p><span>原办法于</span><span>2020年5月1日</span>废止。</p></div>"
    )
    assert extract(URL, page(body)).lists == ()


def column_page(items: str, pager: str = "") -> str:
    return page(
        '<div class="header"><a href="/"><img src="/logo.png" alt="某市人民政府"></a>'
        '<span>今天是2026年11月21日 星期六</span><ul class="nav"><li><a href="/">首页</a></li>'
        '<li><a href="/zwgk/">政务公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>'
        '<div class="position">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>'
        ' &gt; <a href="/tzgg/">通知公告</a></div>'
        '<div class="left"><h2>政务公开</h2><ul class="sub-nav"><li><a href="/tzgg/">通知公告</a>'
        '</li><li><a href="/zcwj/">政策文件</a></li></ul></div>'
        f'<div class="right"><div class="lm-title">通知公告</div><ul class="list">{items}</ul>'
        f"{pager}</div>"
        '<div class="footer"><a href="/gywm/">关于我们</a> 版权所有：某市人民政府 '
        "网站标识码：1234567890</div>",
        "通知公告_某市人民政府",
    )


def test_column_page_with_dated_list_and_pagination() -> None:
    items = "".join(
        f'<li><a href="/tzgg/{i}.html">关于第{i}批项目申报工作的通知</a>'
        f"<span>发布时间：2026-10-{i:02d}</span></li>"
        for i in range(1, 13)
    )
    pager = (
        '<div class="page"><a href="index.html">首页</a><a href="index_1.html">下一页</a>'
        '<a href="index_5.html">尾页</a></div>'
    )
    facts = extract("https://www.example.gov.cn/tzgg/index.html", column_page(items, pager))
    assert facts.page_kind == "list"
    (block,) = facts.lists
    assert block.heading == "通知公告" and len(block.items) == 12
    assert block.items[0].date == "2026-10-01"
    assert (facts.next_page, facts.last_page) == (
        f"{BASE}/tzgg/index_1.html",
        f"{BASE}/tzgg/index_5.html",
    )
    # The items' 发布时间 lines and the header widget are not the page's publication time.
    assert (facts.published, facts.published_from) == ("", "")
    assert [link.text for link in facts.nav] == [
        "首页",
        "政务公开",
        "互动交流",
        "通知公告",
        "政策文件",
    ]
    assert all(link.url.startswith(BASE) for link in facts.nav)


def test_column_page_without_dates() -> None:
    items = "".join(
        f'<li><a href="/tzgg/{i}.html">关于第{i}批项目申报工作的通知</a></li>' for i in range(1, 9)
    )
    facts = extract("https://www.example.gov.cn/tzgg/index.html", column_page(items))
    assert facts.page_kind == "list"
    assert dates_of(facts) == [[""] * 8]
    assert facts.lists[0].items[0].url == f"{BASE}/tzgg/1.html"


def test_menus_and_footer_links_are_no_lists() -> None:
    body = (
        '<ul class="menu"><li><a href="/a/">关于我们的机构职能简介</a></li>'
        '<li><a href="/b/">领导信息与分工情况介绍</a></li></ul>'
        '<div class="footer"><ul><li><a href="http://www.gov.cn/">中华人民共和国中央人民政府</a></li>'
        '<li><a href="http://www.hunan.gov.cn/">湖南省人民政府门户网站</a></li></ul></div>'
        '<ul class="yqlj"><li><a href="http://www.gov.cn/">中华人民共和国中央人民政府网</a></li>'
        '<li><a href="http://www.hunan.gov.cn/">湖南省人民政府门户网站首页</a></li></ul>'
    )
    assert extract(URL, page(body)).lists == ()


# -- navigation -------------------------------------------------------------------------------


def test_navigation_areas() -> None:
    body = (
        '<div class="head"><ul><li><a href="/">网站首页</a></li><li><a href="/xwzx/">新闻中心</a>'
        '</li><li><a href="/zwgk/">政务公开</a></li></ul></div>'
        '<nav><a href="/bsfw/">办事服务</a><a href="javascript:void(0)">收起</a></nav>'
        '<div id="mainMenu"><a href="/hdjl/">互动交流</a><a href="/xwzx/">新闻</a></div>'
        '<div class="daohang"><a href="/zjxx/">走进本市</a></div>'
        '<div class="crumb">您的位置：<a href="/">首页</a> &gt; <a href="/xwzx/">新闻中心</a></div>'
        '<div class="oneColumn"><p>'
        + "正文内容，不是导航。"
        * 30
        + '<a href="/x.html">附件说明</a></p></div>'
        '<div class="footer-nav"><a href="/gywm/">关于我们</a><a href="/map/">网站地图</a></div>'
    )
    facts = extract(URL, page(body))
    assert [(link.text, link.url.removeprefix(BASE)) for link in facts.nav] == [
        ("网站首页", "/"),
        ("新闻中心", "/xwzx/"),
        ("政务公开", "/zwgk/"),
        ("办事服务", "/bsfw/"),
        ("互动交流", "/hdjl/"),
        ("走进本市", "/zjxx/"),
    ]


# -- pagination -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "body", "expected"),
    [
        (
            "/col/col1/index_1.html",
            '<div class="page"><a href="index.html">首页</a><a href="index.html">上一页</a>'
            '<a href="index_2.html">下一页</a><a href="index_9.html">尾页</a></div>',
            ("/col/col1/index_2.html", "/col/col1/index_9.html"),
        ),
        (
            "/col/list_1.html",
            '<div class="pages"><a href="list_1.html">1</a><a href="list_2.html">2</a>'
            '<a href="list_2.html">&gt;</a><a href="list_5.html">&gt;&gt;</a></div>',
            ("/col/list_2.html", "/col/list_5.html"),
        ),
        (
            "/col/list_1.html",
            '<a href="/next.html">下页</a><a href="/end.html">末页</a>',
            ("/next.html", "/end.html"),
        ),
        (
            "/col/col1/index.html",
            '<div id="page"></div><script>createPageHTML(5, 0, "index", "html");</script>',
            ("/col/col1/index_1.html", "/col/col1/index_4.html"),
        ),
        (
            "/col/index_2.shtml",
            "<script>var countPage = 7;var currentPage = 2;"
            "createPageHTML('page_div',countPage, currentPage,'index','shtml',68);</script>",
            ("/col/index_3.shtml", "/col/index_6.shtml"),
        ),
        (
            "/col/col1/index_4.html",  # the last page: 下一页 points to itself
            '<div class="page"><a href="index_3.html">上一页</a><a href="index_4.html">下一页</a>'
            '<a href="index_4.html">尾页</a></div>',
            ("", ""),
        ),
        (
            "/col/col1/index.html",  # a single page
            "<script>createPageHTML(1, 0, 'index', 'html');</script>",
            ("", ""),
        ),
        (
            "/col/col1/index.html",  # an arrow outside a pager is a decoration, not a page
            '<p><a href="/zt/">专题专栏</a><a href="/zt/">&gt;</a></p>',
            ("", ""),
        ),
    ],
)
def test_pagination(url: str, body: str, expected: tuple[str, str]) -> None:
    facts = extract(BASE + url, page(body))
    got = (facts.next_page.removeprefix(BASE), facts.last_page.removeprefix(BASE))
    assert got == expected


# -- publication time and source --------------------------------------------------------------


def article(info: str, title: str = "关于做好冬季安全生产工作的通知", body: str = "") -> str:
    text = body or "<p>各区县人民政府：</p><p>" + "现就有关事项通知如下。" * 20 + "</p>"
    return page(
        '<div class="header"><span>今天是2026年11月21日 星期六</span></div>'
        f'<div class="article"><h1>{title}</h1>{info}<div class="content">{text}</div></div>'
        '<div class="footer">版权所有 publishdate:2026/11/21 08:00:00</div>',
        f"{title}_通知公告_某市人民政府",
        '<meta name="others" content="页面生成时间 2026-11-21 08:00:00">',
    )


@pytest.mark.parametrize(
    ("info", "published", "source"),
    [
        (
            '<div class="info">发布时间：2026-11-01 09:30 &nbsp;&nbsp; 来源：市应急管理局 '
            "&nbsp; 浏览次数：123</div>",
            "2026-11-01T09:30",
            "市应急管理局",
        ),
        ("<p>发布日期：2026-11-01</p><p>信息来源： 市政府办</p>", "2026-11-01", "市政府办"),
        (
            "<div><span>日期：</span><span>2025年06月03日 13时44分</span><span>来源：</span>"
            "<span>市发改委</span></div>",
            "2025-06-03T13:44",
            "市发改委",
        ),
        ("<div>( 2024-05-11)</div>", "2024-05-11", ""),
        ("<div>时间发布：2026-11-01 来源：本网</div>", "2026-11-01", "本网"),
        (
            "<div>2021-09-08 16:01</div><div>來源: 永州市政務公開辦</div>",
            "2021-09-08T16:01",
            "永州市政務公開辦",
        ),
        ("<div>發布時間：2021-09-08 16:01</div>", "2021-09-08T16:01", ""),
        (
            "<div>来源：广州市南沙区统计局发布日期：2024-06-05</div>",
            "2024-06-05",
            "广州市南沙区统计局",
        ),
        (
            "<div>【来源： 人民日报】 发布日期：2023-07-19 19:21:00</div>",
            "2023-07-19T19:21",
            "人民日报",
        ),
        ("<div>来源：   发布日期:</div><div>2024-01-29   访问量：</div>", "2024-01-29", ""),
        (
            "<div>来源：</div><div>来源：省文化和旅游厅</div><div>时间：2020-12-29</div>",
            "2020-12-29",
            "省文化和旅游厅",
        ),
        ("<div>时 间：2022-08-11 14:21</div>", "2022-08-11T14:21", ""),
    ],
)
def test_article_date_lines_and_sources(info: str, published: str, source: str) -> None:
    facts = extract(URL, article(info))
    assert (facts.published, facts.published_from, facts.source) == (published, "visible", source)
    assert facts.page_kind == "article"


def test_article_without_source_or_date_line_uses_meta() -> None:
    head = (
        '<meta name="PubDate" content="2026-09-01 10:00"><meta name="ArticleTitle" content="测试">'
        '<meta name="others" content="页面生成时间 2026-11-21 08:00:00">'
    )
    facts = extract(
        URL, page("<h1>测试文章标题</h1><p>" + "正文内容。" * 40 + "</p>", "测试", head)
    )
    assert (facts.published, facts.published_from, facts.source) == ("2026-09-01T10:00", "meta", "")
    assert facts.page_kind == "article"
    head += '<meta name="ContentSource" content="市政府办公室">'
    facts = extract(URL, page("<h1>测试文章标题</h1><p>正文</p>", "测试", head))
    assert facts.source == "市政府办公室"


def test_no_date_line_no_meta_gives_nothing() -> None:
    # The header widget, the generation stamp and the dates in the body are no publication time.
    body = (
        "<p>第十条 本办法自2026年1月1日起施行。2020年5月1日发布的原办法同时废止。</p>"
        "<p>（2007年6月29日第十届全国人民代表大会常务委员会第二十八次会议通过）</p>"
        "<p>2024 年 5月10日</p>"
    )
    facts = extract(URL, article("", body=body))
    assert (facts.published, facts.published_from, facts.source) == ("", "", "")


def test_event_times_are_not_publication_times() -> None:
    info = (
        "<div><span>开始时间：</span></div><div>2024-05-08</div>"
        "<div><span>结束时间：</span></div><div>2024-05-10</div><div>来源：</div><div>北京市商务局</div>"
    )
    head = '<meta name="PubDate" content="2024-03-01 16:39">'
    facts = extract(URL, page(f"<h1>第八届医疗生态展会</h1>{info}<p>展会简介</p>", "展会", head))
    assert (facts.published, facts.published_from) == ("2024-03-01T16:39", "meta")
    assert facts.source == "北京市商务局"


def test_list_of_dated_items_on_an_article_page_is_not_its_date() -> None:
    related = "".join(
        f'<li><a href="/r/{i}.html">相关新闻标题第{i}条内容</a>'
        f"<span>发布时间：2026-10-0{i}</span></li>"
        for i in range(1, 4)
    )
    info = "<div>来源：市政府办</div>"
    facts = extract(URL, article(info, body=f"<p>{'正文。' * 40}</p><ul>{related}</ul>"))
    assert facts.published == "" and facts.source == "市政府办"
    assert dates_of(facts) == [["2026-10-01", "2026-10-02", "2026-10-03"]]


# -- placeholders -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        '<div class="list"><p>暂无信息</p></div>',
        '<div class="list"><p>暂无数据！</p></div>',
        '<div class="main">该栏目正在建设中，敬请期待！</div>',
        '<div class="main"><span>栏目维护中</span></div>',
        '<div class="main">暂无内容</div>',
        '<div class="main">正在建设中...</div>',
    ],
)
def test_placeholder(body: str) -> None:
    assert extract(URL, page(body)).placeholder


@pytest.mark.parametrize(
    "body",
    [
        '<div class="nodata" style="display:none">暂无信息</div><ul><li><a href="/a.html">关于某'
        "项工作的通知公告</a><span>2026-11-01</span></li></ul>",
        '<script type="text/html"><p>暂无数据</p></script><template><p>暂无内容</p></template>',
        "<!-- 暂无信息 -->",
        "<p>" + "各单位要及时更新栏目内容，防止出现暂无信息、正在建设中等空白栏目。" * 2 + "</p>",
        '<div class="footer">暂无数据</div><p>正文</p>',
    ],
)
def test_no_placeholder(body: str) -> None:
    assert not extract(URL, page(body)).placeholder


# -- archive labels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "label"),
    [
        (
            '<div class="gd-label">本页面已归档 归档时间：2026-01-05</div>',
            ArchiveLabel("本页面已归档 归档时间：2026-01-05", "2026-01-05"),
        ),
        (
            '<p class="archive"><span>已归档</span> <span>2026年1月5日 归档</span></p>',
            ArchiveLabel("已归档 2026年1月5日 归档", "2026-01-05"),
        ),
        (
            # Near miss: the time in another format is still a time.
            '<div class="stamp">已归档（归档日期：2026/01/05 10:00）</div>',
            ArchiveLabel("已归档（归档日期：2026/01/05 10:00）", "2026-01-05T10:00"),
        ),
        (
            '<div class="stamp">已归档</div><div class="info">发布时间：2020-01-01</div>',
            ArchiveLabel("已归档", ""),
        ),
        (
            '<div class="info">发布时间：2020-01-01 已归档</div>',
            ArchiveLabel("发布时间：2020-01-01 已归档", ""),  # that date is the publication's
        ),
        (
            # A stamp shown by its script when the switch says so: the switch is on here.
            '<div id="f-file"><img src="gd.png" alt="已归档"><p id="f-flag">已归档,2019-01-05</p>'
            "</div>",
            ArchiveLabel("已归档,2019-01-05", "2019-01-05"),
        ),
    ],
)
def test_archive_label(body: str, label: ArchiveLabel) -> None:
    facts = extract(URL, page(f"<h1>旧闻标题</h1>{body}<p>正文</p>"))
    assert facts.archive == label


@pytest.mark.parametrize(
    "body",
    [
        '<div class="stamp" style="display:none">已归档 归档时间：2026-01-05</div>',
        '<div class="stamp" style="VISIBILITY: hidden">已归档</div>',
        '<div class="stamp" hidden>已归档</div>',
        '<div class="gd" data-isarchives="0"><span>已归档</span></div>',
        '<div id="f-file"><img src="gd.png" alt="已归档"><p id="f-flag"><!--资讯视图--></p></div>',
        '<ul class="nav"><li><a href="/dacg/">冬奥场馆建设（已归档）</a></li></ul>',
        '<div><a href="/gd/">已归档信息</a></div>',
        '<script type="text/html"><div>已归档</div></script><template><p>已归档</p></template>',
        "<!-- 已归档 归档时间：2026-01-05 -->",
        "<p>第十五条 政府网站遇整合迁移、改版等情形，要对有价值原网页作归档处理，归档后页面应能正常"
        "访问，并在页面显著位置清晰注明“已归档”字样和归档时间。</p>",
        "<select><option>已归档</option></select><textarea>已归档</textarea>",
        '<div class="footer"><a href="/gdsj/">归档数据</a></div>',
    ],
)
def test_archive_traps(body: str) -> None:
    assert extract(URL, page(f"<h1>标题</h1>{body}<p>正文</p>")).archive is None


# -- page kind --------------------------------------------------------------------------------


def test_page_kinds() -> None:
    assert extract(URL, article("<div>发布时间：2026-11-01</div>")).page_kind == "article"
    home = "".join(
        f'<div class="box"><h3>栏目{n}</h3><ul>'
        + "".join(
            f'<li><a href="/{n}/{i}.html">第{n}栏目的第{i}条信息标题</a>'
            f"<span>2026-11-0{i}</span></li>"
            for i in range(1, 6)
        )
        + "</ul></div>"
        for n in range(1, 5)
    )
    facts = extract(BASE + "/", page(home, "某市人民政府"))
    assert facts.page_kind == "other"  # a home page spreads its entries over many boxes
    assert [b.heading for b in facts.lists] == ["栏目1", "栏目2", "栏目3", "栏目4"]
    assert extract(URL, page("<form><input name=q></form>")).page_kind == "other"


def test_new_facts_round_trip() -> None:
    items = "".join(
        f'<li><a href="/tzgg/{i}.html">关于第{i}批项目申报工作的通知</a>'
        f"<span>[10-{i:02d}]</span></li>"
        for i in range(1, 7)
    )
    pager = '<div class="page"><a href="index_1.html">下一页</a></div>'
    facts = extract(BASE + "/tzgg/index.html", column_page(items, pager))
    assert facts.lists and facts.nav and facts.next_page
    assert PageFacts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts
    labelled = extract(URL, page('<div class="stamp">已归档 归档时间：2026-01-05</div>'))
    assert PageFacts.from_dict(json.loads(json.dumps(labelled.to_dict()))) == labelled


def test_date_drawn_as_a_day_box() -> None:
    body = (
        '<ul class="news"><li><div class="date"><b>15</b><span>2026-11</span></div>'
        '<div class="txt"><a href="/a/1.html">全市召开安全生产工作会议</a><p>会议要求……</p>'
        "</div></li>"
        '<li><div class="date"><b>03</b><span>2026-10</span></div><div class="txt">'
        '<a href="/a/2.html">市政府召开常务会议研究部署</a><p>会议研究……</p></div></li></ul>'
    )
    assert dates_of(extract(URL, page(body))) == [["2026-11-15", "2026-10-03"]]


def test_records_of_a_hanweb_jpage_script() -> None:
    records = "".join(
        f'<record><![CDATA[\n<li><a href="/art/2026/11/{d}/art_3038_{d}.html" target="_blank">'
        f"关于第{d}号工作的通知</a><span>2026-11-{d:02d}</span></li>\n]]></record>"
        for d in (15, 3)
    )
    body = (
        '<div class="lm-title">通知公告</div><div id="3038"><script type="text/xml"><datastore>'
        '<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1"></a>]]></nextgroup>'
        f"<recordset>{records}</recordset></datastore></script></div>"
    )
    facts = extract(URL, page(body))
    (block,) = facts.lists
    assert (block.heading, [(i.url.removeprefix(BASE), i.date) for i in block.items]) == (
        "通知公告",
        [
            ("/art/2026/11/15/art_3038_15.html", "2026-11-15"),
            ("/art/2026/11/3/art_3038_3.html", "2026-11-03"),
        ],
    )


def test_previous_and_next_article_links_are_no_list() -> None:
    body = (
        '<div class="others"><div class="prev"><span>上一篇：</span><a href="/i/1.aspx">'
        "市交警一大队：坚守一线 疏堵保畅</a>[ 10-08 ]</div>"
        '<div class="next"><span>下一篇：</span><a href="/i/2.aspx">冯韶慧在水利工作座谈会上强调'
        "</a>[ 10-08 ]</div></div>"
    )
    assert extract(URL, article("<div>发布时间：2019-10-08</div>", body=body)).lists == ()


def test_weekday_after_a_labelled_date_is_no_widget() -> None:
    facts = extract(URL, article("<div>发布日期：2023年5月8日 星期一</div>"))
    assert (facts.published, facts.published_from) == ("2023-05-08", "visible")


def test_source_on_the_next_line_must_look_like_a_value() -> None:
    info = (
        "<div>来源：</div><p>" + "关于进一步做好冬季安全生产工作有关事项的通知要求全面落实" + "</p>"
    )
    assert extract(URL, article(info)).source == ""
    info = "<div>来源：</div><div>作者：张三</div>"
    assert extract(URL, article(info)).source == ""


def test_article_known_by_meta_with_related_links_is_an_article() -> None:
    related = "".join(
        f'<li><a href="/r/{i}.html">相关新闻标题第{i}条</a><span>2026-10-0{i}</span></li>'
        for i in range(1, 4)
    )
    head = '<meta name="PubDate" content="2026-09-01 10:00">'
    body = f"<h1>测试文章标题</h1><p>{'正文内容很长。' * 60}</p><ul>{related}</ul>"
    facts = extract(URL, page(body, "测试文章标题_某市", head))
    assert (facts.page_kind, facts.published_from) == ("article", "meta")


def test_sub_column_lists_under_a_heading_are_navigation() -> None:
    body = (
        '<div class="left"><div class="title">政务公开</div><ul><li><a href="/tzgg/">通知公告</a>'
        '</li><li><a href="/zcwj/">政策文件</a></li><li><a href="/rsxx/">人事信息</a></li></ul>'
        '</div><div class="right"><h2>通知公告</h2><ul><li><a href="/a/1.html">关于放假的通知'
        '</a><span>2026-11-01</span></li><li><a href="/a/2.html">关于停电的通知</a>'
        '<span>2026-10-20</span></li></ul></div><div class="box"><p>相关内容</p><ul><li>'
        '<a href="/x.html">很长的文章标题不是栏目名称</a></li><li><a href="/y.html">'
        "另一篇文章的标题也不是</a></li></ul></div>"
    )
    facts = extract(URL, page(body))
    assert [link.text for link in facts.nav] == ["通知公告", "政策文件", "人事信息"]
    assert [(b.heading, len(b.items)) for b in facts.lists] == [("通知公告", 2), ("相关内容", 2)]


# -- 来源 values that real templates run into what follows them ---------------------------------


@pytest.mark.parametrize(
    ("info", "source"),
    [
        # Links right after the value, one U+3000 apart, or with no space at all.
        ('<div>来源：省教育厅　<a href="javascript:window.print()">打印</a>　'
         '<a href="javascript:window.close()">关闭</a></div>', "省教育厅"),
        ('<div>来源：省教育厅<a href="/share">分享到微信</a><a href="/fav">收藏本页</a></div>',
         "省教育厅"),
        ('<div>来源：省教育厅 <a href="/top">返回顶部</a></div>', "省教育厅"),
        # Another element after a space: a clickable span.
        ('<div>来源：<span>省教育厅</span>　<span onclick="fix()">我要纠错</span></div>',
         "省教育厅"),
        # The value is a link itself.
        ('<div>来源：<a href="http://www.people.com.cn/">人民网</a>　<a href="/p">打印</a></div>',
         "人民网"),
        # Near misses: one run of text keeps its inner space; a value in its own span is whole.
        ("<div>来源：省教育厅　省财政厅</div>", "省教育厅 省财政厅"),
        ("<div><span>来源：</span><span>市农业农村局</span></div>", "市农业农村局"),
    ],
)
def test_source_ends_where_the_next_link_or_element_begins(info: str, source: str) -> None:
    assert extract(URL, article(info)).source == source


@pytest.mark.parametrize(
    ("info", "source"),
    [
        ("<div>来源：市农业农村局（市乡村振兴局）</div>", "市农业农村局（市乡村振兴局）"),
        ("<div>【来源：市农业农村局(市乡村振兴局)】</div>", "市农业农村局(市乡村振兴局)"),
        ("<div>信息来源：县人民政府（县政府办）　发布时间：2026-11-01</div>",
         "县人民政府（县政府办）"),
        # Near misses: brackets that do not pair within the value go.
        ("<div>（来源：市农业农村局）</div>", "市农业农村局"),
        ("<div>来源：（市农业农村局）</div>", "市农业农村局"),
        ("<div>来源：市农业农村局）</div>", "市农业农村局"),
    ],
)
def test_source_keeps_balanced_brackets(info: str, source: str) -> None:
    assert extract(URL, article(info)).source == source


# -- a date and its time in separate runs (Word exports) ----------------------------------------


@pytest.mark.parametrize(
    ("info", "published"),
    [
        ("<div>发布时间：2024-03-11<br>15:30:00</div>", "2024-03-11T15:30"),
        ("<div>发布时间：<span>2024-03-11</span>\n<span>15:30:00</span></div>",
         "2024-03-11T15:30"),
        ('<p class="MsoNormal"><span>发布日期：</span></p><p class="MsoNormal"><span>2024-03-11'
         "</span>\n<span>15:30</span></p>", "2024-03-11T15:30"),
        ("<div>2024-03-11<br>15:30:00</div><div>来源：市政府办</div>", "2024-03-11T15:30"),
        ("<div>发布时间：2024-03-11<br>15时30分 浏览次数：3</div>", "2024-03-11T15:30"),
        # Near misses: a time in a sentence, or text between the date and the time.
        ("<div>发布时间：2024-03-11</div><p>15:30 召开全市安全生产工作会议</p>", "2024-03-11"),
        ("<div>发布时间：2024-03-11 来源：市政府办<br>15:30:00</div>", "2024-03-11"),
        ("<div>发布时间：2024-03-11<br>第15:30号</div>", "2024-03-11"),
    ],
)
def test_date_and_time_on_separate_lines(info: str, published: str) -> None:
    facts = extract(URL, article(info))
    assert (facts.published, facts.published_from) == (published, "visible")


# -- a page's own text (single-page columns) ---------------------------------------------------


def _column_page(main: str) -> str:
    nav = "".join(f'<li><a href="/c{i}/">栏目名称{i}</a></li>' for i in range(8))
    return page(
        f'<div class="header"><div class="logo">永州市人民政府</div><span>今天是2026年11月21日'
        f' 星期六</span></div><ul class="nav">{nav}</ul>'
        '<div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/lxwm/">联系我们</a></div>'
        f'<div class="main">{main}</div>'
        '<div class="footer"><p>主办单位：永州市人民政府办公室 地址：永州市冷水滩区逸云路1号 '
        "电话：0746-8222222 网站标识码：4311000024 湘ICP备05009375号-1</p></div>",
        "联系我们_永州市人民政府",
    )


def test_content_length_counts_the_page_own_text() -> None:
    contact = (
        "<h2>联系我们</h2><p>通信地址：湖南省永州市冷水滩区逸云路1号市政府大楼</p>"
        "<p>邮政编码：425000</p><p>办公电话：0746-8222001</p><p>传真号码：0746-8222002</p>"
        '<p>电子邮箱：<a href="mailto:yzzf@yzcity.gov.cn">yzzf@yzcity.gov.cn</a></p>'
    )
    facts = extract(URL, _column_page(contact))
    own = "联系我们通信地址：湖南省永州市冷水滩区逸云路1号市政府大楼邮政编码：425000办公电话：" \
        "0746-8222001传真号码：0746-8222002电子邮箱："
    # The header, the footer (address and phone of its own), menus, breadcrumb links and the
    # mail link do not count; the breadcrumb's "当前位置：" and ">" do.
    assert facts.content_length == len(own) + len("当前位置：>")
    # An empty list page on the same template, with its pager: little text of its own.
    empty = (
        '<h2>通知公告</h2><ul class="list"></ul><div class="page">共0条 第1/1页 '
        '<a href="index_1.html">下一页</a> <a href="index_1.html">尾页</a></div>'
    )
    facts = extract(URL, _column_page(empty))
    assert facts.content_length == len("当前位置：>通知公告共0条第1/1页")
    # A list page: its items are the list's, not the page's own text.
    items = "".join(
        f'<li><a href="/tzgg/{i}.html">关于做好第{i}批项目申报工作的通知</a><span>2026-11-0{i}'
        "</span></li>"
        for i in range(1, 8)
    )
    facts = extract(URL, _column_page(f'<h2>通知公告</h2><ul class="list">{items}</ul>'))
    assert facts.page_kind == "list"
    assert facts.content_length == len("当前位置：>通知公告")


def test_content_length_ignores_a_header_or_bottom_wrapping_the_page() -> None:
    text = "本网站由永州市人民政府办公室主办，永州市大数据中心承办。" * 3
    # A "top" wrapper that reaches past the middle of the page is no header.
    facts = extract(URL, page(f'<div id="top"><h1>网站声明</h1><p>{text}</p></div>'))
    assert facts.content_length == len("网站声明" + text)
