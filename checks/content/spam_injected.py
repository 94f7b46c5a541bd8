"""content.spam-injected — 网页被植入暗链或垃圾信息（赌博、色情、私服、贷款、办证、药品）.

Rule: 检查指标 (单项否决: 安全、泄密事故等严重问题, 网站被篡改); 山西办法 第十七条
(监测网站挂马、内容篡改).
Measured per page over what crawler.spam recorded (the spam lexicon is shipped data, extended
or trimmed by the settings; see checks.content.spamwords). A page is a finding when any of:
- a hidden block (inline style, <style> rule on a class or id, `hidden`, a marquee scrolled
  away, or a rule of the site's own stylesheets (fetched in the crawl) on its or an
  ancestor's class or id: for a block that links off-site, and for a small linkless block at
  the top two levels of the body; rules inside @media blocks other than screen/all are not
  read; off-screen, negative text-indent and font size judged by the thresholds below) whose
  off-site links' anchor text or host matches the lexicon, or whose text holds at least
  `min_words` lexicon phrases covering at least `min_word_share` of it (injected text is a
  run of spam phrases; a hidden tab pane or a main text revealed by script that mentions a
  crackdown on 六合彩 and 百家乐 is prose);
- markup before <html> or after </html>, or written by an inline script, with such links or
  a lexicon phrase in its text; markup outside the document also with at least
  `min_offsite_links` links to non-government hosts (sites write their friend-link lists and
  old-browser warnings by script, so script-written markup needs the lexicon);
- a block before the page's header, or a block that the site's other pages of the same template
  (skeleton similarity >= `template_similarity`, at least `template_min_peers` of them) do not
  have, that links off-site and whose text holds a lexicon phrase;
- a link to a non-government host whose anchor text or host matches the lexicon, wherever it
  stands;
- a random-id run: at least `id_run_min_elements` elements of at least `id_run_min_tags`
  different tags sharing one id, mostly empty (the "寄生虫" signature).
Benign hidden blocks (tab panes, carousels, menus, skip links, screen-reader text) carry no
spam phrase and no spam link, so they stay silent; the site's own navigation links to its own
or government hosts. One finding per page, evidence: each block's selector, why it is hidden or
off-template, the spam words, the target hosts and an HTML snippet (escaped where shown).
Fix: remove the injected code from the page and the template, find how it got there (a
compromised CMS account, a web shell, a tampered template or include), patch it, and re-check.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from checks.base import Context, Finding, PageRef, Rule, Severity, SiteSnapshot
from checks.content.spamwords import Lexicon, lexicon
from crawler.facts import NamedText, SpamBlock, SpamFacts
from crawler.spam import host_of, is_gov_host

RULE = Rule(
    code="content.spam-injected",
    title="网页被植入暗链或垃圾信息",
    severity=Severity.VETO,
    reference="zhibiao-2019 （单项否决：安全、泄密事故等严重问题）; "
    "shanxi-2018 第十七条",
    scope="page",
    options=MappingProxyType({
        "extra_words": (),  # phrases added to the shipped lexicon
        "ignore_words": (),  # shipped phrases to drop
        "extra_host_patterns": (),  # host-name patterns (pinyin) added
        "ignore_host_patterns": (),
        "min_words": 2,  # distinct lexicon phrases that make a hidden block's text spam
        # share of a hidden block's text (<= 300 characters kept) the phrases must cover
        "min_word_share": 0.2,
        "min_offsite_links": 3,  # non-gov links that make markup outside <html> spam
        "offscreen_px": 500.0,  # positioned this far left/up (negative) is hidden
        "text_indent_px": 500.0,  # text-indent at least this far negative is hidden
        "font_px": 1.0,  # font-size at or below this is hidden
        "template_similarity": 0.6,  # skeleton Jaccard similarity of same-template pages
        "template_min_peers": 2,  # same-template pages needed to call a block off-template
        "id_run_min_elements": 8,
        "id_run_min_tags": 5,
        "id_run_min_empty": 0.6,  # share of the run's elements without text
        "max_blocks": 5,  # blocks shown as evidence per page
        "snippet_chars": 300,
    }),
    fix="删除页面及模板中被植入的暗链和垃圾信息，排查植入途径（被盗用的后台账号、网页木马、被篡改的模板或"
    "公共引用文件）并修补漏洞，修复后重新检测。",
)

_WHY = {
    "display-none": "display:none 隐藏",
    "visibility-hidden": "visibility:hidden 隐藏",
    "hidden-attr": "hidden 属性隐藏",
    "zero-size": "宽或高为0且溢出隐藏",
    "same-colour": "文字颜色与背景色相同",
    "marquee-away": "滚动字幕(marquee)滚出可视区域",
    "offscreen": "定位到屏幕外",
    "text-indent": "文字缩进到屏幕外",
    "font-size": "字号过小",
}
_PLACEMENT = {
    "before-html": "位于 <html> 之前（模板之外）",
    "after-html": "位于 </html> 之后（模板之外）",
    "before-header": "位于网页页头之前",
    "script": "由脚本（document.write 等）写入",
}


def hidden_why(reason: str, options: Mapping[str, Any]) -> str:
    """The Chinese explanation of a recorded hiding reason, or "" when the settings' thresholds
    say it does not hide."""
    source = ""
    if reason.startswith("style:"):
        source, reason = "（<style> 样式规则）", reason[6:]
    kind, _, raw = reason.partition(":")
    if raw:
        try:
            value = float(raw)
        except ValueError:
            return ""
        if kind == "offscreen" and value > -float(options["offscreen_px"]):
            return ""
        if kind == "text-indent" and value > -float(options["text_indent_px"]):
            return ""
        if kind == "font-size" and value > float(options["font_px"]):
            return ""
        return f"{_WHY.get(kind, kind)}（{raw}px）{source}"
    why = _WHY.get(kind, "")
    return f"{why}{source}" if why else ""


def _spam_links(block: SpamBlock, lex: Lexicon) -> tuple[list[str], list[str]]:
    """(lexicon phrases in the anchors, hosts matching the patterns) of a block's links."""
    words: list[str] = []
    hosts: list[str] = []
    for link in block.links:
        host = host_of(link.url)
        if is_gov_host(host):
            continue
        matched = lex.words_in(link.text)
        for word in matched:
            if word not in words:
                words.append(word)
        if (matched or lex.host_matches(host)) and host not in hosts:
            hosts.append(host)
    return words, hosts


