"""crawler.spam (what the spam and hijack checks read) on crafted pages, seed 001 and the real
pages; and seed 001 served as a site's article in a real crawl."""

from __future__ import annotations

import http.server
import json
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from checks.base import Context, Finding, PageRef, SiteSnapshot
from checks.catalogue import load_catalogue, resolve_options
from crawler.extract import extract
from crawler.facts import PageFacts
from crawler.spam import hiding_reason, host_of, stylesheet_rules
from tests.checks.snapshots import NOW, site_entry
from tests.crawler.realpages import SHARED, label_id, labels, real_page, shared_file
from tests.crawler.realpages import URL as REAL_URL
from tests.crawler.test_crawl import findings, gw, prepare

URL = "https://www.yzcity.gov.cn/zwgk/2026/a.html"
SEED = SHARED / "seeds" / "001_d42a7317affeaaf8.txt"
CATALOGUE = load_catalogue(include_plugins=False)
CODES = ("content.spam-injected", "content.malicious-embed")


def run_checks(pages: dict[str, PageFacts]) -> list[Finding]:
    """Both checks over a site made of `pages` (the site is the first page's host)."""
    parts = urlsplit(next(iter(pages)))
    entry = site_entry(url=f"{parts.scheme}://{parts.netloc}/")
    refs = tuple(PageRef(url=url, status=200, depth=1, facts=facts)
                 for url, facts in pages.items())
    snap = SiteSnapshot(site=entry, crawl_run_id=1, home=None, pages=refs, links=(), results={})
    out: list[Finding] = []
    for code in CODES:
        spec = CATALOGUE[code]
        ctx = Context(now=NOW, site=entry, options=resolve_options(spec.rule, {}))
        out.extend(spec.check(snap, ctx))
    return out


@pytest.mark.parametrize(("style", "reason"), [
    ("display:none", "display-none"),
    ("DISPLAY: NONE !important", "display-none"),
    ("visibility: hidden", "visibility-hidden"),
    ("position:absolute; left:-9999px; top:0", "offscreen:-9999"),
    ("position: fixed; top: -60em", "offscreen:-960"),
    ("text-indent:-10000px", "text-indent:-10000"),
    ("width:0;height:0;overflow:hidden", "zero-size"),
    ("height:1px; overflow: hidden", "zero-size"),
    ("font-size:0", "font-size:0"),
    ("font-size: 1px", "font-size:1"),
    ("color:#fff; background-color:#FFFFFF", "same-colour"),
    ("color: white; background: #fff", "same-colour"),
    ("color: rgb(255,255,255); background-color: #ffffff", "same-colour"),
    # near misses
    ("text-decoration:none; border: none", ""),
    ("position:relative; left:-20px", ""),
    ("position:absolute; left:-20px", ""),
    ("font-size:12px", ""),
    ("color:#000; background:#fff", ""),
    ("overflow:hidden; height:300px", ""),
    ("left:-e5px; font-size: calc(1px + 2vw); color:", ""),
])
def test_hiding_reasons(style: str, reason: str) -> None:
    assert hiding_reason(style) == reason


def test_stylesheet_rules_keep_simple_hiding_selectors() -> None:
    css = """/* skip */ .lk9x{position:absolute;left:-9999px}
    #ad1, div.hide { display:none } .nav li a:hover{display:none}
    @media print { .noprint { display: none } } .big{font-size:16px}
    @media screen { .scr { visibility: hidden } } @import url(more.css);
    @media (max-width: 768px) { @supports (display: grid) { .narrow { display: none } } }
    .after{font-size:0} .x{color:red"""
    # Rules inside @media print / narrow-screen blocks do not hide anything on the page as
    # served; @media screen / all rules do.
    assert stylesheet_rules(css) == {".lk9x": "offscreen:-9999", "#ad1": "display-none",
                                     ".hide": "display-none", ".scr": "visibility-hidden",
                                     ".after": "font-size:0"}


