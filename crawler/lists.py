"""List blocks of a page: a column page's list, a home page's 通知公告 box, a sidebar.

CMS templates write lists in many shapes: ul/li with a date span before or after the title,
table rows with a title cell and a date cell, div lists, dl/dt/dd pairs, rows whose title and
date sit in two consecutive elements, a date drawn as a day box, items that are not even links
(a 留言 list), records a Hanweb jpage script renders. What they share is repetition: sibling
elements each holding one title and one date. So we start from the dates (few, collected by
crawler.scan in its one pass over the tree), climb from each date to the largest element that
holds no other date, take the entry holding the title link in it (the item), and group items
by their parent (the list). Lists without dates are found from the links instead: sibling
elements each holding one long link (an article title), which menus (short names) never are.

Each block's heading (通知公告) and 更多 link come from the elements just before the list (a box
title, a tab strip, a breadcrumb on column pages), see `_heading`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from crawler.dates import find_date_matches, parse_date
from crawler.dom import (
    SKIP_TAGS,
    ancestors,
    is_footer_like,
    name_of,
    next_element,
    previous_element,
    text_length,
    text_of,
)
from crawler.facts import ListBlock, make_item
from crawler.identifiers import normalise_space
from crawler.links import Anchor, Resolver, find_links
from crawler.scan import DATE_TEXT_MAX, PageScan, scan_page
from crawler.visible import is_hidden

_YEAR_MONTH = re.compile(r"(?:19|20)\d\d\s{0,2}[-/.年]\s{0,2}\d{1,2}\s{0,2}月?")
_DAY_AND_MONTH = re.compile(
    r"(?P<d1>\d{1,2})\s{0,3}(?P<y1>(?:19|20)\d\d)\s{0,2}[-/.年]\s{0,2}(?P<m1>\d{1,2})\s{0,2}月?"
    r"|(?P<y2>(?:19|20)\d\d)\s{0,2}[-/.年]\s{0,2}(?P<m2>\d{1,2})\s{0,2}月?\s{0,3}(?P<d2>\d{1,2})日?"
)
# A date field holds the date and at most a label (发布时间：, 留言时间：) or brackets.
DATE_FIELD_EXTRA = 16
_DATE_NODE_MAX = DATE_TEXT_MAX  # crawler.scan collects no longer texts
# How far above its date an item may start, and how much text it may hold.
_ITEM_LEVELS = 6
_ITEM_TEXT_MAX = 400
_COUNT_LEVELS = _ITEM_LEVELS + 2
_LONE_EXTRA = 40
# Undated lists: their links read like titles.
UNDATED_TITLE_MIN = 8
_UNDATED_LEVELS = 4
HEADING_MAX = 20

# Link texts that are not titles: navigation within lists and pages.
NOT_TITLE = re.compile(
    r"^(?:更多|查看更多|更多信息|更多内容|more|首页|上一?页|下一?页|前一?页|后一?页|尾页|末页"
    r"|最后一?页|第一页|上一篇|下一篇|上一条|下一条|返回|返回顶部|返回首页|打印|关闭|关闭窗口"
    r"|打印本页|关闭本页|分享|详情|详细|全文|查看|查看详情|点击查看|进入|进入专题|跳转|go|确定"
    r"|搜索|登录|注册|\d{1,4}|[<>«»‹›+＋…]+|\.\.\.)$",
    re.IGNORECASE,
)
_TITLE_STRIP = " \t\n\r\f\v\u3000\xa0[]【】()（）<>《》«»›‹>+＋·•●◆■□▪▶►→|｜:："
MORE = re.compile(
    r"^(?:更多|查看更多|更多信息|更多内容|更多资讯|more|[>»]{2,}|»|\+|＋|…|\.\.\.)"
    r"\s*[>»›+＋＞]*$",
    re.IGNORECASE,
)
_LABEL = re.compile(r"^\S{1,8}[:：]")
# Item text that belongs to an article's info bar or its previous/next links, not to a list.
_INFO_WORDS = re.compile(r"来源|來源|作者|浏览|字号|点击|阅读次数|访问量")
LIST_TAGS = frozenset({"ul", "ol", "table", "tbody", "dl"})
# Elements that make a list entry (an <a> or a <span> inside them does not).
_ENTRY_TAGS = frozenset({"li", "tr", "dd", "dt", "div", "p", "article", "section", "tbody"})
_ROW_TAGS = frozenset({"li", "tr", "dd", "dt"})
# Paragraphs and text runs: a sequence of them is running text, whatever dates it shows.
_RUN_TAGS = frozenset({"p", "span", "font", "b", "strong", "em", "i", "u", "a"})
_PREV_NEXT = re.compile(r"^\W*(?:上一篇|下一篇|上一条|下一条|上篇|下篇|上一页|下一页)")
_HEADING_NOISE = re.compile(
    r"更多\s*[>»›+＋＞]*|查看更多|more\s*[>»›+]*|[>»›+＋＞]{1,3}\s*$|^\s*[>»›]+", re.IGNORECASE
)
_CRUMB_NAME = re.compile(r"crumb|position|location|weizhi|dqwz|mbx|\bpos\b|place", re.IGNORECASE)
_CRUMB_TEXT = re.compile(
    r"^(?:当前位置|您的位置|您现在的位置|您当前的位置|您现在所在的位置|所在位置)"
)
_CRUMB_SPLIT = re.compile(r"\s*[>›»＞/→]\s*")
# Column headers of a table list, not the list's heading.
_TABLE_HEADER_WORDS = re.compile(r"标题|名称|日期|时间|序号|文号|索引号|发布机构|发文机关|来源")


@dataclass(slots=True)
class _Item:
    element: etree._Element  # the item (or the first of a title/date pair)
    container: etree._Element
    title: str
    url: str
    date: str
    elements: tuple[etree._Element, ...] = ()  # every element of the item (pairs: two)


@dataclass(slots=True)
class Lists:
    """What the page's lists give the rest of the extraction."""

    blocks: list[ListBlock] = field(default_factory=list)
    # Item elements: their text is an item's, not the page's own (date lines, placeholders).
    item_elements: set[etree._Element] = field(default_factory=set)
    # Heading and 更多 links of blocks that have a heading: 栏目 link blocks for navigation,
    # element -> the heading text to show for it.
    block_links: dict[etree._Element, str] = field(default_factory=dict)


