"""Ad labels, consultation message lists and 办事指南 element labels of one page.

Three small readers for the issue-12 checks (content.commercial-ads, interaction.unanswered,
service.guide-incomplete). Each is gated on a word the page's visible text must hold (广告,
提问时间, 办事指南 ...), so that the great majority of pages, which hold none, pay a substring
test and nothing else. What is read is recorded as shown; the checks decide with their own
(configurable) word lists what it means: a 公益广告 label is recorded, and excused by the check.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from lxml import etree

from crawler.dates import parse_date
from crawler.facts import Message
from crawler.identifiers import normalise_space

# -- ads ---------------------------------------------------------------------------------------

_AD_WORDS = ("广告", "推广", "赞助")
_AD_TEXTS = etree.XPath(
    "//text()[contains(., '广告') or contains(., '推广') or contains(., '赞助')]"
)
# Brackets, close marks and spaces around a label (【广告】, "广告 ×") are not part of it.
_AD_TRIM = re.compile(r"[\s\[\]【】()（）×xX✕|]+")
_AD_LABEL_MAX = 8  # longer texts are headlines or sentences, not labels
_NOT_SHOWN = frozenset({"script", "style", "title", "option", "textarea", "noscript", "template"})
_CONTEXT_MAX = 80


def _block_text(el: etree._Element) -> str:
    return normalise_space(" ".join(el.itertext()))


def find_ad_labels(root: etree._Element, visible: str) -> tuple[str, ...]:
    """ "label|context" for every short text naming a block as advertising (广告, 推广,
    广告位招租, 公益广告 ...): the label with brackets and close marks trimmed, and the text
    of the block it labels (at most 80 characters)."""
    if not any(word in visible for word in _AD_WORDS):
        return ()
    found: list[str] = []
    for text in _AD_TEXTS(root):
        label = _AD_TRIM.sub("", str(text))
        if not label or len(label) > _AD_LABEL_MAX:
            continue
        parent = text.getparent()
        if parent is not None and text.is_tail:
            parent = parent.getparent()
        if parent is None or not isinstance(parent.tag, str) or parent.tag in _NOT_SHOWN:
            continue
        # The label's block: the nearest ancestor with more to say than the label itself.
        block = parent
        context = _block_text(block)
        for _ in range(3):
            if len(context) > len(label) + 4:
                break
            up = block.getparent()
            if up is None or up.tag in ("body", "html"):
                break
            block = up
            context = _block_text(block)
        entry = f"{label}|{context[:_CONTEXT_MAX]}"
        if entry not in found:
            found.append(entry)
    return tuple(found)


# -- consultation message lists ----------------------------------------------------------------

_ASKED = (
    "提问时间",
    "留言时间",
    "来信时间",
    "咨询时间",
    "写信时间",
    "提交时间",
    "发信时间",
    "信件时间",
)
_ANSWERED = ("回复时间", "答复时间", "回复日期", "答复日期", "办结时间", "反馈时间")
_STATUS = ("办理状态", "回复状态", "处理状态", "答复状态", "状态")
_TITLE = ("标题", "主题", "信件标题", "留言标题", "咨询标题", "事项", "内容")
_LABEL_RE = re.compile("(?P<label>" + "|".join(_ASKED + _ANSWERED + _STATUS) + r")\s*[:：]\s*")
_MESSAGE_ROWS_MAX = 500


def _role(text: str) -> str:
    text = "".join(text.split()).rstrip(":：")
    if len(text) > 8:  # a header names its column; longer texts are values
        return ""
    if any(word in text for word in _ASKED):
        return "asked"
    if any(word in text for word in _ANSWERED):
        return "answered"
    if any(word in text for word in _STATUS):
        return "status"
    if any(word in text for word in _TITLE):
        return "title"
    return ""


def _cells(row: etree._Element) -> list[etree._Element]:
    return [cell for cell in row if cell.tag in ("td", "th")]


def _first_link(el: etree._Element, resolve: Callable[[str], str | None]) -> tuple[str, str]:
    for a in el.iter("a"):
        href = a.get("href")
        url = resolve(href) if href else None
        if url:
            return normalise_space(a.xpath("string()")), url
    return "", ""


def _table_messages(table: etree._Element, resolve: Callable[[str], str | None]) -> list[Message]:
    rows = [row for row in table.iter("tr")]
    for index, row in enumerate(rows[:3]):
        roles = [_role(normalise_space(cell.xpath("string()"))) for cell in _cells(row)]
        if "asked" not in roles or ("answered" not in roles and "status" not in roles):
            continue  # without an answer column, the list cannot say what is unanswered
        out: list[Message] = []
        for body_row in rows[index + 1 : index + 1 + _MESSAGE_ROWS_MAX]:
            cells = _cells(body_row)
            if len(cells) != len(roles):
                continue
            values = {"title": "", "url": "", "asked": "", "answered": "", "status": ""}
            for role, cell in zip(roles, cells, strict=True):
                text = normalise_space(cell.xpath("string()"))
                if role in ("asked", "answered"):
                    values[role] = parse_date(text)
                elif role == "status":
                    values["status"] = text[:20]
                elif role == "title" and not values["title"]:
                    values["title"], values["url"] = _first_link(cell, resolve)
                    values["title"] = values["title"] or text[:200]
            if not values["url"]:
                title, url = _first_link(body_row, resolve)
                values["url"] = url
                values["title"] = values["title"] or title
            if values["asked"]:
                out.append(Message(**values))
        return out
    return []


def _entry_messages(
    entries: Iterable[etree._Element], resolve: Callable[[str], str | None]
) -> list[Message]:
    out: list[Message] = []
    judged = False  # some entry labels an answer time or a status
    for entry in entries:
        text = normalise_space(entry.xpath("string()"))
        labels = list(_LABEL_RE.finditer(text))
        if not labels:
            continue
        judged = judged or any(_role(m.group("label")) != "asked" for m in labels)
        values = {"asked": "", "answered": "", "status": ""}
        for i, match in enumerate(labels):
            end = labels[i + 1].start() if i + 1 < len(labels) else len(text)
            value = text[match.end() : end].strip()
            role = _role(match.group("label"))
            if role in ("asked", "answered") and not values[role]:
                values[role] = parse_date(value)
            elif role == "status" and not values["status"]:
                values["status"] = value.split(" ")[0][:20]
        if not values["asked"]:
            continue
        title, url = _first_link(entry, resolve)
        out.append(Message(title=title or text[:60], url=url, **values))
        if len(out) >= _MESSAGE_ROWS_MAX:
            break
    return out if judged else []


_ENTRY_TAGS = ("li", "dl", "dd", "tr", "div", "p")
_ENTRIES = etree.XPath(
    "//*[" + " or ".join(f"self::{tag}" for tag in _ENTRY_TAGS) + "]["
    + " or ".join(f"contains(., '{word}')" for word in _ASKED) + "]"
)


_ASKED_RE = re.compile("|".join(_ASKED))
# Levels an entry may widen by (a message's block is a few levels above its labels); also
# bounds the work on hostile, deeply nested markup.
_ENTRY_CLIMB = 6


def _entries(root: etree._Element) -> list[etree._Element]:
    """One element per message, however the list nests them: from each innermost element
    (li, dl, dd, tr, div, p) holding a 提问时间 label, up through the ancestors that hold no
    other message's label (so that a status in a sibling paragraph belongs to it)."""
    found = _ENTRIES(root)
    holders: set[etree._Element] = set()
    for el in found:
        parent = el.getparent()
        while parent is not None and parent not in holders:
            holders.add(parent)
            parent = parent.getparent()
    entries: list[etree._Element] = []
    for el in found:
        if el in holders:
            continue
        for _ in range(_ENTRY_CLIMB):
            parent = el.getparent()
            if parent is None or parent.tag in ("body", "html") or len(
                    _ASKED_RE.findall(parent.xpath("string()"))) > 1:
                break
            el = parent
        if el not in entries:
            entries.append(el)
    return entries