PAGE = """<!DOCTYPE html><html><head><title>t</title>
<style>.lk9x{position:absolute;left:-9999px} .tab-pane{display:none}</style>
<meta http-equiv="refresh" content="5; url=http://www.xpj8.com/">
</head><body>
<div class="head"><h1>永州市人民政府</h1></div>
<div class="lk9x"><a href="http://www.av-yule.com/">成人视频</a></div>
<div style="display:none"><a href="http://www.bocai88.com/">百家乐</a> 澳门</div>
<div class="tab-pane">政务服务 便民查询</div>
<ul style="display:none"><li><a href="/zwgk/">政务公开</a></li></ul>
<span style="display:none"></span>
<marquee width="1" height="1">无码 毛片</marquee>
<div class="con"><p>正文</p>
<iframe src="http://www.tongji-union.com/c.html" width="0" height="0"></iframe>
<iframe name="t" src="/blank.html" style="display:none"></iframe>
<iframe src="/map.html" width="600" height="400"></iframe>
<script>document.write('<a href="http://www.daikuan-kuai.com/">黑户贷款</a>');
if (/baidu/.test(document.referrer)) { top.location.href = "http://www.xpj8.com/"; }</script>
</div>
<div class="foot"><a href="http://bszs.conac.cn/sitename?id=1">党政机关</a></div>
</body></html>
<div><a href="http://www.chuanqi-sf.com/">传奇私服</a></div>"""


def test_extraction_records_what_the_checks_need() -> None:
    spam = extract(URL, PAGE).spam
    assert spam is not None
    hidden = {b.selector: b for b in spam.hidden}
    assert hidden["body > div.lk9x"].hidden == "style:offscreen:-9999"
    assert [link.url for link in hidden["body > div.lk9x"].links] == ["http://www.av-yule.com/"]
    bocai = next(b for b in spam.hidden if b.hidden == "display-none" and b.links)
    assert bocai.links[0].text == "百家乐" and "bocai88" in bocai.snippet
    assert "澳门" in bocai.text
    # the <style>-hidden tab pane is recorded with its text (the check finds no spam phrase
    # in it); the inline-hidden menu too (text, no links, no snippet)
    assert hidden["body > div.tab-pane"].hidden == "style:display-none"
    assert hidden["body > div.tab-pane"].text == "政务服务 便民查询"
    menu = next(b for b in spam.hidden if "政务公开" in b.text)
    assert menu.links == () and menu.snippet == ""
    assert not any(b.text == "" and not b.links for b in spam.hidden)  # empty span dropped
    assert any(b.hidden == "marquee-away" and "毛片" in b.text for b in spam.hidden)
    assert [(f.url, f.hidden) for f in spam.frames] == [
        ("http://www.tongji-union.com/c.html", "zero-size"),
        ("https://www.yzcity.gov.cn/blank.html", "display-none"),
    ]
    assert spam.redirects == ("http://www.xpj8.com/",)
    assert [b.placement for b in spam.scripted] == ["script"]
    assert spam.scripted[0].links[0].url == "http://www.daikuan-kuai.com/"
    assert [b.placement for b in spam.outside] == ["after-html"]
    assert "传奇私服" in spam.outside[0].text
    # government hosts and the page's own host are never off-site links
    assert all("conac" in b.fingerprint or "conac" not in b.text for b in spam.offsite)
    assert "div.head" in spam.skeleton and "div.con" in spam.skeleton
    # stored and rebuilt as the checks see it
    facts = extract(URL, PAGE)
    assert PageFacts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts


def test_checks_on_the_crafted_page() -> None:
    found = {f.check: f for f in run_checks({URL: extract(URL, PAGE)})}
    spam = found["content.spam-injected"]
    assert {"www.av-yule.com", "www.bocai88.com", "www.daikuan-kuai.com",
            "www.chuanqi-sf.com"} <= set(spam.evidence["hosts"])
    assert {"成人视频", "百家乐", "黑户贷款", "传奇私服", "毛片"} <= set(spam.evidence["words"])
    embed = found["content.malicious-embed"]
    assert embed.evidence["hosts"] == ["www.tongji-union.com", "www.xpj8.com"]


STYLED = """<html><head><title>t</title><style>
.zq8t{display:none} .tab{display:none} @media print{.pr{display:none}}
.ind{text-indent:-9999px;overflow:hidden} .unused{display:none}</style></head><body>
<div class="head">永州市人民政府</div>
<div class="main"><div class="col"><p class="zq8t">代开发票 刻章办证 办假证</p></div>
<div class="tab">社保查询 公积金查询</div><div class="tab">网贷平台诈骗提醒</div>
<div class="pr">温馨提示：谨防时时彩、北京赛车等网络赌博骗局</div></div>
</body></html>"""


