"""The 已归档 label of an archived page (seed 001 第十五条, seed 002 第八条(四)).

Only a label a visitor sees counts. Not labels: text hidden inline (style display:none, the
hidden attribute) or in a script/template, a stamp whose switch attribute says it is off
(data-isarchives="0"), an image's alt, a navigation link (<a>冬奥场馆建设（已归档）</a> marks a
column, not this page), and prose that talks about labels (a regulation quoting “已归档”).
The archive time is a date in the label's block: 归档时间：2026-01-05, 2026年1月5日 归档.
"""

from __future__ import annotations

import re

from lxml import etree

from crawler.dates import find_date_matches
from crawler.dom import ancestors, hidden_inline, never_shown
from crawler.facts import ArchiveLabel
from crawler.identifiers import normalise_space
from crawler.visible import walk_text

_TEXTS = etree.XPath("//text()[contains(., '归档') or contains(., '歸檔')]")
_LABEL = re.compile(
    r"已\s{0,2}(?:作\s{0,2})?(?:归\s{0,2}档|歸\s{0,2}檔)|(?:归档|歸檔)\s{0,2}(?:时间|日期|時間)"
    r"|已于.{0,16}(?:归档|歸檔)"
)
_QUOTED = re.compile(r"[“\"「『‘']\s{0,2}$")
_TIME_AFTER = re.compile(r"(?:归档|歸檔)\s{0,2}(?:时间|日期|時間|于|於)?\s{0,3}[:：﹕]?\s{0,3}")
_BEFORE_LABEL = re.compile(r"\s{0,3}(?:已\s{0,2})?(?:归档|歸檔)")
_OTHER_LABEL = re.compile(r"(?:发布|發布|成文|更新|生成|印发|发文)\S{0,3}\s{0,2}[:：]?\s{0,3}$")
_BLOCKS = frozenset(
    {"div", "p", "li", "td", "th", "dd", "dt", "section", "article", "header", "aside", "h1",
     "h2", "h3", "h4", "h5", "h6", "center", "blockquote", "form", "body", "table", "tr"}
)  # fmt: skip
LABEL_TEXT_MAX = 200
# A label is a stamp, not a paragraph: longer blocks, or ones with a full stop, are prose.
_PROSE_MIN = 120
_SWITCH_LEVELS = 5


def _switched_off(chain: list[etree._Element]) -> bool:
    """A template's archive stamp whose own attribute says the page is not archived."""
    for node in chain[:_SWITCH_LEVELS]:
        for name, value in node.attrib.items():
            if "archive" in name.lower() and value.strip().lower() in ("0", "false", "no", "n", ""):
                return True
    return False


def find_archive_label(root: etree._Element, nav: set[etree._Element]) -> ArchiveLabel | None:
    for text in _TEXTS(root):
        value = str(text)
        match = _LABEL.search(value)
        if match is None or _QUOTED.search(value, 0, match.start()):
            continue
        owner = text.getparent()
        el = owner.getparent() if text.is_tail else owner
        if el is None:
            continue
        chain = ancestors(el)
        if never_shown(chain) or hidden_inline(chain) or _switched_off(chain):
            continue
        if any(node.tag == "a" or node in nav for node in chain):
            continue
        block = next((node for node in chain if node.tag in _BLOCKS), el)
        shown = normalise_space(walk_text(block, regions=False).text())
        if len(shown) > LABEL_TEXT_MAX:
            shown = normalise_space(value)
        if len(shown) > _PROSE_MIN or ("。" in shown and len(shown) > 40):
            continue
        if _LABEL.search(shown) is None:
            continue  # the label is in a part of the block that is not shown
        return ArchiveLabel(text=shown[:LABEL_TEXT_MAX], time=archive_time(shown))
    return None


def archive_time(text: str) -> str:
    """The archive time in a label's text: after 归档时间, just before 归档, else the first
    date that is not labelled as another time (发布时间, 成文日期)."""
    dates = find_date_matches(text)
    if not dates:
        return ""
    for match in _TIME_AFTER.finditer(text):
        for date in dates:
            if date.start == match.end():
                return date.value
    dates = [d for d in dates if _OTHER_LABEL.search(text, max(0, d.start - 10), d.start) is None]
    for date in dates:
        if _BEFORE_LABEL.match(text, date.end):
            return date.value
    return dates[0].value if dates else ""