def find_messages(
    root: etree._Element, visible: str, resolve: Callable[[str], str | None]
) -> tuple[Message, ...]:
    """The messages of the page's consultation lists: a table whose header row names a
    提问时间 column (and 回复时间/状态 columns), or else the innermost entries (li, dl, dd,
    tr, div, p) whose text labels them (提问时间：2026-01-05 回复时间：… 状态：已回复)."""
    if not any(word in visible for word in _ASKED):
        return ()
    out: list[Message] = []
    for table in root.iter("table"):
        out.extend(_table_messages(table, resolve))
    if not out:
        out.extend(_entry_messages(_entries(root), resolve))
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for message in out:
        key = (message.url, message.title, message.asked)
        if key not in seen:
            seen.add(key)
            unique.append(message)
    return tuple(unique)


# -- 办事指南 ---------------------------------------------------------------------------------

_GUIDE_WORDS = ("办事指南", "服务指南", "办理指南")
_LABEL_TAGS = (
    "th",
    "dt",
    "td",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "b",
    "label",
    "span",
    "em",
)
_PREFIX = re.compile(r"^\s*[【\[]?\s*([\u4e00-\u9fff]{2,10})\s*[】\]]?\s*[:：]")
_LABEL_MAX = 12
_STRIP = re.compile(r"[\s:：【】\[\]（）()、.．·\d一二三四五六七八九十]+")


# A guide of one 事项 names it before the word: 户口迁移办事指南, 个体工商户设立登记服务指南.
# A bare 办事指南 (the column's own page, a menu entry) is not a guide of anything.
_GUIDE_NAME = re.compile(r"[\u4e00-\u9fff（）()A-Za-z0-9]{2,}(?:办事指南|服务指南|办理指南)")
_SEGMENTS = re.compile(r"\s*[-_|—–·]+\s*|\s{2,}")


def is_guide(title: str, headings: Iterable[str]) -> bool:
    """A page giving the 办事指南 of one 事项: a title segment or a heading names an item
    before 办事指南/服务指南/办理指南."""
    for text in (*_SEGMENTS.split(title), *headings):
        if any(word in text for word in _GUIDE_WORDS) and _GUIDE_NAME.search(text):
            return True
    return False


def find_guide_labels(root: etree._Element) -> tuple[str, ...]:
    """The labels a 办事指南 page shows: short texts of headings, table headers and cells,
    definition terms and bold/label spans, and "标签：" prefixes of paragraphs and items."""
    found: dict[str, None] = {}
    for el in root.iter(*_LABEL_TAGS):
        text = el.text
        if el.tag in ("th", "dt", "td", "h1", "h2", "h3", "h4", "h5", "h6"):
            text = el.xpath("string()")
        if not text:
            continue
        label = _STRIP.sub("", text)
        if 2 <= len(label) <= _LABEL_MAX:
            found.setdefault(label, None)
        else:
            match = _PREFIX.match(text)
            if match:
                found.setdefault(match.group(1), None)
    for el in root.iter("p", "li", "div"):
        text = el.text
        if text:
            match = _PREFIX.match(text)
            if match:
                found.setdefault(match.group(1), None)
    return tuple(found)