def test_linkless_text_hidden_by_a_style_rule_is_judged_by_its_words() -> None:
    facts = extract(URL, STYLED)
    assert facts.spam is not None
    # at any depth; print-only rules hide nothing on screen
    assert [(b.selector, b.hidden, b.text) for b in facts.spam.hidden] == [
        ("body > div.main > div.col > p.zq8t", "style:display-none", "代开发票 刻章办证 办假证"),
        ("body > div.main > div.tab", "style:display-none", "社保查询 公积金查询"),
        ("body > div.main > div.tab", "style:display-none", "网贷平台诈骗提醒")]
    found = run_checks({URL: facts})
    assert [f.check for f in found] == ["content.spam-injected"]
    evidence = found[0].evidence
    assert set(evidence["words"]) == {"代开发票", "刻章办证", "办假证"}
    assert "<style>" in evidence["why"]
    assert evidence["selector"] == "body > div.main > div.col > p.zq8t"
    # near misses: the tab panes (one lexicon phrase at most) and the print-only warning
    benign = STYLED.replace('<p class="zq8t">', "<p>")
    assert run_checks({URL: extract(URL, benign)}) == []
    # a main text hidden until a script reveals it (a common anti-flicker pattern) that
    # reports a crackdown naming two spam phrases: prose, not a run of spam phrases
    prose = STYLED.replace('<p class="zq8t">代开发票 刻章办证 办假证</p>', (
        '<p class="zq8t">本市公安机关持续开展专项行动，严厉打击以“六合彩”“百家乐”等形式组织的'
        "跨境网络赌博违法犯罪活动，依法查处涉案人员。</p>"))
    hidden = extract(URL, prose).spam
    assert hidden is not None and any("六合彩" in b.text for b in hidden.hidden)
    assert run_checks({URL: extract(URL, prose)}) == []


def test_small_linkless_named_blocks_are_kept_for_the_site_stylesheets() -> None:
    page = ("<html><body><div class='y7'>新开传奇 传奇私服</div>"
            "<div class='nav'><a href='/'>首页</a> 政务公开</div>"
            "<div class='wrap'><span id='dt'>2026年11月21日 星期六</span>"
            "<div class='big'>" + "<p>段落</p>" * 12 + "</div></div>"
            "<div class='hid' style='display:none'>隐藏的内容文字</div>"
            "<div>无名区块文字内容</div></body></html>")
    spam = extract(URL, page).spam
    assert spam is not None
    named = {n.selector: n for n in spam.named}
    # no link, a class or id, at most 8 child elements (div.big has 12), some text; not
    # hidden already (recorded as such); top two levels of the body
    assert set(named) == {"body > div.y7", "body > div.wrap", "span#dt"}
    assert named["body > div.y7"].names == (".y7",)
    assert named["span#dt"].names == ("#dt", ".wrap")
    facts = extract(URL, page)
    assert PageFacts.from_dict(json.loads(json.dumps(facts.to_dict()))) == facts


def test_before_header_and_before_html() -> None:
    page = ("<div><a href='http://www.bocai88.com/x'>点我</a> 时时彩</div><!DOCTYPE html><html>"
            "<body><div><a href='http://www.kj-888.com/'>进入</a> 北京赛车</div>"
            "<div id='header'>永州市人民政府</div><div class='con'>正文</div></body></html>")
    spam = extract(URL, page).spam
    assert spam is not None
    assert [b.placement for b in spam.outside] == ["before-html"]
    assert [b.placement for b in spam.offsite if "kj-888" in b.fingerprint] == ["before-header"]
    found = run_checks({URL: extract(URL, page)})
    assert [f.check for f in found] == ["content.spam-injected"]
    assert "www.kj-888.com" in found[0].evidence["hosts"]


@pytest.mark.parametrize("html", [
    "", "</html>", "<html>", "<style>.a{display:none", "<div style='display:none'>" * 3000,
    "<meter id=a></meter>" * 5000, "<script>location.href='javascript:alert(1)'</script>",
    "<a href='http://[::1'>x</a><div style='position:absolute;left:-1e309px'>y</div>",
    "\x00<div hidden>\ud800</div>",
])
def test_hostile_pages_never_break_extraction(html: str) -> None:
    facts = extract(URL, html)
    PageFacts.from_dict(facts.to_dict())
    run_checks({URL: facts})


def _seed() -> str:
    return shared_file(SEED).read_text(encoding="utf-8")


def test_seed_001_random_id_run_and_pornographic_text() -> None:
    facts = extract(URL, _seed())
    assert facts.spam is not None
    run = facts.spam.id_runs[0]
    assert run.id == "l5pbh" and run.count >= 15 and len(run.tags) >= 10
    found = run_checks({URL: facts})
    assert [f.check for f in found] == ["content.spam-injected"]
    evidence = found[0].evidence
    assert "l5pbh" in evidence["why"]
    assert {"天天操", "夜夜操", "毛片"} <= set(evidence["words"])
    assert "天天操夜夜操" in evidence["blocks"][0]["excerpt"]


