"""checks.columns.discover: columns from the navigation, sub-columns, the registry, items."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from checks.base import Column
from checks.columns.discover import classify, discover_columns
from checks.timeutil import TZ
from tests.checks.snapshots import NOW, snapshot
from tests.crawler.realpages import labels, real_page

BASE = "https://www.yzcity.gov.cn"


def nav(*pairs: tuple[str, str], kind: str = "a") -> list[dict[str, str]]:
    return [
        {"url": BASE + url if url.startswith("/") else url, "kind": kind, "text": text}
        for url, text in pairs
    ]


def item(path: str, title: str = "标题", date: str = "") -> dict[str, str]:
    return {"title": title, "url": BASE + path, "date": date}


def block(*items: dict[str, str], heading: str = "", more: str = "") -> dict[str, Any]:
    return {"heading": heading, "items": list(items), "more_url": BASE + more if more else ""}


def discover(pages: list[dict[str, Any]], **site: Any) -> dict[str, Column]:
    columns = discover_columns(snapshot({"site": site, "pages": pages}), NOW)
    return {c.url.removeprefix(BASE): c for c in columns}


def test_level_one_from_home_nav_with_exclusions() -> None:
    pages = [
        {
            "url": "/",
            "facts": {
                "nav": nav(
                    ("/", "首页"),
                    ("/index.html", "网站首页"),
                    ("/zwdt/", "政务动态"),
                    ("/tzgg/", "通知公告"),
                    ("https://www.gov.cn/", "中国政府网"),
                    ("/files/guide.pdf", "办事指南"),
                    ("/zwdt/202611/t20261101_1.html", "头条"),
                    ("/a/notice.html", "一篇文章"),
                    ("/zwdt/index.html", "政务动态（重复）"),
                    ("/empty/", "  "),
                    ("javascript:void(0)", "菜单"),
                )
            },
        },
        {"url": "/a/notice.html", "facts": {"page_kind": "article"}},
    ]
    found = discover(pages)
    assert list(found) == ["/zwdt/", "/tzgg/"]
    news = found["/zwdt/"]
    assert (news.name, news.type, news.level, news.source) == ("政务动态", "news", 1, "nav")
    assert news.status is None and news.items == () and news.newest is None  # not crawled


def test_attachment_nav_links_are_skipped() -> None:
    pages = [{"url": "/", "facts": {"nav": nav(("/xxgk/", "信息公开"), kind="attachment")}}]
    assert discover(pages) == {}


def test_sub_columns_from_level_one_pages() -> None:
    pages = [
        {
            "url": "/",
            "facts": {
                "nav": nav(("/xxgk/", "信息公开"), ("/zwdt/", "政务动态")),
                "lists": [block(item("/x/1.html"), heading="人事任免", more="/xxgk/rsrm/")],
            },
        },
        {
            "url": "/xxgk/",
            "facts": {
                "nav": nav(("/zwdt/", "政务动态"), ("/xxgk/zcwj/", "政策文件")),
                "lists": [block(item("/x/2.html"), heading="规划计划", more="/xxgk/ghjh/")],
            },
        },
        {"url": "/xxgk/zcwj/", "depth": 2, "facts": {"nav": nav(("/xxgk/zcwj/bmwj/", "部门文件"))}},
    ]
    found = discover(pages)
    assert [(u, c.level, c.type) for u, c in found.items()] == [
        ("/xxgk/", 1, "other"),
        ("/zwdt/", 1, "news"),
        ("/xxgk/zcwj/", 2, "policy"),
        ("/xxgk/ghjh/", 2, "plan"),  # a sub-column block (更多) of the landing page
        ("/xxgk/rsrm/", 2, "personnel"),  # a home-page block no navigation named
    ]  # /xxgk/zcwj/bmwj/ is a level-3 link: not looked for


def test_registry_overrides_and_adds() -> None:
    pages = [{"url": "/", "facts": {"nav": nav(("/lm/01/", "栏目一"), ("/zwdt/", "政务动态"))}}]
    found = discover(
        pages,
        columns=[
            {"name": "重要政策", "path": "/lm/01/index.html", "type": "policy"},
            {"name": "人事信息", "path": "/zwgk/rsxx/"},
            {"name": "概况", "path": "/gk/", "type": "static"},
            {"name": "政务动态", "path": "/zwdt/", "type": "notice"},
        ],
    )
    assert [(u, c.name, c.type, c.level, c.source) for u, c in found.items()] == [
        ("/lm/01/", "重要政策", "policy", 1, "registry"),
        ("/zwdt/", "政务动态", "notice", 1, "registry"),  # registry type wins over the name
        ("/zwgk/rsxx/", "人事信息", "personnel", 2, "registry"),  # classified by its name
        ("/gk/", "概况", "static", 1, "registry"),
    ]


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("政务动态", "news"),
        ("领导动态", "news"),
        ("图片新闻", "news"),
        ("今日要闻", "news"),
        ("通知公告", "notice"),
        ("公示公告", "notice"),
        ("政策文件", "policy"),
        ("政策解读", "policy"),
        ("法规规章", "policy"),
        ("人事信息", "personnel"),
        ("任免信息", "personnel"),
        ("规划计划", "plan"),
        ("工作计划", "plan"),
        ("机构职能", "static"),
        ("领导之窗", "static"),
        ("市情概况", "static"),
        ("单位简介", "static"),
        ("互动交流", "other"),
        ("历史沿革", "other"),
    ],
)
def test_classify(name: str, kind: str) -> None:
    assert classify(name) == kind


def test_archived_by_name_link_text_or_label_but_not_city_history() -> None:
    pages = [
        {
            "url": "/",
            "facts": {
                "nav": nav(
                    ("/lsdt/", "历史动态"),
                    ("/old/", "旧版网站"),
                    ("/zt/", "专题（已归档）"),
                    ("/lsyg/", "历史沿革"),
                    ("/bmwj/", "部门文件"),
                )
            },
        },
        {"url": "/bmwj/", "facts": {"archive": {"text": "本栏目已归档", "time": "2025-01-01"}}},
    ]
    found = discover(pages, columns=[{"name": "专题专栏", "path": "/zt/"}])
    assert {u: c.archived for u, c in found.items()} == {
        "/lsdt/": True,
        "/old/": True,
        "/zt/": True,
        "/lsyg/": False,
        "/bmwj/": True,
    }
    assert found["/zt/"].name == "专题专栏"  # registry name; the link text still says 归档


def test_status_and_placeholder_come_from_the_column_page() -> None:
    pages = [
        {"url": "/", "facts": {"nav": nav(("/a/", "工作动态"), ("/b/", "通知公告"))}},
        {"url": "/a/", "facts": {"placeholder": True}},
        {"url": "/b/", "status": 404, "facts": None},
    ]
    found = discover(pages)
    assert (found["/a/"].status, found["/a/"].placeholder) == (200, True)
    assert (found["/b/"].status, found["/b/"].placeholder) == (404, False)


def test_index_html_normalisation_joins_nav_and_crawled_page() -> None:
    dated = block(item("/zwdt/1.html", date="2026-11-19"))
    pages = [
        {
            "url": "/",
            "facts": {
                "nav": nav(
                    ("/zwdt/index.html", "政务动态"), ("/tzgg", "通知公告"), ("/zcwj/", "政策文件")
                )
            },
        },
        {"url": "/zwdt/", "facts": {"lists": [dated]}},
        {"url": "/tzgg/index.shtml", "facts": {"lists": [dated]}},
        {"url": "/zcwj/index.htm", "facts": {"lists": [dated]}},
    ]
    found = discover(pages)
    assert list(found) == ["/zwdt/index.html", "/tzgg", "/zcwj/"]  # as the navigation names them
    assert all(c.status == 200 and c.newest is not None for c in found.values())


def test_main_list_by_heading_else_largest_own_block_else_all() -> None:
    fresh = item("/x/new.html", "热点", "2026-11-19")
    pages = [
        {
            "url": "/",
            "facts": {"nav": nav(("/a/", "政务动态"), ("/b/", "通知公告"), ("/c/", "政务公开"))},
        },
        # the block headed with the column's name, not the fresher sidebar
        {
            "url": "/a/",
            "facts": {
                "lists": [
                    block(fresh, heading="热点信息"),
                    block(item("/a/1.html", date="2026-10-01"), heading="政务动态"),
                ]
            },
        },
        # no heading matches: the largest block without a 更多 link elsewhere
        {
            "url": "/b/",
            "facts": {
                "lists": [
                    block(fresh, heading="最新发布", more="/zxfb/"),
                    block(
                        item("/b/1.html", date="2026-09-01"), item("/b/2.html", date="2026-08-01")
                    ),
                    block(item("/b/3.html", date="2026-10-09"), more="/b/index.html"),
                ]
            },
        },
        # a landing page whose blocks all lead to sub-columns: all of them
        {
            "url": "/c/",
            "facts": {
                "lists": [
                    block(item("/c/1.html", date="2026-10-01"), heading="通知", more="/c/tz/"),
                    block(item("/c/2.html", date="2026-11-02"), heading="文件", more="/c/wj/"),
                ]
            },
        },
    ]
    found = discover(pages)
    assert found["/a/"].newest == datetime(2026, 10, 1, tzinfo=TZ)
    assert [i.url.removeprefix(BASE) for i in found["/b/"].items] == ["/b/1.html", "/b/2.html"]
    assert found["/c/"].newest == datetime(2026, 11, 2, tzinfo=TZ)
    assert found["/c/"].newest_from == "list"


def test_year_less_dates_resolved_against_now() -> None:
    pages = [
        {"url": "/", "facts": {"nav": nav(("/a/", "政务动态"))}},
        {
            "url": "/a/",
            "facts": {
                "lists": [
                    block(
                        item("/a/1.html", date="--11-25"),
                        item("/a/2.html", date="--03-01"),
                        item("/a/3.html", date="junk"),
                    )
                ]
            },
        },
    ]
    column = discover(pages)["/a/"]
    assert [i.date for i in column.items] == [
        datetime(2025, 11, 25, tzinfo=TZ),
        datetime(2026, 3, 1, tzinfo=TZ),
        None,
    ]
    assert column.newest == datetime(2026, 3, 1, tzinfo=TZ)


def test_pagination_followed_only_until_a_dated_item() -> None:
    pages = [
        {"url": "/", "facts": {"nav": nav(("/a/", "政务动态"), ("/b/", "通知公告"))}},
        {
            "url": "/a/",
            "facts": {
                "lists": [block(item("/a/1.html"), item("/a/2.html"))],
                "next_page": BASE + "/a/index_1.html",
            },
        },
        {
            "url": "/a/index_1.html",
            "depth": 2,
            "facts": {
                "lists": [block(item("/a/3.html", date="2026-11-03"))],
                "next_page": BASE + "/a/index_2.html",
            },
        },
        {
            "url": "/a/index_2.html",
            "depth": 3,
            "facts": {"lists": [block(item("/a/4.html", date="2026-11-19"))]},
        },
        # a next page that loops back to the first page stops the walk
        {
            "url": "/b/",
            "facts": {"lists": [block(item("/b/1.html"))], "next_page": BASE + "/b/index.html"},
        },
    ]
    found = discover(pages)
    assert [i.url.removeprefix(BASE) for i in found["/a/"].items] == [
        "/a/1.html",
        "/a/2.html",
        "/a/3.html",
    ]  # page 3 not needed: page 2 had a date
    assert found["/a/"].newest == datetime(2026, 11, 3, tzinfo=TZ)
    assert found["/b/"].newest is None and len(found["/b/"].items) == 1


def test_undated_list_uses_newest_crawled_article() -> None:
    pages = [
        {"url": "/", "facts": {"nav": nav(("/a/", "政务动态"), ("/b/", "通知公告"))}},
        {
            "url": "/a/",
            "facts": {
                "lists": [block(item("/a/1.html"), item("/a/2.html"), item("/a/3.html"))],
                "next_page": BASE + "/a/index_1.html",  # a page never crawled
            },
        },
        {
            "url": "/a/1.html",
            "depth": 2,
            "facts": {"page_kind": "article", "published": "2026-11-02T16:01"},
        },
        {
            "url": "/a/2.html",
            "depth": 2,
            "facts": {"page_kind": "article", "published": "2026-11-09"},
        },
        {"url": "/a/3.html", "depth": 2, "facts": {"page_kind": "article", "published": ""}},
        {"url": "/b/", "facts": {"lists": [block(item("/b/1.html"))]}},
    ]
    found = discover(pages)
    assert found["/a/"].newest == datetime(2026, 11, 9, tzinfo=TZ)
    assert found["/a/"].newest_from == "article"
    assert all(i.date is None for i in found["/a/"].items)  # list dates stay list dates
    assert (found["/b/"].newest, found["/b/"].newest_from) == (None, "")


def test_no_home_page_still_gives_registry_columns() -> None:
    columns = discover_columns(
        snapshot({"home": None, "site": {"columns": [{"name": "政务动态", "path": "/zwdt/"}]}}),
        NOW,
    )
    assert [(c.name, c.type, c.source, c.status) for c in columns] == [
        ("政务动态", "news", "registry", None)
    ]


def test_single_page_or_list_column_on_real_pages() -> None:
    """Real pages behind columns with unclassified names: a 领导介绍 page (names and duties,
    no list) and a museum's description are single-page columns; a journal's issue page,
    which lists its undated articles beside a table of contents, is a list column."""
    by_file = {label["file"]: label for label in labels() if label is not None}
    home = nav(("/a/", "本馆概览"), ("/b/", "美术馆"), ("/c/", "期刊目录"))
    pages: list[dict[str, Any]] = [{"url": "/", "facts": {"nav": home}}]
    for path, file in (("/a/", "pages/032.html"), ("/b/", "pages/020.html"),
                       ("/c/", "pages/014.html")):  # fmt: skip
        facts = real_page(by_file.get(file))[0].to_dict()
        del facts["_version"], facts["url"]
        pages.append({"url": path, "facts": facts})
    found = discover(pages)
    assert [(c.name, c.single_page, bool(c.items)) for c in found.values()] == [
        ("本馆概览", True, False),
        ("美术馆", True, False),
        ("期刊目录", False, True),
    ]


def test_single_page_text_threshold_is_a_parameter() -> None:
    """An undated column page with 60 characters of its own text is a single-page column at
    the default threshold (50) and an empty list column when the setting asks for 100."""
    home = nav(("/lxwm/", "联系我们"))
    pages: list[dict[str, Any]] = [
        {"url": "/", "facts": {"nav": home}},
        {"url": "/lxwm/", "facts": {"content_length": 60}},
    ]
    built = snapshot({"site": {}, "pages": pages})
    default = discover_columns(built, NOW)
    strict = discover_columns(built, NOW, single_page_text_min=100)
    assert [(c.name, c.single_page) for c in default] == [("联系我们", True)]
    assert [(c.name, c.single_page) for c in strict] == [("联系我们", False)]
