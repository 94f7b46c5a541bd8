"""Injected spam and hijacks planted in the demo world (content.spam-injected and
content.malicious-embed), with their near misses.

Every page of every site carries the benign hidden blocks of shared/_widgets.html and a skip
link (tab panes, a carousel, a drop-down menu, screen-reader text, hidden form fields, a
same-site hidden form-target iframe): none of them may raise a finding. The plants below are
written into chosen article pages after rendering, the way an attacker edits a generated page;
the hosts they point to are served by the demo server (so no link is dead), and what each plant
must raise is declared beside it, independently of the checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

SPAM = "content.spam-injected"
EMBED = "content.malicious-embed"
CHECKS = (EMBED, SPAM)

# Non-government hosts the plants link to or load from; each serves "/" and robots.txt.
SPAM_HOSTS = (
    "www.bocai88.com",
    "www.av-yule.com",
    "www.daikuan-kuai.com",
    "www.chuanqi-sf.com",
    "www.tongji-union.com",
    "js.cdn-union.net",
    "www.xpj8.com",
    "www.kj-888.com",
)
# Rules appended to sites' own stylesheets (/css/style.css); the blocks they hide are planted
# below, each on one page only.
SHEET_PLANTS = (
    ("govcn", ".gw-yqlj{position:absolute;top:-8000px;left:0}"),
    ("govcn", ".gw-bq{text-indent:-9999px;overflow:hidden;white-space:nowrap}"),
    ("hunan", ".gw-mobile-tip{display:none}"),
)


def host_files() -> dict[str, dict[str, bytes]]:
    robots = b"User-agent: *\nAllow: /\n"
    files: dict[str, dict[str, bytes]] = {}
    for host in SPAM_HOSTS:
        page = f"<html><head><title>{host}</title></head><body><p>{host}</p></body></html>\n"
        files[host] = {"/": page.encode("utf-8"), "/robots.txt": robots}
    files["js.cdn-union.net"]["/t.js"] = b"var _u = 1;\n"
    files["www.tongji-union.com"]["/c.html"] = b"<html><body></body></html>\n"
    return files


def _after_body(markup: str) -> Callable[[str], str]:
    def edit(html: str) -> str:
        at = html.index("<body>") + len("<body>")
        return html[:at] + "\n" + markup + html[at:]

    return edit


def _before_body_end(markup: str) -> Callable[[str], str]:
    def edit(html: str) -> str:
        at = html.rindex("</body>")
        return html[:at] + markup + "\n" + html[at:]

    return edit


def _after_html(markup: str) -> Callable[[str], str]:
    def edit(html: str) -> str:
        return html.rstrip() + "\n" + markup + "\n"

    return edit


@dataclass(frozen=True, slots=True)
class Plant:
    site: str
    article: int  # index into the site's articles in a stable order (see world._spam_pages)
    edit: Callable[[str], str]
    findings: tuple[str, ...]  # the checks it must raise on its page; () for a near miss
    what: str


PLANTS: tuple[Plant, ...] = (
    Plant("changsha", 1, _after_body(
        '<div style="display:none"><a href="http://www.bocai88.com/">百家乐</a> '
        '<a href="http://www.bocai88.com/">澳门赌场在线</a></div>'),
        (SPAM,), "inline display:none block of gambling links"),
    Plant("hnqx", 1, _after_body(
        '<style type="text/css">.lk9x{position:absolute;left:-9999px;top:-9999px}</style>'
        '<div class="lk9x"><a href="http://www.av-yule.com/">成人视频</a>'
        '<a href="http://www.av-yule.com/">午夜福利</a></div>'),
        (SPAM,), "off-screen by a <style> rule, pornographic links"),
    Plant("hunan", 2, _after_body(
        '<meter id="q7xkz"></meter><output id="q7xkz"><dl id="q7xkz"><mark id="q7xkz"></mark>'
        '</dl></output><cite id="q7xkz"><strike id="q7xkz"></strike></cite><pre id="q7xkz">'
        '<video id="q7xkz"><ol id="q7xkz"></ol></video></pre><dfn id="q7xkz"></dfn>'
        '<b id="q7xkz"></b><font id="q7xkz"></font>\n'
        '天天操夜夜操 国产亚洲视频精彩在线播放 色屋精品毛片免费'),
        (SPAM,), "random-id tag run with pornographic text above the page"),
    Plant("zhuzhou", 1, _before_body_end(
        "<script type=\"text/javascript\">document.write('<div style=\"display:none\">"
        "<a href=\"http://www.daikuan-kuai.com/\">黑户贷款 快速放款</a></div>');</script>"),
        (SPAM,), "links written by document.write"),
    Plant("liuyang", 1, _after_html(
        '<div><a href="http://www.chuanqi-sf.com/">新开传奇私服</a> '
        '<a href="http://www.chuanqi-sf.com/">传奇sf发布网</a></div>'),
        (SPAM,), "private-server links after </html>"),
    Plant("yongzhou", 1, _before_body_end(
        '<iframe src="http://www.tongji-union.com/c.html" width="0" height="0" frameborder="0">'
        '</iframe>'),
        (EMBED,), "zero-size iframe from an unknown non-government host"),
    Plant("liling", 1, _before_body_end(
        '<script type="text/javascript" src="http://js.cdn-union.net/t.js"></script>'),
        (EMBED,), "script from a non-government host no other page loads"),
    Plant("hnfgw", 1, _before_body_end(
        '<script type="text/javascript">if (/baidu|sogou|so\\.com/.test(document.referrer)) '
        '{ window.location.href = "http://www.xpj8.com/"; }</script>'),
        (EMBED,), "script redirect of search-engine visitors off-site"),
    Plant("govcn", 2, _before_body_end(
        '<div class="gw-yqlj"><a href="http://www.kj-888.com/">点击进入</a> 时时彩 北京赛车</div>'),
        (SPAM,), "block hidden by a rule of the site's own stylesheet"),
    Plant("govcn", 3, _after_body(
        '<div class="gw-bq">新开传奇 传奇私服 魔域私服 一条龙开服</div>'),
        (SPAM,), "linkless text hidden (text-indent) by a rule of the site's own stylesheet"),
    Plant("jianghua", 1, _after_body(
        '<style type="text/css">.zq8t{display:none}</style>'
        '<div class="zq8t">代开发票 刻章办证 办假证 假文凭 电话联系</div>'),
        (SPAM,), "linkless text hidden by a <style> rule on its class"),
    # Near misses.
    Plant("hunan", 3, _after_body(
        '<div class="gw-mobile-tip">扫码下载“湘办事”APP，谨防“网贷平台”诈骗</div>'),
        (), "linkless block hidden by the site's stylesheet, one lexicon phrase only"),
    Plant("liuyang", 2, _after_body(
        '<style type="text/css">@media print{.lyts{display:none}}</style>'
        '<div class="lyts">温馨提示：警惕“时时彩”“北京赛车”等网络赌博骗局，切勿轻信网上'
        "“快速放款”信息。</div>"),
        (), "visible warning naming spam phrases, hidden only when printed (@media print)"),
    Plant("govcn", 1, _before_body_end(
        '<p>本市持续开展打击六合彩、百家乐等非法赌博活动专项行动。</p>'),
        (), "visible article text naming gambling (no link, not hidden)"),
    Plant("changsha", 2, _before_body_end(
        '<script type="text/javascript">function gohome(){ window.location.href = '
        '"{hunan}"; }</script><script type="text/javascript" src="{hunan}js/common.js">'
        '</script>'),
        (), "script and redirect to another registered government site"),
)