def _hosts(block: SpamBlock) -> list[str]:
    return list(dict.fromkeys(h for h in (host_of(x.url) for x in block.links)
                              if h and not is_gov_host(h)))


class _Site:
    """What one page's judgement needs from the rest of the site: the skeletons and the
    off-site blocks of every page."""

    def __init__(self, pages: list[tuple[PageRef, SpamFacts]]) -> None:
        self.pages = pages
        self.fingerprints: Counter[str] = Counter()
        for _, spam in pages:
            for fp in {b.fingerprint for b in spam.offsite if b.fingerprint}:
                self.fingerprints[fp] += 1

    def off_template(self, page: PageRef, spam: SpamFacts, block: SpamBlock,
                     options: Mapping[str, Any]) -> int:
        """How many same-template pages lack the block (0: not off-template, or too few)."""
        if not block.fingerprint or self.fingerprints[block.fingerprint] > 1:
            return 0
        mine = set(spam.skeleton)
        if not mine:
            return 0
        threshold = float(options["template_similarity"])
        peers = 0
        for other, other_spam in self.pages:
            if other.url == page.url or not other_spam.skeleton:
                continue
            theirs = set(other_spam.skeleton)
            if len(mine & theirs) / len(mine | theirs) >= threshold:
                peers += 1
        return peers if peers >= int(options["template_min_peers"]) else 0


def _sheet_reason(block: SpamBlock | NamedText, sheets: Mapping[str, tuple[str, str]],
                  options: Mapping[str, Any]) -> str:
    """Why the site's own stylesheets hide the block ("" when they do not)."""
    for name in block.names:
        found = sheets.get(name)
        if found is not None:
            why = hidden_why(found[0], options)
            if why:
                return f"{why}（站点样式表 {found[1]} 中的 {name} 规则）"
    return ""


def _page_sheets(site: SiteSnapshot, page: PageRef) -> dict[str, tuple[str, str]]:
    """The hiding rules of the stylesheets the page loads: selector -> (reason, sheet URL)."""
    rules: dict[str, tuple[str, str]] = {}
    if not site.stylesheets or page.facts is None:
        return rules
    for link in page.facts.links:
        sheet = site.stylesheets.get(link.url) if link.kind == "link" else None
        if sheet:
            for selector, reason in sheet.items():
                rules[selector] = (reason, link.url)  # a later sheet wins, as in CSS
    return rules