@pytest.mark.parametrize("label", labels(), ids=label_id)
def test_real_pages_raise_no_spam_or_embed_unless_labelled(label: dict[str, Any] | None) -> None:
    facts, _ = real_page(label)
    assert label is not None
    found = run_checks({REAL_URL: facts})
    spam = [f for f in found if f.check == "content.spam-injected"]
    assert bool(spam) == bool(label["injected_spam"]), [f.message for f in spam]
    assert not [f for f in found if f.check == "content.malicious-embed"]


# -- a real crawl -----------------------------------------------------------------------------

HOST = "www.yzcity.gov.cn"


class _Site(http.server.ThreadingHTTPServer):
    pages: dict[str, bytes]


@pytest.fixture
def seed_site() -> Iterator[tuple[int, str]]:
    seed = _seed()
    article = seed.encode("utf-8")
    home = ("<html><head><title>永州市人民政府</title><link rel='stylesheet' href='/css/s.css'>"
            "</head><body><div class='head'>永州市人民政府</div><ul><li>"
            "<a href='/zwgk/2021/seed.html'>永州市政府网站建设管理办法</a></li></ul>"
            "<div class='x9'><a href='http://www.kj-888.com/'>点击进入</a> 时时彩 北京赛车</div>"
            "<a href='/zwgk/2021/b.html'>b</a><a href='/zwgk/2021/c.html'>c</a>"
            "</body></html>").encode()
    sheet = ("<html><head><title>{0}</title><link rel='stylesheet' href='/css/s.css'></head>"
             "<body>{1}<div class='head'>永州市人民政府</div><p>正文内容</p></body></html>")
    pages = {"/": home, "/zwgk/2021/seed.html": article, "/robots.txt": b"User-agent: *\n",
             # a linkless block hidden by the site's stylesheet (text-indent), with spam
             "/zwgk/2021/b.html": sheet.format(
                 "b", "<div class='y7'>新开传奇 传奇私服 魔域私服</div>").encode(),
             # near misses: hidden by the stylesheet, one phrase; hidden when printed only
             "/zwgk/2021/c.html": sheet.format(
                 "c", "<div class='tip'>谨防网贷平台诈骗</div><div class='pr'>谨防时时彩、"
                 "北京赛车等网络赌博</div>").encode(),
             "/css/s.css": b"body{margin:0} .x9 { display: none } .tip{display:none}\n"
                           b".y7{text-indent:-9999px;overflow:hidden}\n"
                           b"@media print { .pr { display:none } }"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            path = self.path.split("://", 1)[-1]
            path = "/" + path.split("/", 1)[1] if "://" in self.path else self.path
            body = pages.get(path)
            self.send_response(200 if body is not None else 404)
            body = body if body is not None else b"not found"
            ctype = ("text/plain" if path.endswith(".txt") else "text/css"
                     if path.endswith(".css") else "text/html; charset=utf-8")
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head:
                self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seed
    finally:
        server.shutdown()
        server.server_close()


def test_seed_001_and_a_block_hidden_by_the_site_stylesheet_are_flagged(
    seed_site: tuple[int, str], tmp_path: Path
) -> None:
    port, _ = seed_site
    (tmp_path / "sites.yaml").write_text(
        f"sites:\n  - id: yongzhou\n    name: 永州市人民政府\n    url: http://{HOST}/\n"
        "    level: city\n    crawl: {delay: 0, concurrency: 2}\n", encoding="utf-8")
    (tmp_path / "settings.toml").write_text(
        f'[crawler]\ndownload_timeout = 5.0\n[crawler.connect_to]\n"{HOST}" = "127.0.0.1:{port}"\n',
        encoding="utf-8")
    env = dict(os.environ)
    env["GOVWATCH_SETTINGS"] = str(tmp_path / "settings.toml")
    env["GOVWATCH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gw.db'}"
    prepare(env, tmp_path)
    gw(env, "crawl", "--as-of", "2026-11-21T12:00:00+08:00")
    # The spam and hijack codes only: seed 001 is also a 繁体 page served as an ordinary
    # article, which content.traditional-chars reports (tests/checks/test_content_crawl.py).
    rows = sorted((f for f in findings(env)
                   if f["check"] in ("content.spam-injected", "content.malicious-embed")),
                  key=lambda f: str(f["url"]))
    assert [(f["check"], f["url"], f["severity"]) for f in rows] == [
        ("content.spam-injected", f"http://{HOST}/", "veto"),
        ("content.spam-injected", f"http://{HOST}/zwgk/2021/b.html", "veto"),
        ("content.spam-injected", f"http://{HOST}/zwgk/2021/seed.html", "veto")]
    linkless: dict[str, Any] = rows[1]["evidence"]  # type: ignore[assignment]
    assert f"站点样式表 http://{HOST}/css/s.css 中的 .y7 规则" in linkless["why"]
    assert "文字缩进到屏幕外" in linkless["why"] and linkless["hosts"] == []
    assert set(linkless["words"]) == {"私服", "传奇私服", "新开传奇", "魔域私服"}
    # the home page's block is hidden by the site's own stylesheet, fetched in the crawl
    home: dict[str, Any] = rows[0]["evidence"]  # type: ignore[assignment]
    assert f"站点样式表 http://{HOST}/css/s.css 中的 .x9 规则" in home["why"]
    assert home["words"] == ["时时彩", "北京赛车"]
    evidence: dict[str, Any] = rows[2]["evidence"]  # type: ignore[assignment]
    assert "l5pbh" in evidence["why"] and "天天操" in evidence["words"]


def test_content_extraction_switched_off_keeps_every_other_fact() -> None:
    on, off = extract(URL, PAGE), extract(URL, PAGE, content=False)
    assert on.spam is not None and on.text and off.spam is None and off.text == ""
    assert off.personal == () and off.ad_labels == () and off.messages == ()
    content = ("spam", "text", "personal", "traditional", "traditional_count", "cjk_count",
               "ad_labels", "messages", "guide_labels")
    assert {k: v for k, v in off.to_dict().items() if k not in content} == {
        k: v for k, v in on.to_dict().items() if k not in content}


def test_a_crawl_without_content_extraction_finds_no_content_fault(
    seed_site: tuple[int, str], tmp_path: Path
) -> None:
    """`[crawler] content_extraction = false`: the same site crawled, its pages stored, and
    the content checks silent (they have nothing to judge), through the worker processes."""
    port, _ = seed_site
    (tmp_path / "sites.yaml").write_text(
        f"sites:\n  - id: yongzhou\n    name: 永州市人民政府\n    url: http://{HOST}/\n"
        "    level: city\n    crawl: {delay: 0, concurrency: 2}\n", encoding="utf-8")
    (tmp_path / "settings.toml").write_text(
        f'[crawler]\ndownload_timeout = 5.0\ncontent_extraction = false\nextract_workers = 1\n'
        f'[crawler.connect_to]\n"{HOST}" = "127.0.0.1:{port}"\n', encoding="utf-8")
    env = dict(os.environ)
    env["GOVWATCH_SETTINGS"] = str(tmp_path / "settings.toml")
    env["GOVWATCH_DATABASE_URL"] = f"sqlite:///{tmp_path / 'gw.db'}"
    prepare(env, tmp_path)
    out = gw(env, "crawl", "--as-of", "2026-11-21T12:00:00+08:00").stdout
    pages = re.search(r"页面 (\d+)", out)
    assert pages is not None and int(pages.group(1)) >= 4, out
    assert not [f for f in findings(env) if str(f["check"]).startswith("content.")]


def test_host_of_agrees_with_urlsplit() -> None:
    """crawler.spam.host_of cuts the common URL form by hand: the same host as
    urlsplit(url).hostname (lower case, "" where urlsplit has none or refuses the URL)."""
    import random
    from urllib.parse import urlsplit

    rng = random.Random(12)
    cases = ["http://WWW.X.gov.cn/a", "https://a.b:8080/x?y#z", "http://user@a.b/",
             "http://[::1]:80/", "//a.b/x", "mailto:x@y", "http://a.b\\@evil.com/",
             "a b://x.y/", "http://a.b\t/x", "http://x.y:/p", "javascript:alert(1)"]
    for alphabet in ("ab.:/?#@[]\\% \t1H:", "ab.:/?#-_~!$&'()*+,;=ÄＡ\u3000"):
        cases += [rng.choice(["http://", "HTTPS://", "ftp://", "ht tp://", "h1://", ""])
                  + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
                  for _ in range(3000)]
    for url in cases:
        try:
            expected = (urlsplit(url).hostname or "").lower()
        except ValueError:
            expected = ""
        assert host_of(url) == expected, url