@lru_cache(maxsize=8192)
def is_title(text: str) -> bool:
    """Anchor text that reads as an item title (not 更多, not a page number, not 首页).
    Memoised: asked of every anchor, and a site's menus and link rows repeat on every page."""
    stripped = text.strip(_TITLE_STRIP)
    if len(stripped) < 2 or NOT_TITLE.match(stripped):
        return False
    return not (find_date_matches(stripped) and len(stripped) <= 20)


def site_key(url: str) -> str:
    """The registrable part of a URL's host (www.a.gov.cn and xxgk.a.gov.cn -> a.gov.cn)."""
    host = url.split("/", 3)[2] if url.count("/") >= 2 else ""
    host = host.rsplit("@", 1)[-1].split(":", 1)[0].lower()
    labels = host.split(".")
    if len(labels) >= 3 and labels[-2] in ("gov", "com", "org", "edu", "net", "ac"):
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def find_lists(
    scan: PageScan,
    anchors: list[Anchor],
    page_url: str,
    nav_roots: set[etree._Element],
    resolve: Resolver,
) -> Lists:
    """The page's list blocks; `nav_roots` are its navigation areas (menus are no lists)."""
    lists = _lists_of(scan, anchors, page_url, nav_roots)
    if scan.records:
        urls = _urls(anchors)
        for script in scan.records:
            lists.blocks += _record_blocks(script, resolve, page_url, urls)
    return lists


def _lists_of(
    scan: PageScan, anchors: list[Anchor], page_url: str, nav_roots: set[etree._Element]
) -> Lists:
    titles: dict[etree._Element, tuple[str, str]] = {}
    for el, url, text in anchors:
        if is_title(text):
            titles[el] = (url, text)
    items = _dated_items(scan.date_texts, titles)
    used = {el for item in items for el in item.elements}
    items += _undated_items(anchors, titles, nav_roots, used, page_url)
    return _blocks(items, titles, _urls(anchors))