def _judge(page: PageRef, spam: SpamFacts, site: _Site, lex: Lexicon,
           options: Mapping[str, Any], sheets: Mapping[str, tuple[str, str]]
           ) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    seen: set[str] = set()
    reported: set[str] = set()
    cut = int(options["snippet_chars"])
    min_words = int(options["min_words"])
    share = float(options["min_word_share"])

    def spammy(text: str, words: list[str]) -> bool:
        """Enough distinct phrases, covering enough of the text."""
        if len(words) < min_words or not text:
            return False
        lowered = text.lower()
        return sum(lowered.count(w) * len(w) for w in words) >= share * len(text)

    def add(block: SpamBlock, why: str, words: list[str], hosts: list[str]) -> None:
        key = block.selector + "|" + block.snippet[:80]
        if key in seen:
            return
        seen.add(key)
        reported.update(hosts)
        found.append({
            "selector": block.selector,
            "why": why,
            "words": words[:10],
            "hosts": hosts[:10],
            "excerpt": block.text[:120],
            "snippet": block.snippet[:cut],
        })

    for block in spam.hidden:
        why = hidden_why(block.hidden, options)
        if not why:
            continue
        link_words, hosts = _spam_links(block, lex)
        text_words = lex.words_in(block.text)
        if hosts or spammy(block.text, text_words):
            add(block, f"隐藏：{why}", list(dict.fromkeys(link_words + text_words)), hosts)
    for block in (*spam.outside, *spam.scripted):
        link_words, hosts = _spam_links(block, lex)
        text_words = lex.words_in(block.text)
        all_hosts = _hosts(block)
        why = _PLACEMENT.get(block.placement, block.placement)
        hidden = hidden_why(block.hidden, options) if block.hidden else ""
        if hidden:
            why += f"，且被隐藏：{hidden}"
        # Outside the document, many off-site links are enough; a script-written block (a
        # friend-links list, an old-browser warning) needs the lexicon.
        many = block.placement != "script" and len(all_hosts) >= int(options["min_offsite_links"])
        if hosts or text_words or many:
            add(block, why, list(dict.fromkeys(link_words + text_words)), hosts or all_hosts)
    for block in spam.offsite:
        link_words, hosts = _spam_links(block, lex)
        text_words = lex.words_in(block.text)
        if hosts and set(hosts) <= reported:
            continue  # the hidden or outside block holding these links is reported already
        sheet = "" if block.hidden else _sheet_reason(block, sheets, options)
        if sheet and (hosts or spammy(block.text, text_words)):
            add(block, f"隐藏：{sheet}", list(dict.fromkeys(link_words + text_words)), hosts)
            continue
        if hosts:
            add(block, "链接到非政府网站，链接文字或域名命中垃圾信息词库",
                list(dict.fromkeys(link_words + text_words)), hosts)
            continue
        if not text_words:
            continue
        if block.placement == "before-header":
            add(block, _PLACEMENT["before-header"], text_words, _hosts(block))
            continue
        peers = site.off_template(page, spam, block, options)
        if peers:
            add(block, f"模板之外：同模板的其他 {peers} 个页面没有这一区块", text_words,
                _hosts(block))
    for named in spam.named:
        text_words = lex.words_in(named.text)
        if not spammy(named.text, text_words):
            continue
        sheet = _sheet_reason(named, sheets, options)
        if sheet:
            add(SpamBlock(selector=named.selector, text=named.text), f"隐藏：{sheet}",
                text_words, [])
    for run in spam.id_runs:
        if (run.count >= int(options["id_run_min_elements"])
                and len(run.tags) >= int(options["id_run_min_tags"])
                and run.empty >= float(options["id_run_min_empty"]) * run.count):
            words = lex.words_in(run.text_after)
            key = f"id:{run.id}"
            if key in seen:
                continue
            seen.add(key)
            found.append({
                "selector": f"#{run.id}",
                "why": f"随机 id 标签串：{run.count} 个元素（{len(run.tags)} 种标签："
                f"{'、'.join(run.tags[:8])}）共用 id=\"{run.id}\"，为“寄生虫”篡改特征",
                "words": words[:10],
                "hosts": [],
                "excerpt": run.text_after[:120],
                "snippet": run.snippet[:cut],
            })
    return found


def check(site: SiteSnapshot, ctx: Context) -> Iterator[Finding]:
    lex = lexicon(ctx.options)
    pages = [(p, p.facts.spam) for p in site.pages
             if p.facts is not None and p.facts.spam is not None]
    context = _Site(pages)
    limit = int(ctx.options["max_blocks"])
    for page, spam in sorted(pages, key=lambda pair: pair[0].url):
        blocks = _judge(page, spam, context, lex, ctx.options, _page_sheets(site, page))
        if not blocks:
            continue
        words = list(dict.fromkeys(w for b in blocks for w in b["words"]))
        hosts = list(dict.fromkeys(h for b in blocks for h in b["hosts"]))
        summary = "；".join(b["why"] for b in blocks[:2])
        message = f"网页被植入暗链或垃圾信息：{summary}"
        if words:
            message += f"（命中：{'、'.join(words[:5])}）"
        yield RULE.finding(
            ctx,
            url=page.url,
            page=page.url,
            message=message,
            evidence={
                # The first block's facts first, for people; every block after, for tools.
                "why": blocks[0]["why"],
                "selector": blocks[0]["selector"],
                "words": words[:20],
                "hosts": hosts[:20],
                "snippet": blocks[0]["snippet"] or blocks[0]["excerpt"],
                "blocks_total": len(blocks),
                "blocks": blocks[:limit],
            },
        )
