"""(url, html) -> PageFacts: the one place where a page is parsed.

Pure and fast: one lxml parse, one walk for the visible text, one pass for date texts and menu
names (crawler.scan), one C-level iteration for the tags that carry links and badges. Everything
the checks need is computed here so that old crawls can be re-extracted from their stored
bodies without re-crawling (GUIDE.md, data flow 2).

The work is split: crawler.visible (the text a visitor sees, header and footer regions),
crawler.links (links, badges, 找错 entries), crawler.identifiers (ICP/公安/标识码 patterns),
crawler.jsstrings (markup written by inline scripts); for timeliness, crawler.scan (one pass
collecting date texts and menu-like names), crawler.navigation (menus, 栏目 blocks),
crawler.lists (list blocks and their dated items), crawler.article (publication time, 来源,
placeholders, page kind), crawler.pagination (下一页/尾页), crawler.archive (已归档 labels),
crawler.dates (date normalisation); crawler.spam (hidden, off-template and script-written
blocks, random-id runs, hidden frames and redirects, for the spam and hijack checks);
crawler.textscan (the visible text with personal numbers masked, and traditional characters,
for the text checks). Lists are found before the visible-text walk so that the walk can mark
their items: an item's 发布时间 is not the page's.

Script-written markup is read for the footer identifiers, the 党政机关 badge and the 找错 entry,
but not for links: its URLs are often built with variables.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from crawler.archive import find_archive_label
from crawler.article import PageText, page_kind, read_article
from crawler.decode import decode_html, looks_binary
from crawler.extras import find_ad_labels, find_guide_labels, find_messages, is_guide
from crawler.facts import PageFacts
from crawler.identifiers import (
    find_icp,
    find_police,
    find_site_codes,
    has_identifier_mark,
    normalise_space,
)
from crawler.jsstrings import script_markup
from crawler.links import (
    MARK_TAGS,
    Anchor,
    Marks,
    Resolver,
    clean_href,
    find_links,
    host_path,
    query_value,
    scan_marks,
    text_content,
)
from crawler.lists import find_lists
from crawler.navigation import nav_links, nav_roots
from crawler.pagination import find_pages
from crawler.scan import scan_page
from crawler.spam import find_spam
from crawler.textscan import scan_text
from crawler.visible import (
    content_length,
    footer_text,
    header_text,
    says_not_found,
    text_digest,
    walk_text,
)

__all__ = ["decode_html", "extract", "looks_binary"]

# An archive label is visible text: pages that show none are not searched for one.
_ARCHIVE_WORDS = re.compile("归档|歸檔")


# Browsers ignore </body> and </html> and keep adding what follows to the body; libxml2 drops
# it. Server-side includes often carry their own </html> (a header include), and CMSs append
# their footer after the document's end, so the footer would be lost.
_DOCUMENT_END = re.compile(r"</\s*(?:body|html)\s*>", re.IGNORECASE)


def _parse(html: str) -> etree._Element | None:
    html = _DOCUMENT_END.sub("", html.replace("\x00", "\ufffd"))
    data = html.encode("utf-8", errors="replace")
    if not data.strip():
        return None
    # Plain etree elements: lxml.html's element classes cost a Python lookup per element.
    # huge_tree lifts libxml2's limits on text size (10 MB) and nesting depth (256), beyond
    # which it silently drops the rest of the page.
    parser = etree.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        root = etree.fromstring(data, parser=parser)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    return root


def _meta(root: etree._Element) -> dict[str, str]:
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = el.get("name")
        if name:
            meta.setdefault(name.strip().lower(), normalise_space(el.get("content") or ""))
    return meta


def _base_url(root: etree._Element, url: str) -> str:
    for el in root.iter("base"):
        href = clean_href(el.get("href"))
        if href is not None:
            try:
                resolved = urljoin(url, href)
            except ValueError:
                return url
            return resolved
    return url


def _script_fragments(
    root: etree._Element, written: list[tuple[etree._Element, list[str]]]
) -> list[etree._Element]:
    """Parsed markup written by inline scripts, only where it can hold what we look for;
    every script's markup is appended to `written` (crawler.spam reads its links)."""
    fragments: list[etree._Element] = []
    for el in root.iter("script"):
        if el.get("src") or not el.text:
            continue
        markups = script_markup(el.text, el.get("type") or "")
        if markups:
            written.append((el, markups))
        for markup in markups:
            lowered = markup.lower()
            if "conac" in lowered or "jiucuo" in lowered or has_identifier_mark(markup):
                parsed = _parse(markup)
                if parsed is not None:
                    fragments.append(parsed)
    return fragments