def _urls(anchors: list[Anchor]) -> dict[etree._Element, str]:
    urls: dict[etree._Element, str] = {}
    for el, url, _ in anchors:
        urls.setdefault(el, url)
    return urls


_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.DOTALL)


def _record_blocks(
    script: etree._Element, resolve: Resolver, page_url: str, urls: dict[etree._Element, str]
) -> list[ListBlock]:
    """The list a Hanweb jpage script renders from its records (a visitor sees it; we read
    the records instead of running the script). Its heading is the one around the script."""
    markup = "".join(_RECORD.findall(script.text or ""))
    if not markup.strip():
        return []
    start = markup.lstrip()[:3].lower()
    wrapper = "table" if start == "<tr" else "ul" if start == "<li" else "div"
    try:
        fragment = etree.fromstring(
            f"<html><body><{wrapper}>{markup}</{wrapper}></body></html>".encode(),
            etree.HTMLParser(encoding="utf-8"),
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return []
    if fragment is None:
        return []
    anchors: list[Anchor] = []
    find_links(fragment, resolve, anchors)
    blocks = _lists_of(scan_page(fragment), anchors, page_url, set()).blocks
    parent = script.getparent()
    if not blocks or parent is None:
        return blocks
    heading, more, _, _ = _heading(parent, script, set(), urls)
    return [
        ListBlock(block.heading or heading, block.items, block.more_url or more) for block in blocks
    ]


# ---------------------------------------------------------------------------------------------
# Items with dates


@dataclass(frozen=True, slots=True)
class _DateNode:
    element: etree._Element  # the element whose content holds the date
    value: str  # normalised
    raw: str  # the date as the text shows it
    chain: list[etree._Element]  # element, parent, ... root


def _date_nodes(texts: list[tuple[etree._Element, str]]) -> list[_DateNode]:
    """The date fields of the page (a date, at most a label and brackets around it), outside
    scripts, templates and footers (copyright years, generation stamps), in document order.
    Tab panels hidden inline until clicked are lists all the same."""
    found: list[_DateNode] = []
    shown: dict[etree._Element, bool] = {}
    for el, text in texts:
        value = text.strip()
        if len(value) > _DATE_NODE_MAX:
            continue  # running text, not a date field
        matches = find_date_matches(value)
        if not matches:
            boxed = _day_box(el, value)
            if boxed is not None:
                box, date = boxed
                chain = ancestors(box)
                if _shown_as_content(chain, shown):
                    found.append(_DateNode(box, date, "", chain))
            continue
        first = matches[0]
        extra = len(value) - (first.end - first.start) - sum(ch.isspace() for ch in value)
        if extra > DATE_FIELD_EXTRA:
            continue  # a date inside a title or a sentence
        chain = ancestors(el)
        if not _shown_as_content(chain, shown):
            continue
        found.append(_DateNode(el, first.value, value[first.start : first.end], chain))
    return found


def _shown_as_content(chain: list[etree._Element], known: dict[etree._Element, bool]) -> bool:
    """No node of the chain (from `ancestors`) is a script, style, ... or footer-like element.

    `known` remembers the answer for every node seen (the answer for a node's chain), so
    that the ancestors the page's dates share are looked at once."""
    answer = True
    stop = len(chain)
    for index, node in enumerate(chain):
        seen = known.get(node)
        if seen is not None:
            answer, stop = seen, index
            break
        if node.tag in SKIP_TAGS or is_footer_like(node):
            answer, stop = False, index + 1
            break
    for node in chain[:stop]:
        known[node] = answer
    return answer


def _day_box(el: etree._Element, value: str) -> tuple[etree._Element, str] | None:
    """A date drawn as a box: the day large, the year and month small beside it
    (<div class="date"><b>15</b><span>2026-11</span></div>)."""
    if _YEAR_MONTH.fullmatch(value) is None:
        return None
    box = el.getparent() if text_of(el) == value else el
    if box is None:
        return None
    shown = text_of(box)
    if len(shown) > 16:
        return None
    match = _DAY_AND_MONTH.fullmatch(shown)
    if match is None:
        return None
    day = match.group("d1") or match.group("d2")
    year = match.group("y1") or match.group("y2")
    month = match.group("m1") or match.group("m2")
    date = parse_date(f"{year}-{month}-{day}")
    return (box, date) if date else None


def _title_anchors(
    el: etree._Element, titles: dict[etree._Element, tuple[str, str]]
) -> list[tuple[str, str]]:
    """(url, text) of the title links inside el, distinct URLs, longest text first."""
    seen: dict[str, str] = {}
    if el.tag == "a" and el in titles:
        url, text = titles[el]
        seen[url] = text
    for a in el.iter("a"):
        hit = titles.get(a)
        if hit is not None and len(hit[1]) > len(seen.get(hit[0], "")):
            seen[hit[0]] = hit[1]
    return sorted(seen.items(), key=lambda pair: -len(pair[1]))


def _cached_anchors(
    el: etree._Element,
    titles: dict[etree._Element, tuple[str, str]],
    memo: dict[etree._Element, list[tuple[str, str]]],
) -> list[tuple[str, str]]:
    """`_title_anchors`, remembered for the page: an item's elements are asked several times."""
    found = memo.get(el)
    if found is None:
        found = memo[el] = _title_anchors(el, titles)
    return found


def _dated_items(
    texts: list[tuple[etree._Element, str]], titles: dict[etree._Element, tuple[str, str]]
) -> list[_Item]:
    nodes = _date_nodes(texts)
    if not nodes:
        return []
    count: dict[etree._Element, int] = {}
    for date in nodes:
        for node in date.chain[:_COUNT_LEVELS]:
            count[node] = count.get(node, 0) + 1
    items: list[_Item] = []
    taken: set[etree._Element] = set()
    memo: dict[etree._Element, list[tuple[str, str]]] = {}
    for date in nodes:
        item = _item_of(date, count, titles, memo)
        if item is not None and not any(e in taken for e in item.elements):
            taken.update(item.elements)
            items.append(item)
    return items


def _item_of(
    date: _DateNode,
    count: dict[etree._Element, int],
    titles: dict[etree._Element, tuple[str, str]],
    memo: dict[etree._Element, list[tuple[str, str]]],
) -> _Item | None:
    chain, value, raw = date.chain, date.value, date.raw
    # The largest element above the date that holds no other date.
    top = 0
    for level in range(1, min(len(chain) - 1, _ITEM_LEVELS + 1)):
        node = chain[level]
        if count.get(node, 0) > 1 or node.tag in ("body", "html"):
            break
        top = level
    widest = chain[top]
    container = widest.getparent()
    if container is None:
        return None
    links = _cached_anchors(widest, titles, memo)
    if links:
        # The smallest element with a title link, widened out of inline markup to the entry
        # holding it (<a><span>title</span><em>date</em></a> inside an <li>), and out of
        # wrappers that are their parent's only child (<li><div class="box">…</div></li>).
        level = next(k for k in range(top + 1) if _cached_anchors(chain[k], titles, memo))
        while level < top and chain[level].tag not in _ENTRY_TAGS:
            level += 1
        while level < top and chain[level].tag not in _ROW_TAGS and _only_child(chain[level]):
            level += 1
        node = chain[level]
        parent = node.getparent()
        inner = _cached_anchors(node, titles, memo)
        size = text_length(node)
        if parent is None or len(inner) > 3 or size > _ITEM_TEXT_MAX:
            return None
        url, title = inner[0]
        # The only date around: an entry is its title and its date, not an article's info bar
        # (来源 …) or a page section with a breadcrumb link in it.
        lone = count.get(parent, 0) <= 1
        if lone and (size > len(title) + _LONE_EXTRA or _INFO_WORDS.search(text_of(node))):
            return None
        return _Item(node, parent, _without(title, raw), url, value, (node,))
    # The title sits in the sibling before the date (dt/dd, a title row and a date row), or
    # after it (a date column first).
    for sibling in (previous_element(widest), next_element(widest)):
        if sibling is None or count.get(sibling, 0) > 0:
            continue
        pair = _cached_anchors(sibling, titles, memo)
        if len(pair) == 1 and text_length(sibling) <= _ITEM_TEXT_MAX:
            url, title = pair[0]
            title = _without(title, raw)
            first, second = (
                (sibling, widest) if sibling is previous_element(widest) else (widest, sibling)
            )
            return _Item(first, container, title, url, value, (first, second))
    # An item that is not a link (a 留言 list): its longest text is the title.
    if top >= 1 and text_length(widest) <= _ITEM_TEXT_MAX:
        title = _text_title(widest)
        if title:
            return _Item(widest, container, title, "", value, (widest,))
    return None


def _only_child(el: etree._Element) -> bool:
    parent = el.getparent()
    return parent is not None and sum(1 for c in parent if isinstance(c.tag, str)) == 1


def _without(title: str, raw: str) -> str:
    """A title without the date its link also shows (<a>title<em>2026.11.01</em></a>)."""
    raw = raw.strip()
    if raw and raw in title and raw != title:
        return normalise_space(title.replace(raw, " "))
    return title


def _text_title(el: etree._Element) -> str:
    """The longest text of an element that is not a date, a label or a script."""
    best = ""
    for node in el.iter():
        texts = [node.tail] if node is not el else []
        if isinstance(node.tag, str) and node.tag not in SKIP_TAGS:
            texts.append(node.text)
        for text in texts:
            value = normalise_space(text or "")
            if len(value) <= len(best) or _LABEL.match(value):
                continue
            if find_date_matches(value) and len(value) <= 30:
                continue
            best = value
    return best if len(best) >= 6 else ""


# ---------------------------------------------------------------------------------------------
# Items without dates


def _undated_items(
    anchors: list[Anchor],
    titles: dict[etree._Element, tuple[str, str]],
    nav_roots: set[etree._Element],
    used: set[etree._Element],
    page_url: str,
) -> list[_Item]:
    long_links: list[tuple[etree._Element, str, str]] = []
    for el, url, text in anchors:
        if el not in titles or len(text) < UNDATED_TITLE_MIN:
            continue
        if _PREV_NEXT.match(text):
            continue
        long_links.append((el, url, text))
    if len(long_links) < 2:
        return []
    # Which link each element holds (several -> None): an item holds exactly one.
    owner: dict[etree._Element, str | None] = {}
    chains: list[list[etree._Element]] = []
    for el, url, _ in long_links:
        chain = [el]
        node = el.getparent()
        while node is not None and len(chain) <= _UNDATED_LEVELS + 1:
            chain.append(node)
            node = node.getparent()
        chains.append(chain)
        for node in chain:
            held = owner.get(node, url)
            owner[node] = url if held == url else None
    site = site_key(page_url)
    sites: dict[str, str] = {}
    candidates: dict[etree._Element, list[_Item]] = {}
    for (el, url, text), chain in zip(long_links, chains, strict=True):
        item = el
        for node in chain[1 : _UNDATED_LEVELS + 1]:
            if owner.get(node) is None or node.tag in ("body", "html"):
                break
            item = node
        container = item.getparent()
        if container is None or any(node in used for node in chain):
            continue
        key = sites.get(url)
        if key is None:
            key = sites[url] = site_key(url)
        if key != site or text_length(item) > len(text) + 40:
            continue  # another site's link, or a paragraph with a link in it
        candidates.setdefault(container, []).append(_Item(item, container, text, url, ""))
    items: list[_Item] = []
    for container, members in candidates.items():
        if len(members) < 2:
            continue
        full = ancestors(container)
        if any(node.tag in SKIP_TAGS or node in nav_roots or is_footer_like(node) for node in full):
            continue
        for item in members:
            item.elements = (item.element,)
        items += members
    return items


# ---------------------------------------------------------------------------------------------
# Blocks


def _blocks(
    items: list[_Item],
    titles: dict[etree._Element, tuple[str, str]],
    urls: dict[etree._Element, str],
) -> Lists:
    by_container: dict[etree._Element, list[_Item]] = {}
    for item in items:
        by_container.setdefault(item.container, []).append(item)
    groups: list[tuple[etree._Element, list[_Item]]] = []
    for container, members in by_container.items():
        members = [item for item in members if not _PREV_NEXT.match(text_of(item.element))]
        members = _with_undated_siblings(container, members, titles)
        if _qualifies(container, members):
            groups.append((container, members))

    result = Lists()
    # Elements that hold some list, so a heading search stops at a neighbouring block.
    occupied: set[etree._Element] = set()
    for container, _ in groups:
        node: etree._Element | None = container
        for _ in range(6):
            if node is None:
                break
            occupied.add(node)
            node = node.getparent()
    for container, members in groups:
        heading, more, heading_el, more_el = _heading(container, members[0].element, occupied, urls)
        block = ListBlock(
            heading=heading,
            items=tuple(make_item(item.title, item.url, item.date) for item in members),
            more_url=more,
        )
        result.blocks.append(block)
        for item in members:
            result.item_elements.update(item.elements)
        if heading:
            for el in (heading_el, more_el):
                if el is not None:
                    result.block_links[el] = heading
    return result


def _qualifies(container: etree._Element, members: list[_Item]) -> bool:
    """A list needs two entries, or one dated link entry in list markup that is not an
    article's info bar (发布时间 … 来源：<a>人民日报</a> looks like a one-item list)."""
    if not members:
        return False
    if len(members) == 1:
        (item,) = members
        return (
            bool(item.date and item.url)
            and container.tag in LIST_TAGS
            and len(item.title) >= 6
            and _INFO_WORDS.search(text_of(item.element)) is None
        )
    linked = [item for item in members if item.url]
    if len(linked) >= 2:
        if any(item.date for item in linked):
            return True
        return len({item.element.tag for item in linked}) == 1
    # Entries that are not links: only a repeated shape (same tag and class) makes a list.
    shapes = {(item.element.tag, item.element.get("class")) for item in members}
    dated = sum(1 for item in members if item.date)
    tag = members[0].element.tag
    return len(shapes) == 1 and dated >= 2 and tag not in _RUN_TAGS


def _with_undated_siblings(
    container: etree._Element,
    members: list[_Item],
    titles: dict[etree._Element, tuple[str, str]],
) -> list[_Item]:
    """A dated list's entries that show no date (pinned items) are entries all the same."""
    if not any(item.date for item in members) or any(len(i.elements) > 1 for i in members):
        return members
    by_element = {item.element: item for item in members}
    shapes = {(item.element.tag, item.element.get("class")) for item in members}
    if len(shapes) != 1:
        return members
    (shape,) = shapes
    merged: list[_Item] = []
    for child in container:
        item = by_element.get(child)
        if item is not None:
            merged.append(item)
        elif (child.tag, child.get("class")) == shape:
            links = _title_anchors(child, titles)
            if len(links) == 1 and text_length(child) <= _ITEM_TEXT_MAX:
                url, title = links[0]
                merged.append(_Item(child, container, title, url, "", (child,)))
    return merged if len(merged) >= len(members) else members


def _heading(
    container: etree._Element,
    first: etree._Element,
    occupied: set[etree._Element],
    urls: dict[etree._Element, str],
) -> tuple[str, str, etree._Element | None, etree._Element | None]:
    """(heading, more URL, heading link element, more link element) of a list.

    The heading is the nearest short text before the list: a sibling before its first item
    (a title <li>), before the list, or before one of its boxes, up to four levels up; a tab
    strip gives the tab with the list's index; a breadcrumb gives its last step (column
    pages). The search stops at an element that holds another list."""
    node = first
    heading = ""
    heading_el: etree._Element | None = None
    more_el: etree._Element | None = None
    # The list's index among parallel panels (tab contents), counted where they are siblings.
    panel: int | None = None
    for _level in range(5):
        parent = node.getparent()
        if parent is None or node.tag in ("body", "html"):
            break
        if panel is None and node is not first:
            panel = _panel_index(node, occupied)
        sibling = previous_element(node)
        scanned = 0
        stop = False
        while sibling is not None and scanned < 3:
            if sibling.tag in SKIP_TAGS or is_hidden(sibling):
                sibling = previous_element(sibling)
                continue
            if sibling in occupied:
                if sibling.tag == node.tag and node is not first:
                    sibling = previous_element(sibling)  # a parallel panel
                    continue
                stop = True
                break
            found = _heading_of(sibling, node, panel)
            if found is not None:
                heading, heading_el, more_el = found
                break
            scanned += 1
            sibling = previous_element(sibling)
        if heading or stop or parent.tag in ("body", "html"):
            break
        node = parent
    if more_el is None:
        more_el = _more_near(container)
    more = ""
    if more_el is not None:
        more = urls.get(more_el, "")
    elif heading_el is not None:
        more = urls.get(heading_el, "")
    return heading, more, heading_el, more_el


def _is_more(el: etree._Element, text: str) -> bool:
    if MORE.match(text.strip()):
        return True
    return "more" in name_of(el).lower()


def _panel_index(node: etree._Element, occupied: set[etree._Element]) -> int | None:
    """The index of `node` among same-tag siblings that hold lists too (tab panels), or None
    when it has no such siblings."""
    before = 0
    sibling = previous_element(node)
    while sibling is not None:
        if sibling.tag == node.tag and sibling in occupied:
            before += 1
        sibling = previous_element(sibling)
    if before:
        return before
    sibling = next_element(node)
    while sibling is not None:
        if sibling.tag == node.tag and sibling in occupied:
            return 0
        sibling = next_element(sibling)
    return None


def _heading_of(
    sibling: etree._Element, path: etree._Element, panel: int | None
) -> tuple[str, etree._Element | None, etree._Element | None] | None:
    """The heading a sibling before a list gives it, or None."""
    if sibling.tag == "tr" and len(sibling) >= 2:
        return None  # the column headers of a table
    if sibling.tag in ("thead",):
        return None
    text = text_of(sibling)
    if not text or len(text) > 80:
        return None
    links = [a for a in sibling.iter("a") if isinstance(a.tag, str)]
    more_el = None
    entries: list[tuple[etree._Element, str]] = []
    for a in links:
        label = text_of(a) or normalise_space(a.get("title") or "")
        if not label:
            for img in a.iter("img"):
                label = normalise_space(img.get("alt") or "")
                break
        if _is_more(a, label):
            more_el = more_el if more_el is not None else a
        elif label:
            entries.append((a, label))
    if _CRUMB_NAME.search(name_of(sibling)) or _CRUMB_TEXT.match(text):
        steps = [s for s in _CRUMB_SPLIT.split(text) if s]
        last = _CRUMB_TEXT.sub("", steps[-1]).strip(" ：:") if steps else ""
        if entries and entries[-1][1] == last:
            return last, entries[-1][0], more_el
        return (last, None, more_el) if 2 <= len(last) <= HEADING_MAX else None
    if len(entries) >= 2:
        # A tab strip: the tab with the list's index among its panels.
        index = panel if panel is not None else 0
        if index < len(entries) and len(entries) <= 8:
            a, label = entries[index]
            if len(label) <= HEADING_MAX:
                return label, a, more_el
        return None
    cleaned = _HEADING_NOISE.sub("", text).strip(_TITLE_STRIP)
    if not 2 <= len(cleaned) <= HEADING_MAX:
        return None
    if find_date_matches(cleaned) or cleaned.isdigit() or _LABEL.match(cleaned):
        return None  # a date, a number, a "浏览次数：" label
    if len(_TABLE_HEADER_WORDS.findall(cleaned)) >= 2:
        return None
    heading_el = entries[0][0] if entries and entries[0][1].strip(_TITLE_STRIP) == cleaned else None
    return cleaned, heading_el, more_el


def _more_near(container: etree._Element) -> etree._Element | None:
    """A 更多 link right after the list or among its own children."""
    candidates: list[etree._Element] = []
    node = next_element(container)
    for _ in range(2):
        if node is None:
            break
        candidates.append(node)
        node = next_element(node)
    candidates.append(container)
    for candidate in candidates:
        for a in candidate.iter("a"):
            label = text_of(a)
            if not label:
                for img in a.iter("img"):
                    label = normalise_space(img.get("alt") or "")
                    break
            if label and MORE.match(label.strip()):
                return a
    return None
