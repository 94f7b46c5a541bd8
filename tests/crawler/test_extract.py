"""crawler.extract on real government pages (hand-labelled) and on generated ones."""

from __future__ import annotations

import dataclasses
import html as htmlmod
import random
import re
from typing import Any

import pytest

from crawler.decode import decode_html, looks_binary
from crawler.extract import extract
from crawler.facts import (
    FACTS_VERSION,
    LINK_KINDS,
    ArchiveLabel,
    ConacBadge,
    Link,
    ListBlock,
    ListItem,
    PageFacts,
)
from crawler.identifiers import normalise_space
from tests.crawler.realpages import SEEDS, URL, label_id, labels, real_page, shared_file

SEED_001 = SEEDS / "001_d42a7317affeaaf8.txt"

# labels.json says `site_id_code_meta: null` ("no such tag") for these pages, but their bytes
# carry <meta name="SiteIDCode" content="...">: a labelling slip, not an extraction error. The
# test checks the bytes themselves, and tells us to drop the entry once the label is fixed.
META_LABEL_SLIPS = {
    "pages/028.html": "3204110029",
    "pages/050.html": "4303000006",
    "pages/066.html": "",
}
_RAW_SITEIDCODE = re.compile(
    r"""<meta\s+name=["']?SiteIDCode["']?\s+content=(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE
)


def _norm(values: list[str] | None) -> set[str]:
    return {normalise_space(v) for v in values or []}


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_identity_agrees_with_labels(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    # null label = no such string in the page: we must extract nothing either.
    assert set(facts.icp) == _norm(label["icp"])
    assert set(facts.police) == _norm(label["gongan_beian"])
    if label["site_id_code"] is None:
        assert facts.site_codes == ()
    else:
        assert label["site_id_code"] in facts.site_codes
    assert bool(facts.conac) == label["conac_badge_present"]
    forms = {"static link to bszs.conac.cn": "link", "dcs.conac.cn badge script": "script"}
    assert {badge.form for badge in facts.conac} == {
        forms[form] for form in label["conac_badge_form"] or []
    }
    assert not facts.says_not_found


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_meta_siteidcode_agrees_with_labels(label: dict[str, Any] | None) -> None:
    facts, text = real_page(label)
    assert label is not None
    expected = label["site_id_code_meta"]
    slip = META_LABEL_SLIPS.get(label["file"])
    if slip is not None:
        assert expected is None, "labels.json fixed: remove the page from META_LABEL_SLIPS"
        raw = _RAW_SITEIDCODE.search(text)
        assert raw is not None and (raw.group(1) or raw.group(2) or "") == slip
        assert facts.meta.get("siteidcode") == slip
    elif expected is None:
        assert "siteidcode" not in facts.meta
    else:
        assert facts.meta.get("siteidcode") == expected


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_realpage_footer_and_header(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    # What the identity checks read: every identifier shown is in the footer text...
    folded = facts.footer_text.replace(" ", "")
    for value in (*facts.icp, *facts.police, *facts.site_codes):
        assert value.replace(" ", "") in folded
    # ...and the site's name is in the header or the title.
    assert label["site_name"] in facts.header_text or label["site_name"] in facts.title
    assert len(facts.header_text) <= 500
    assert facts.links and all(link.kind in LINK_KINDS for link in facts.links)
    assert facts.text_length > 0 and len(facts.text_digest) == 16


def test_seed_001_traditional_characters() -> None:
    text = shared_file(SEED_001).read_text(encoding="utf-8")
    page = f"<html><body><div class=footer>{htmlmod.escape(text)}</div></body></html>"
    facts = extract(URL, page)
    assert facts.site_codes == ("4311000024",)
    assert facts.icp == ("湘ICP備05009375號",)
    assert facts.police == ("湘公網安備 43110302000125號",)


# ---------------------------------------------------------------------------------------------
# Generated pages


def page(body: str, head: str = "<title>测试页面</title>") -> str:
    return f"<!DOCTYPE html><html><head>{head}</head><body>{body}</body></html>"


FOOTER = (
    '<div class="footer"><p>主办：永州市人民政府办公室 网站标识码：4311000024</p>'
    '<p><a href="https://beian.miit.gov.cn/">湘ICP备05009375号-1</a> '
    '<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=43110302000125">'
    "湘公网安备 43110302000125号</a></p></div>"
)


def _gbk_meta() -> tuple[bytes, str | None]:
    head = '<meta http-equiv="Content-Type" content="text/html; charset=gb2312"><title>政务</title>'
    return page("<p>正文</p>" + FOOTER, head).encode("gb18030"), None


@pytest.mark.parametrize(
    ("body", "declared"),
    [
        _gbk_meta(),
        (page("<p>正文</p>" + FOOTER).encode("gbk"), "GBK"),  # only the HTTP header says so
        (page("<p>正文</p>" + FOOTER).encode("utf-8"), None),  # no declaration at all
        (b"\xff\xfe" + page("<p>正文</p>" + FOOTER).encode("utf-16-le"), None),
        (b"\xfe\xff" + page("<p>正文</p>" + FOOTER).encode("utf-16-be"), "gbk"),
    ],
    ids=["gbk-meta-gb2312", "gbk-http-header", "utf8-undeclared", "utf16le-bom", "utf16be-bom"],
)
def test_bytes_to_facts(body: bytes, declared: str | None) -> None:
    assert not looks_binary(body)
    text, _ = decode_html(body, declared)
    facts = extract(URL, text)
    assert facts.icp == ("湘ICP备05009375号-1",)
    assert facts.police == ("湘公网安备 43110302000125号",)
    assert facts.site_codes == ("4311000024",)


def test_footer_identifiers_and_recordcode() -> None:
    facts = extract(URL, page("<p>正文</p>" + FOOTER))
    assert facts.icp == ("湘ICP备05009375号-1",)
    assert facts.police == ("湘公网安备 43110302000125号",)
    assert facts.police_recordcodes == ("43110302000125",)
    assert facts.site_codes == ("4311000024",)
    assert "湘ICP备05009375号-1" in facts.footer_text
    assert "正文" not in facts.footer_text


@pytest.mark.parametrize(
    ("shown", "icp"),
    [
        ("备案号：晋ICP备05003854", "晋ICP备05003854"),
        ("蜀ICP备：19007388号", "蜀ICP备：19007388号"),
        ("京ICP证000006号 | 京ICP备12004265号-13", "京ICP证000006号"),
        ("鲁ICP备 05038584号", "鲁ICP备 05038584号"),
        ("粤ＩＣＰ备２０２２０１７０３１号－１", "粤ＩＣＰ备２０２２０１７０３１号－１"),
    ],
)
def test_icp_variants(shown: str, icp: str) -> None:
    facts = extract(URL, page(f'<div class="copyright">{shown}</div>'))
    assert icp in facts.icp


@pytest.mark.parametrize(
    ("shown", "icp"),
    [
        ("浙ICP备12345678-1号", "浙ICP备12345678-1号"),
        ("备案号：浙ICP备12345678-1 号 浙公网安备33010602009328号", "浙ICP备12345678-1 号"),
        # Near misses: 号码 after the number is a word of its own; no suffix, no second 号.
        ("浙ICP备12345678-1号码查询", "浙ICP备12345678-1"),
        ("浙ICP备12345678号 号外", "浙ICP备12345678号"),
    ],
)
def test_icp_keeps_hao_after_the_suffix(shown: str, icp: str) -> None:
    facts = extract(URL, page(f'<div class="copyright">{shown}</div>'))
    assert facts.icp == (icp,)


def test_icp_split_across_office_runs_reads_as_displayed() -> None:
    # Office exports put CJK and Latin in separate runs; readers see "赣 ICP 备 17015617 号".
    body = (
        '<p><a href="http://beian.miit.gov.cn"><span><span lang=EN-US>赣</span></span>ICP<span>'
        "<span lang=EN-US>备</span></span>17015617<span><span>号</span></span></a> "
        "<span>公安机关备案号：</span>36010802000157</p>"
    )
    facts = extract(URL, page(body))
    assert facts.icp == ("赣 ICP 备 17015617 号",)
    assert facts.police == ("公安机关备案号：36010802000157",)


@pytest.mark.parametrize(
    ("shown", "police"),
    [
        ("京公网安备11010202000001号", "京公网安备11010202000001号"),
        ("京\n   公网安备11010202000010  ", "京 公网安备11010202000010"),
        ("鲁公网安备\n  37020202000341号", "鲁公网安备 37020202000341号"),
        ("公安机关备案号：36010802000157", "公安机关备案号：36010802000157"),
    ],
)
def test_police_variants(shown: str, police: str) -> None:
    facts = extract(URL, page(f'<div id="foot">{shown}</div>'))
    assert facts.police == (police,)


def test_near_miss_identifiers_are_not_extracted() -> None:
    body = (
        "<p>各单位要向市电信主管部门申请ICP备案，并向公安机关备案。</p>"
        "<p>湘公安网备号43010402000231号</p>"  # not the 公网安备 form
        "<p>网站标识码由国务院办公厅统一分配。</p>"
    )
    facts = extract(URL, page(body))
    assert (facts.icp, facts.police, facts.site_codes) == ((), (), ())


@pytest.mark.parametrize(
    ("shown", "code"),
    [
        ("网站标识码：3300000020", "3300000020"),
        ("政府网站标识码 bm01000001", "bm01000001"),
        ("网站标识码bm01000001", "bm01000001"),
        ("网站识别码:1401000055", "1401000055"),
        ("网站标识码 ：4506000001", "4506000001"),
        ("網站標識碼：４３１１００００２４", "4311000024"),
        ("网站标识码：430300000", "430300000"),  # wrong shape: reported, judged by the check
    ],
)
def test_site_code_variants(shown: str, code: str) -> None:
    facts = extract(URL, page(f"<div class=bottom>{shown}</div>"))
    assert facts.site_codes == (code,)


def test_hidden_footer_is_not_read() -> None:
    hidden = (
        '<div class="footer" style="display: none">湘ICP备11111111号 网站标识码：1111111111</div>'
        '<div class="copyright" hidden>湘公网安备 11111111111111号</div>'
        '<div style="VISIBILITY:hidden">京ICP备22222222号</div>'
    )
    facts = extract(URL, page("<p>正文内容</p>" + hidden + FOOTER))
    assert facts.icp == ("湘ICP备05009375号-1",)
    assert facts.police == ("湘公网安备 43110302000125号",)
    assert facts.site_codes == ("4311000024",)
    assert "11111111" not in facts.footer_text


def test_footer_written_by_script_is_read() -> None:
    script = (
        "<script>var footer = '<div class=\"copyright\">'+\n"
        "'<p>版权所有：广东省人民政府门户网站</p>'+\n"
        "'<a href=\"http://www.beian.gov.cn/\">粤公网安备'+\n"
        "'  44010402001160号</a><a>粤ICP备05070829号</a>'+\n"
        "'<span>网站标识码4400000131</span>'+\n"
        "'<span id=\"_span_jiucuo\"><img onclick=\"Link(\\'4400000131\\')\"></span>'+\n"
        "'</div>';\n$('.foot').html(footer);</script>"
    )
    facts = extract(URL, page("<p>正文</p><div class=foot></div>" + script))
    assert facts.icp == ("粤ICP备05070829号",)
    assert facts.police == ("粤公网安备 44010402001160号",)
    assert facts.site_codes == ("4400000131",)
    assert facts.jiucuo == ("4400000131",)
    assert "粤ICP备05070829号" in facts.footer_text
    assert all("beian.gov.cn" not in link.url for link in facts.links)  # script links not links


def test_content_after_a_stray_end_of_document_is_kept() -> None:
    html = (
        "<html><body><div class=header>头部</div></body></html>\n"  # an SSI header include
        "<div class=content><p>正文</p></div>" + FOOTER
    )
    facts = extract(URL, html)
    assert facts.icp == ("湘ICP备05009375号-1",)
    assert any("recordcode=43110302000125" in link.url for link in facts.links)
    assert facts.text_length > len("头部正文")


def test_conac_badges() -> None:
    badge_id = "0B54EBC0ADCF6D52E053012819AC8069"
    body = (
        f'<a href="http://bszs.conac.cn/sitename?method=show&id={badge_id}">'
        '<img src="/images/red.png"></a>'
        '<span id="_ideConac"></span><script type="text/javascript" '
        'src="https://dcs.conac.cn/js/33/000/0000/60942981/CA330000000609429810003.js"></script>'
        '<a href="https://bszs.conac.cn/sitename?method=show&amp;id=1800CB4DBB7B99F0E06310291AAC0'
        '9C6"><img src="https://dcs.conac.cn/image/blue.png"></a>'
        '<a href="https://bszs.conac.cn/sitename?method=show&id=nothex">坏链接</a>'
    )
    facts = extract(URL, page(body))
    assert [(b.form, b.badge_id, b.blue) for b in facts.conac] == [
        ("link", badge_id, False),
        ("script", "", False),
        ("link", "1800CB4DBB7B99F0E06310291AAC09C6", True),
    ]


@pytest.mark.parametrize(
    ("badge", "blue"),
    [
        # The colour is the image's, whatever the link's or the image's words say.
        ('<a href="https://bszs.conac.cn/sitename?method=show&id={id}" title="全国党政机关事业单位'
         '"><img src="https://dcs.conac.cn/image/red.png" alt="全国党政机关事业单位"></a>', False),
        ('<a href="https://bszs.conac.cn/sitename?method=show&id={id}" title="事业单位">'
         '<img src="/images/gtrs_red.png"></a>', False),
        ('<a href="https://bszs.conac.cn/sitename?method=show&id={id}" title="党政机关">'
         '<img src="https://dcs.conac.cn/image/blue.png?v=2" alt="党政机关"></a>', True),
        # No telling image: taken for the red badge every 党政机关 site shows.
        ('<a href="https://bszs.conac.cn/sitename?method=show&id={id}" title="全国党政机关事业单位'
         '">党政机关事业单位</a>', False),
        ('<a href="https://bszs.conac.cn/sitename?method=show&id={id}" title="事业单位">'
         '<img src="/picture/2020011017314765122.png" alt="事业单位"></a>', False),
        # Near miss: "blue" in a folder name is not the image's name.
        ('<a href="https://bszs.conac.cn/sitename?method=show&id={id}">'
         '<img src="/blue/red.png"></a>', False),
    ],
)
def test_conac_colour_comes_from_the_badge_image(badge: str, blue: bool) -> None:
    badge_id = "0B54EBC0ADCF6D52E053012819AC8069"
    facts = extract(URL, page(badge.replace("{id}", badge_id)))
    assert [(b.badge_id, b.blue) for b in facts.conac] == [(badge_id, blue)]


@pytest.mark.parametrize(("image", "title", "blue"), [("blue", "党政机关", True),
                                                       ("red", "事业单位", False)])
def test_conac_colour_of_a_badge_written_by_script(image: str, title: str, blue: bool) -> None:
    body = (
        "<script>document.write('<a href=\"https://bszs.conac.cn/sitename?method=show&id="
        f'0B54EBC0ADCF6D52E053012819AC8069\" title=\"{title}\"><img src=\"https://dcs.conac.cn/'
        f"image/{image}.png\"></a>');</script>"
    )
    assert [b.blue for b in extract(URL, page(body)).conac] == [blue]


def test_conac_written_by_document_write_unescape_counts() -> None:
    body = (
        '<script type="text/javascript">document.write(unescape("%3Cspan id=\'_ideConac\' %3E'
        "%3C/span%3E%3Cscript src='//dcs.conac.cn/js/33/000/0000/40672318/CA33000000040672318"
        "0002.js' type='text/javascript'%3E%3C/script%3E\"));</script>"
    )
    facts = extract(URL, page(body))
    assert [(b.form, b.url) for b in facts.conac] == [
        ("script", "https://dcs.conac.cn/js/33/000/0000/40672318/CA330000000406723180002.js")
    ]


def test_conac_and_jiucuo_in_comments_are_not_counted() -> None:
    body = (
        "<!--<a href='http://bszs.conac.cn/sitename?method=show&id=271088E0FF021B55E053012819AC"
        "5889'><img src='red.png'></a>-->"
        "<!--<script src='https://dcs.conac.cn/js/1/2/CA1.js'></script>-->"
        "<!--<span class='jiucuo'><script id='_jiucuo_' sitecode='4201110038' "
        "src='/js/jiucuo.js'></script></span>-->"
        "<!--<a href='http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=500103020008"
        "14'>渝公网安备 50010302000814号</a>-->"
    )
    facts = extract(URL, page(body))
    assert facts.conac == ()
    assert facts.jiucuo == ()
    assert facts.police == () and facts.police_recordcodes == ()


def test_jiucuo_forms() -> None:
    body = (
        '<a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?site_code=6101000007&url=x">'
        '<img src="jiucuo.png"></a>'
        "<script id=\"_jiucuo_\" sitecode='5300000033' "
        "src='https://zfwzgl.www.gov.cn/exposure/jiucuo.js'></script>"
        '<a href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html">找错</a>'
        '<a style="display:none" href="https://zfwzgl.www.gov.cn/exposure/jiucuo.html?'
        'site_code=9999999999">隐藏</a>'
    )
    facts = extract(URL, page(body))
    assert facts.jiucuo == ("6101000007", "5300000033", "")


def test_link_kinds_and_attachments() -> None:
    head = (
        '<title>链接</title><link rel="stylesheet" href="/css/a.css">'
        '<link rel="shortcut icon" href="/favicon.ico"><link rel="canonical" href="/canon">'
        '<link rel="alternate" href="/feed.xml"><script src="js/app.js"></script>'
    )
    body = (
        '<a href="/zwgk/index.html#top">政务公开</a>'
        '<a href="/zwgk/index.html"> 重复 </a>'
        '<a href=" ../files/report.PDF ">年度报告</a>'
        '<a href="/f/a.docx?v=2" title="附件">  </a>'
        '<a href="/download.jsp?file=a.pdf">下载</a>'
        '<a href="http://other.gov.cn/x.xlsx"><img src="/i/x.png" alt="表格"></a>'
        '<a href="javascript:void(0)">脚本</a><a href="mailto:a@b.cn">邮件</a>'
        '<a href="tel:12345">电话</a><a href="#">顶部</a><a href="">空</a>'
        '<a href="ftp://ftp.example.cn/a">FTP</a><a href="data:text/plain,hi">数据</a>'
        '<map><area href="/area.html" alt="区域"><area href="/files/b.rar" alt="压缩包"></map>'
        '<iframe src="/frame.html"></iframe><img src="/img/logo.png" alt="徽标">'
        '<a href="http://">无主机</a><a href="https:///x">无主机</a><img src="">'
    )
    facts = extract(URL, page(body, head))
    got = [(link.kind, link.url, link.text) for link in facts.links]
    base = "https://www.example.gov.cn"
    assert got == [
        ("link", f"{base}/css/a.css", ""),
        ("link", f"{base}/favicon.ico", ""),
        ("script", f"{base}/col/art/2024/js/app.js", ""),
        ("a", f"{base}/zwgk/index.html", "政务公开"),
        ("attachment", f"{base}/col/art/files/report.PDF", "年度报告"),
        ("attachment", f"{base}/f/a.docx?v=2", "附件"),
        ("a", f"{base}/download.jsp?file=a.pdf", "下载"),
        ("attachment", "http://other.gov.cn/x.xlsx", "表格"),
        ("img", f"{base}/i/x.png", "表格"),
        ("area", f"{base}/area.html", "区域"),
        ("attachment", f"{base}/files/b.rar", "压缩包"),
        ("iframe", f"{base}/frame.html", ""),
        ("img", f"{base}/img/logo.png", "徽标"),
    ]


def test_base_href() -> None:
    head = '<base href="/site/"><title>基准</title>'
    facts = extract(URL, page('<a href="news/1.html">新闻</a><img src="i.png">', head))
    assert [link.url for link in facts.links] == [
        "https://www.example.gov.cn/site/news/1.html",
        "https://www.example.gov.cn/site/i.png",
    ]


def test_anchor_text_is_normalised_and_capped() -> None:
    facts = extract(URL, page(f'<a href="/a">  很长\n\t的 {"字" * 500}</a>'))
    (link,) = facts.links
    assert link.text.startswith("很长 的 字")
    assert len(link.text) == 200


def test_meta_first_occurrence_wins_and_names_are_lowercased() -> None:
    head = (
        '<title>  网站\n 标题 </title><meta name="SiteName" content="永州市人民政府">'
        '<meta name="SiteIDCode" content="4311000024"><meta name="siteidcode" content="x">'
        '<meta name="PubDate" content="2024-05-11 09:00"><meta http-equiv="refresh" content="5">'
    )
    facts = extract(URL, page("<p>正文</p>", head))
    assert facts.title == "网站 标题"
    assert facts.meta == {
        "sitename": "永州市人民政府",
        "siteidcode": "4311000024",
        "pubdate": "2024-05-11 09:00",
    }
    assert "永州市人民政府" in facts.header_text


def test_header_text_reads_logo_labels_and_header_block() -> None:
    body = (
        '<div id="header"><div class="logo"><a href="/" aria-label="湘潭市人民政府">'
        '<img src="/logo.png" alt=""></a></div><ul class="nav"><li>首页</li></ul></div>'
        "<div class=content>" + "<p>正文段落。</p>" * 200 + "</div>" + FOOTER
    )
    facts = extract(URL, page(body))
    assert facts.header_text.startswith("湘潭市人民政府")
    assert "首页" in facts.header_text
    assert "正文段落" not in facts.header_text


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("404 Not Found", "<h1>Not Found</h1><p>nginx</p>"),
        ("页面不存在", "<p>返回首页</p>"),
        ("提示信息", "<div><h1>404</h1><p>抱歉，您访问的页面已删除或不存在。</p></div>"),
        ("永州市人民政府", "<div class=err><p>找不到您要访问的页面</p><a href='/'>首页</a></div>"),
        ("错误", "<p>404错误：请求的资源不可用</p>"),
        ("404", ""),
    ],
)
def test_says_not_found(title: str, body: str) -> None:
    assert extract(URL, page(body, f"<title>{title}</title>")).says_not_found


@pytest.mark.parametrize(
    ("title", "body"),
    [
        # A long article that merely mentions 404 and the phrase deep in its body.
        (
            "关于G404国道改造工程的通知",
            "<p>"
            + "根据工作安排，现将有关事项通知如下。" * 150
            + "施工期间部分页面不存在的问题将另行处理，G404国道404公里处封闭。</p>",
        ),
        ("政务动态", "<p>今年共受理来件404件，办结率100%。</p>" + "<p>正文。</p>" * 300),
        ("找不到工作怎么办？人社局答疑", "<p>" + "就业服务内容。" * 400 + "</p>"),
    ],
)
def test_says_not_found_near_misses(title: str, body: str) -> None:
    assert not extract(URL, page(body, f"<title>{title}</title>")).says_not_found


def test_text_digest_ignores_digits_and_whitespace_only() -> None:
    a = extract(URL, page("<p>页面 2024-01-05   访问量 123</p>"))
    b = extract(URL, page("<div>页面 2025-11-21\n访问量 98765</div>"))
    c = extract(URL, page("<p>另一个页面</p>"))
    assert a.text_digest == b.text_digest
    assert a.text_digest != c.text_digest
    assert a.text_length == len("页面 2024-01-05 访问量 123")


def test_binary_junk_does_not_raise() -> None:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(20000))
    assert looks_binary(b"\x89PNG\r\n\x1a\n" + junk)
    text, _ = decode_html(junk)
    facts = extract(URL, text)
    assert isinstance(facts, PageFacts)
    assert facts.url == URL


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "\x00\x00\x00",
        "<",
        "<!--",
        "<?xml version='1.0' encoding='gbk'?><html><body>x</body></html>",
        "<html><body><a href='http://[::1'>bad ipv6</a><a href='http://'>no host</a></body>",
        "\ud800 lone surrogate <a href='/x'>x</a>",
        "<script>document.write('<a href=\"/x\">' + unescape('%u4E2D%zz') + '\\x3c/a>')</script>",
        "<a href='" + "a" * 100000 + "'>long</a>",
        "<div>" * 5000 + "深层嵌套 京ICP备05070218号" + "</div>" * 5000,
    ],
)
def test_awkward_input_does_not_raise(text: str) -> None:
    facts = extract(URL, text)
    assert facts.url == URL


@pytest.mark.parametrize("seed", range(30))
def test_random_markup_does_not_raise(seed: int) -> None:
    rng = random.Random(seed)
    alphabet = [
        *"<>/=\"' \n!-?&;#abcdefhijklmnoprstuvwxyz0123456789",
        "<a href=", "<script>", "</script>", "<!--", "-->", "<div class=footer>", "ICP备",
        "京", "公网安备", "网站标识码：", "<img src=", "style='display:none'", "</html>",
        "document.write('", "unescape(\"%3C", "'+'", "bszs.conac.cn/sitename?method=show&id=",
    ]  # fmt: skip
    text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 3000)))
    facts = extract(URL, text)
    assert facts.url == URL


def test_deep_nesting_keeps_the_footer() -> None:
    # libxml2 drops everything below depth 256 unless told otherwise.
    html = page("<div>" * 400 + "正文" + "</div>" * 400 + FOOTER)
    facts = extract(URL, html)
    assert facts.icp == ("湘ICP备05009375号-1",)


def test_ten_megabyte_page() -> None:
    row = (
        '<tr><td><a href="/list/{i}.html">第{i}条 政务信息公开目录条目</a></td>'
        "<td>2024-01-01</td></tr>"
    )
    rows = "".join(row.format(i=i) for i in range(110_000))
    html = page(f"<table>{rows}</table>{FOOTER}")
    assert len(html.encode()) > 10_000_000
    facts = extract(URL, html)
    assert len(facts.links) == 110_002  # the rows and the two footer links
    assert facts.links[0].url == "https://www.example.gov.cn/list/0.html"
    assert facts.icp == ("湘ICP备05009375号-1",)


def test_ten_megabyte_text_node() -> None:
    html = page("<p>" + "很长的文字" * 2_100_000 + "</p>" + FOOTER)
    facts = extract(URL, html)
    assert facts.text_length > 10_000_000
    assert facts.icp == ("湘ICP备05009375号-1",)


def test_facts_round_trip() -> None:
    facts = extract(URL, page('<div id="header">标题</div>' + FOOTER))
    assert PageFacts.from_dict(facts.to_dict()) == facts


def test_to_dict_is_asdict_with_version() -> None:
    """to_dict's written-out converter gives what dataclasses.asdict gives, also for values
    of other types than declared (lists for tuples)."""
    facts = PageFacts(
        url=URL, title="t", icp=("湘ICP备1号",), police=["京公网安备1号"], site_codes=("43",),
        conac=(ConacBadge(form="link", url="u", badge_id="i", blue=True),), jiucuo=("",),
        meta={"sitename": "s"}, links=(Link(url="u", kind="a", text="x"),),
        nav=[Link(url="v", kind="a")], says_not_found=True, text_length=3,
        lists=(ListBlock("h", (ListItem("t", "u", "2026-01-01"),), "m"),
               ListBlock("h2", [ListItem("t2", "u2")])),
        archive=ArchiveLabel("已归档", "2026-01-01"), page_kind="list",
    )
    for value in (facts, PageFacts(url=URL)):
        expected = dataclasses.asdict(value) | {"_version": FACTS_VERSION}
        assert repr(value.to_dict()) == repr(expected)