def extract(url: str, html: str, *, content: bool = True) -> PageFacts:
    """Facts of one HTML page. Never raises on any input string; garbage gives empty facts.
    `content=False` leaves out the facts of the content checks (`[crawler]
    content_extraction`): spam signals, the scanned text, ads, messages, guide labels."""
    root = _parse(html)
    if root is None:
        return PageFacts(url=url)

    resolve = Resolver(_base_url(root, url))
    meta = _meta(root)
    title_el = next(root.iter("title"), None)
    title = normalise_space(text_content(title_el)) if title_el is not None else ""

    anchors: list[Anchor] = []
    links = find_links(root, resolve, anchors)
    scan = scan_page(root)
    nav = nav_roots(root, scan.named, anchors)
    lists = find_lists(scan, anchors, url, nav, resolve)

    body = next(root.iter("body"), None)
    walk = walk_text(body if body is not None else root, marked=lists.item_elements)
    visible = walk.text()
    visible_folded = normalise_space(visible)

    marks = Marks()
    scan_marks(root.iter(*MARK_TAGS), resolve, marks)
    script_texts: list[str] = []
    scan_texts = [visible]
    written: list[tuple[etree._Element, list[str]]] = []
    for fragment in _script_fragments(root, written):
        scan_marks(fragment.iter(*MARK_TAGS), resolve, marks)
        text = walk_text(fragment, regions=False).text()
        scan_texts.append(text)
        if has_identifier_mark(text):
            script_texts.append(normalise_space(text))

    icp: list[str] = []
    police: list[str] = []
    site_codes: list[str] = []
    for text in scan_texts:
        _extend(icp, find_icp(text))
        _extend(police, find_police(text))
        _extend(site_codes, find_site_codes(text))

    recordcodes: list[str] = []
    for link in links:
        if "beian" not in link.url:
            continue
        host, _ = host_path(link.url)
        if host in ("www.beian.gov.cn", "beian.gov.cn", "beian.mps.gov.cn"):
            code = query_value(link.url, "recordcode")
            if code:
                code = "".join(ch for ch in code if ch.isdigit())
                if code and code not in recordcodes:
                    recordcodes.append(code)

    headings = [
        normalise_space(walk.text(region.start, region.end))
        for region in walk.regions
        if region.kind == "heading" and region.end >= 0
    ]
    article = read_article(PageText(walk, visible), title, meta, headings)
    pages = find_pages(root, anchors, url)
    has_title = bool(title or meta.get("articletitle") or any(headings))
    guide = is_guide(title, headings)
    # The content checks' facts (issue 12), unless switched off ([crawler] content_extraction).
    extras: dict[str, Any] = {}
    if content:
        scanned = scan_text(visible)
        extras = {
            "ad_labels": find_ad_labels(root, visible),
            "messages": find_messages(root, visible, resolve),
            "guide_labels": find_guide_labels(root) if guide else (),
            "spam": find_spam(root, html, url, resolve, anchors, written),
            "text": scanned.text,
            "personal": scanned.personal,
            "traditional": scanned.traditional,
            "traditional_count": scanned.traditional_count,
            "cjk_count": scanned.cjk_count,
        }

    return PageFacts(
        url=url,
        title=title,
        header_text=header_text(walk, meta),
        footer_text=footer_text(walk, visible, script_texts),
        icp=tuple(icp),
        police=tuple(police),
        police_recordcodes=tuple(recordcodes),
        site_codes=tuple(site_codes),
        conac=tuple(marks.conac.values()),
        jiucuo=tuple(marks.jiucuo),
        meta=meta,
        links=tuple(links),
        says_not_found=says_not_found(title, walk, visible_folded),
        text_length=len(visible_folded),
        # The folded text gives the same digest (digest folds whitespace after removing digits,
        # which never join or split words) and is shorter.
        text_digest=text_digest(visible_folded),
        nav=tuple(nav_links(anchors, nav, lists.block_links, lists.item_elements)),
        lists=tuple(lists.blocks),
        next_page=pages.next_page,
        last_page=pages.last_page,
        published=article.published,
        published_from=article.published_from,
        source=article.source,
        placeholder=article.placeholder,
        archive=find_archive_label(root, nav) if _ARCHIVE_WORDS.search(visible) else None,
        page_kind=page_kind(
            article,
            tuple(lists.blocks),
            pages.pager,
            has_title,
            len(visible_folded),
            meta,
        ),
        content_length=content_length(walk, visible),
        guide=guide,
        **extras,
    )


def _extend(target: list[str], values: Iterable[str]) -> None:
    for value in values:
        if value not in target:
            target.append(value)
