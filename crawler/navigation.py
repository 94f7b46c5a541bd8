"""Navigation areas of a page: where a site's columns (栏目) are linked from.

Templates name their menus (nav, menu, daohang, lanmu, column, subnav, sidebar-menu, a
breadcrumb), or put a plain list of links in the header; column pages add a list of their
sub-columns under the column's name. Names are matched as words of the id/class (headerNav,
main-nav_1, lmlb), and an area must read like a menu: mostly link text, short link texts. That
keeps an article container named "oneColumn" or "column" (Bootstrap) out, and footers (links to
关于我们 and other governments) are never navigation.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from crawler.dom import (
    SKIP_TAGS,
    ancestors,
    is_footer_like,
    name_of,
    name_tokens,
    previous_element,
    text_length,
)
from crawler.facts import Link, make_link
from crawler.links import Anchor

# Names that say "menu" outright, and names that may also be a 栏目 box of articles (lm,
# column, side, ...): those must read like a menu of short column names.
_NAV_TOKEN = re.compile(
    r"^(?:\w*nav\w*|\w*menu\w*|\w*daohang\w*|dh\d*|subnav|\w*crumbs?\w*|location|position"
    r"|pos|place|weizhi|dqwz|mbx)$"
)
_WEAK_NAV_TOKEN = re.compile(
    r"^(?:\w*lanmu\w*|lm\d*|lmlb|lmlist|column\w*|\w*sidebar\w*|side\w*|zlm|sublm|sublist)$"
)
_HEADER_TOKEN = re.compile(r"^(?:header\w*|head|top|topbar|masthead)\d*$")
# A menu: link text dominates, entries are short (column names, not article titles).
MENU_TEXT_MAX = 20
WEAK_MENU_TEXT_MAX = 8
NAV_TEXT_MAX = 24
SUB_COLUMN_TEXT_MAX = 12
_HEADER_TEXT_MAX = 3000


def _nav_name(el: etree._Element) -> str:
    """ "strong", "weak" or "" (see _NAV_TOKEN)."""
    if el.tag == "nav":
        return "strong"
    return _nav_kind(name_of(el))


@lru_cache(maxsize=4096)
def _nav_kind(name: str) -> str:
    # memoised by name: a site's pages repeat the same names
    tokens = name_tokens(name)
    if any(_NAV_TOKEN.match(token) for token in tokens):
        return "strong"
    if any(_WEAK_NAV_TOKEN.match(token) for token in tokens):
        return "weak"
    return ""


def _is_header(el: etree._Element) -> bool:
    if el.tag == "header":
        return True
    return _header_name(name_of(el))


@lru_cache(maxsize=4096)
def _header_name(name: str) -> bool:
    return any(_HEADER_TOKEN.match(token) for token in name_tokens(name))


def _reads_like_menu(
    el: etree._Element, texts: dict[etree._Element, str], mean_max: int = MENU_TEXT_MAX
) -> bool:
    lengths = [len(texts[a]) for a in el.iter("a") if texts.get(a)]
    if not lengths:
        return False
    linked = sum(lengths)
    other = text_length(el) - linked - len(lengths)  # minus the spaces between entries
    if other > max(linked, 30):
        return False
    return sum(lengths) / len(lengths) <= mean_max


def nav_roots(
    root: etree._Element, named: list[etree._Element], anchors: list[Anchor]
) -> set[etree._Element]:
    """The outermost navigation areas of the page (see the module docstring); `named` are the
    elements whose name hints at a menu or a header (crawler.scan)."""
    texts: dict[etree._Element, str] = {}
    for el, _, text in anchors:
        texts.setdefault(el, text)
    if not texts:
        return set()
    chosen: set[etree._Element] = set()
    for el in named:
        if el.tag in SKIP_TAGS:
            continue
        kind = _nav_name(el)
        nav = bool(kind)
        header = not nav and _is_header(el)
        if not nav and not header:
            continue
        chain = ancestors(el)
        if any(node in chosen for node in chain[1:]):
            continue
        if any(is_footer_like(node) or node.tag in SKIP_TAGS for node in chain):
            continue
        if nav:
            mean_max = MENU_TEXT_MAX if kind == "strong" else WEAK_MENU_TEXT_MAX
            if _reads_like_menu(el, texts, mean_max):
                chosen.add(el)
        elif text_length(el) <= _HEADER_TEXT_MAX:
            # Header menus: lists of links in the header, however they are named.
            for menu in el.iter("ul", "ol"):
                entries = [li for li in menu if li.tag == "li" and any(True for _ in li.iter("a"))]
                if len(entries) >= 3 and _reads_like_menu(menu, texts):
                    chosen.add(menu)
    _sub_columns(root, texts, chosen)
    return chosen


def _sub_columns(
    root: etree._Element, texts: dict[etree._Element, str], chosen: set[etree._Element]
) -> None:
    """Lists of column names under a heading, whatever their names: the sub-columns a column
    page shows beside its list (<h2>政务公开</h2><ul><li><a>通知公告</a></li>...</ul>)."""
    for menu in root.iter("ul", "ol"):
        entries = [li for li in menu if isinstance(li.tag, str)]
        if len(entries) < 2 or any(li.tag != "li" for li in entries):
            continue
        names = []
        for li in entries:
            links = [texts.get(a, "") for a in li.iter("a")]
            if len(links) != 1 or not 2 <= len(links[0]) <= SUB_COLUMN_TEXT_MAX:
                break
            names.append(links[0])
        else:
            if not _reads_like_menu(menu, texts, WEAK_MENU_TEXT_MAX) or not _has_heading(menu):
                continue
            chain = ancestors(menu)
            if any(node in chosen for node in chain):
                continue
            if any(is_footer_like(node) or node.tag in SKIP_TAGS for node in chain):
                continue
            chosen.add(menu)


def _has_heading(menu: etree._Element) -> bool:
    """A short title just before the list, or before its box."""
    node: etree._Element | None = menu
    for _ in range(2):
        if node is None:
            return False
        before = previous_element(node)
        if before is not None and before.tag not in SKIP_TAGS:
            length = text_length(before)
            return 2 <= length <= SUB_COLUMN_TEXT_MAX and len(before.findall(".//a")) <= 1
        node = node.getparent()
    return False


def nav_links(
    anchors: list[Anchor],
    roots: set[etree._Element],
    block_links: dict[etree._Element, str],
    items: set[etree._Element],
) -> list[Link]:
    """Links inside the navigation areas, and the heading/更多 links of 栏目 blocks (shown with
    the block's heading), in document order, one per URL. Links without text, or whose text is
    an article title rather than a column name (mega-menus list news), are left out."""
    inside: set[etree._Element] = set()
    for nav in roots:
        inside.update(nav.iter("a"))
    for item in items:  # a dated list in a mega-menu lists articles, not columns
        inside.difference_update(item.iter("a"))
    links: list[Link] = []
    index: dict[str, int] = {}
    for el, url, text in anchors:
        if el in block_links:
            text = block_links[el]
        elif el not in inside or len(text) > NAV_TEXT_MAX:
            continue  # an article title in a mega-menu is no column
        if not text:
            continue
        at = index.get(url)
        if at is None:
            index[url] = len(links)
            links.append(make_link(url, "a", text))
        elif text and not links[at].text:
            links[at] = make_link(url, "a", text)
    return links
