"""One pass over a parsed page for what lists and navigation start from.

Walking the tree from Python costs a proxy object per element, so the two questions that need
every element (which texts may hold a date, which elements are named like a menu or a header)
share one walk instead of one each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from lxml import etree

from crawler.dom import SKIP_TAGS

# A digit, a separator, a digit; or a bracket then a digit ([11-01]). The date patterns proper
# run on what passes.
# Written to start with a character set (the lookbehinds say which branch applies) so that
# the regex engine skips ahead in C to the next digit or bracket; it runs on every text of the
# page. The same as r"\d\s{0,2}[-/.年月]\s{0,2}\d|[\[(（【]\s{0,2}\d".
_MAY_BE_DATE = re.compile(
    r"[\d\[(（【](?:(?<=\d)\s{0,2}[-/.年月]\s{0,2}\d|(?<=[\[(（【])\s{0,2}\d)"
)
# Longer texts (stripped) are running text, never a date field (crawler.lists): they are not
# collected, which spares the pattern the page's paragraphs.
DATE_TEXT_MAX = 80
# Parts of the names of menus, breadcrumbs and headers (lower case; words are checked later).
_NAME_HINT = re.compile(
    r"nav|menu|daohang|dh|lanmu|lm|column|side|crumb|location|position|pos|place|weizhi"
    r"|dqwz|mbx|head|top|masthead|sublist"
)


@dataclass(slots=True)
class PageScan:
    # (element whose content holds the text, the text): short texts that may hold a date.
    date_texts: list[tuple[etree._Element, str]] = field(default_factory=list)
    # <nav>, <header> and elements whose id/class hints at a menu or a header, in order.
    named: list[etree._Element] = field(default_factory=list)
    # Scripts holding list records that the page's script renders (Hanweb's jpage:
    # <script type="text/xml"><datastore><recordset><record><![CDATA[<li>…]]>).
    records: list[etree._Element] = field(default_factory=list)


@lru_cache(maxsize=4096)
def _hints(ident: str | None, cls: str | None) -> bool:
    # memoised: a site's pages repeat the same names
    return _NAME_HINT.search(f"{ident or ''} {cls or ''}".lower()) is not None


def _may_be_date(text: str) -> bool:
    """A short text (see DATE_TEXT_MAX) that passes the date pre-filter."""
    if len(text) > DATE_TEXT_MAX and len(text.strip()) > DATE_TEXT_MAX:
        return False
    return _MAY_BE_DATE.search(text) is not None


def scan_page(root: etree._Element) -> PageScan:
    scan = PageScan()
    may_be_date = _may_be_date
    hint = _hints
    dates = scan.date_texts
    named = scan.named
    for el in root.iter():
        tag = el.tag
        if isinstance(tag, str):
            if tag == "script":
                if el.text and "<recordset" in el.text:
                    scan.records.append(el)
            elif tag not in SKIP_TAGS:
                text = el.text
                if text and may_be_date(text):
                    dates.append((el, text))
            if tag == "nav" or tag == "header":
                named.append(el)
            else:
                keys = el.keys()  # cheaper than two lookups (many elements have none)
                if keys:
                    ident = el.get("id") if "id" in keys else None
                    cls = el.get("class") if "class" in keys else None
                    if (ident or cls) and hint(ident, cls):
                        named.append(el)
        text = el.tail
        if text and may_be_date(text):
            parent = el.getparent()
            if parent is not None and parent.tag not in SKIP_TAGS:
                dates.append((parent, text))
    return scan
