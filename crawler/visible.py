"""The visible text of a page and its regions: header, footer, headings.

"Visible" means: text outside <script>/<style>/<noscript>/<template>/<iframe>/<head>, outside
comments, and outside elements hidden inline (style display:none or visibility:hidden, or the
`hidden` attribute). Stylesheet rules are not evaluated. One walk over the tree records the
text as a list of pieces plus the piece ranges of the elements the checks care about, so the
footer, the header and the headings are slices of that one pass.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

from lxml import etree

from crawler.identifiers import normalise_space

ANCHOR_TEXT_MAX = 200
HEADER_TEXT_MAX = 500
FOOTER_TEXT_MAX = 4000
FOOTER_FALLBACK = 1500
# A footer candidate with more text than this is a page wrapper, not a footer: look inside it.
FOOTER_CANDIDATE_MAX = 3000

# Not rendered as text: scripts, styles, fallbacks (noscript, iframe content), Word's <xml>.
_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "xml", "iframe", "object"}
)
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "center", "dd", "details", "dialog",
        "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "option", "p", "pre",
        "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "body",
        "html", "iframe", "img", "select", "textarea", "button",
    }
)  # fmt: skip
_HEADINGS = frozenset({"h1", "h2", "h3"})
_CONTROL_TAGS = frozenset({"a", "select", "button"})
_REGION_TAGS = _HEADINGS | {"footer", "header"}  # a region whatever their name
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

_FOOTER_STRONG = re.compile(r"foot|copyright|banquan|bq", re.IGNORECASE)
_FOOTER_WEAK = re.compile(r"bottom", re.IGNORECASE)
_FOOTER_WORDS = re.compile(
    r"ICP|公网安备|公安(?:机关)?备案|标识码|识别码|版权|主办|承办|copyright|©|\(c\)",
    re.IGNORECASE,
)
_HEADER_PART = re.compile(
    r"^(?:header\w*|head|top|tops|topbar|logo\w*|banner\w*|masthead|site_?name|site_?title)\d*$"
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT_NAME = re.compile(r"[\s_\-]+")

_NOT_FOUND = re.compile(
    r"页面不存在|网页不存在|页面未找到|页面找不到|页面已(?:被)?删除|页面丢失"
    r"|找不到.{0,8}(?:页面|网页|文件|内容|资源|链接|网址|地址)"
    r"|您(?:所|要)?访问的(?:页面|网页|内容|文章|信息)(?:不存在|已|暂时)"
    r"|抱歉\s*[，,!！]?\s*您(?:所|要)?(?:访问|查找|请求)的(?:页面|网页)"
    r"|404\s*not\s*found|not\s*found\s*404|404\s*(?:错误|error)|(?:错误|error)\s*404",
    re.IGNORECASE,
)
_BARE_404 = re.compile(r"^\W*(?:(?:http|error|错误)\s*)?404(?:$|[\s\-_|:：!！.。,，(（])", re.I)
NOT_FOUND_SHORT_PAGE = 2000
NOT_FOUND_HEAD = 300

_NON_DIGITS = re.compile(r"\D+")


def _is_cjk(char: str) -> bool:
    return "\u4e00" <= char <= "\u9fff" or "\u3400" <= char <= "\u4dbf"


def _is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


@dataclass(slots=True)
class Region:
    kind: str  # "footer", "footer-weak", "header", "heading", "item" (a marked element)
    start: int  # index into Walk.pieces
    end: int = -1


@dataclass(slots=True)
class Walk:
    """The visible text of a tree as a list of pieces, with the piece ranges of the regions
    of interest (footer and header candidates, headings) and header image labels."""

    pieces: list[str] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    header_images: list[tuple[int, str]] = field(default_factory=list)  # (piece index, label)
    # Piece ranges [start, end) of the text of links and form controls (<a>, <select>,
    # <button>), outermost only: what a reader clicks rather than reads (see content_length).
    controls: list[tuple[int, int]] = field(default_factory=list)
    _offsets: list[int] = field(default_factory=list)

    def text(self, start: int = 0, end: int | None = None) -> str:
        return "".join(self.pieces[start:end])

    def offsets(self) -> list[int]:
        """offsets[i] = characters before piece i; offsets[-1] = total (computed once)."""
        if len(self._offsets) != len(self.pieces) + 1:
            self._offsets = list(accumulate(map(len, self.pieces), initial=0))
        return self._offsets


def is_hidden(el: etree._Element) -> bool:
    if el.get("hidden") is not None:
        return True
    style = el.get("style")
    if not style:
        return False
    # Substring test first: inline styles are everywhere (office exports) and rarely hide.
    lowered = style.lower()
    return ("none" in lowered or "hidden" in lowered) and _HIDDEN_STYLE.search(lowered) is not None


@lru_cache(maxsize=4096)
def _classify(tag: str, name: str) -> str | None:
    """Region kind of an element from its tag and its `id class` string. Memoised: a site's
    pages repeat the same few hundred names, and the patterns cost more than the lookup."""
    if tag in _HEADINGS:
        return "heading"
    if tag == "footer":
        return "footer"
    if tag == "header":
        return "header"
    if len(name) <= 1:
        return None
    if _FOOTER_STRONG.search(name):
        return "footer"
    if _FOOTER_WEAK.search(name):
        return "footer-weak"
    parts = _SPLIT_NAME.split(_CAMEL.sub(" ", name).lower())
    if any(_HEADER_PART.match(part) for part in parts if part):
        return "header"
    return None


def label_of(el: etree._Element) -> str:
    """What an image or a logo link says: alt, title or aria-label."""
    label = el.get("alt") or el.get("title") or el.get("aria-label") or ""
    return normalise_space(label)[:ANCHOR_TEXT_MAX]


_SKIPPED = -2  # stack entry of an element whose content the walk does not enter
_NO_REGION = -1


def _boundary_space(last: str, first: str) -> bool:
    """Office-exported HTML splits runs by script (CJK font vs Latin font) into separate
    elements; readers see a gap there (赣 ICP 备 17015617 号), so we keep one."""
    return (_is_cjk(last) and _is_latin(first)) or (_is_latin(last) and _is_cjk(first))


def walk_text(
    root: etree._Element,
    regions: bool = True,
    marked: Collection[etree._Element] = frozenset(),
) -> Walk:
    """Depth-first walk in document order (lxml's iterwalk: no recursion, pages nest deeply).

    Elements in `marked` (list items found beforehand) get an "item" region as well, so that
    text-line readers can tell an item's date from the page's own date line.

    This runs once per page over every element, so the text emission and the hidden-element
    test (`is_hidden`) are written inline, with the state in locals."""
    walk = Walk()
    pieces = walk.pieces
    append = pieces.append
    found = walk.regions
    header_depth = 0
    last = ""  # the last character emitted
    boundary = False  # an element starts or ends between `last` and the next text
    controls = walk.controls
    control_start = -1  # piece index where the open outermost link/control began, -1 none
    # Per open element: its region index (or _NO_REGION, or _SKIPPED), its item region index
    # (or -1), whether it is a block, whether it opened the current control range.
    open_: list[tuple[int, int, bool, bool]] = []
    push, pop = open_.append, open_.pop
    walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            tag = el.tag
            # One call for the attribute names instead of four lookups: a third of the
            # elements have no attributes at all.
            keys = el.keys()
            hidden = tag in _SKIP_TAGS or "hidden" in keys
            if not hidden and "style" in keys:
                style = el.get("style")
                if style:
                    # Substring test first: inline styles are everywhere and rarely hide.
                    lowered = style.lower()
                    hidden = ("none" in lowered or "hidden" in lowered) and (
                        _HIDDEN_STYLE.search(lowered) is not None
                    )
            if hidden:  # nothing visible inside: only its tail shows
                walker.skip_subtree()
                push((_SKIPPED, -1, False, False))
                continue
            boundary = True
            block = tag in _BLOCK_TAGS
            if block:
                append("\n")
                last = "\n"
                boundary = False
            index = _NO_REGION
            item = -1
            if regions:
                ident = el.get("id") if "id" in keys else None
                cls = el.get("class") if "class" in keys else None
                if ident or cls or tag in _REGION_TAGS:
                    name = f"{ident or ''} {cls or ''}"
                    kind = _classify(tag, name)
                else:  # most elements: no name, no region (what _classify would say)
                    name = " "
                    kind = None
                if kind is not None:
                    index = len(found)
                    found.append(Region(kind, len(pieces)))
                    if kind == "header":
                        header_depth += 1
                if tag == "img" or (tag == "a" and header_depth > 0):
                    # Logos: images in the header, anything named logo, and the links around
                    # them (an <a aria-label="中国政府网"> around an image without alt).
                    logo = "logo" in f"{el.get('src') or ''} {name}".lower()
                    if header_depth > 0 or logo:
                        label = label_of(el)
                        if label and (tag == "img" or logo or not el.text):
                            walk.header_images.append((len(pieces), label))
                if marked and el in marked:
                    item = len(found)
                    found.append(Region("item", len(pieces)))
            control = control_start < 0 and tag in _CONTROL_TAGS
            if control:
                control_start = len(pieces)
            push((index, item, block, control))
            text = el.text
        else:
            if event == "end":
                index, item, block, control = pop()
                if control:
                    controls.append((control_start, len(pieces)))
                    control_start = -1
                if index != _SKIPPED:
                    if item >= 0:  # the end of a marked element's text, before its tail
                        found[item].end = len(pieces)
                    if index >= 0:
                        region = found[index]
                        region.end = len(pieces)
                        if region.kind == "header":
                            header_depth -= 1
                    if block:
                        append("\n")
                        last = "\n"
            # comments, processing instructions and ended elements: their tail follows
            boundary = True
            if el is root:
                continue
            text = el.tail
        if text:  # Walk.emit
            # (a gap needs one ASCII and one non-ASCII character: test that first, cheaply)
            if boundary and last and (last < "\x80") != (text[0] < "\x80") and (
                _boundary_space(last, text[0])
            ):
                append(" ")
            boundary = False
            append(text)
            last = text[-1]
    return walk


def content_length(walk: Walk, text: str) -> int:
    """Characters (whitespace excluded) of the page's own text: `text` (the walk's text)
    outside the header and the footer (elements of a header's or footer's size, as
    `footer_text` and `header_text` take them; a header only when it ends in the page's first
    half, a "bottom" block only in its second half), the marked list items, and links and
    form controls (`Walk.controls`).

    What is left is what the page itself says: the paragraphs of an article, the address and
    phone numbers of a 联系我们 page; an empty list page keeps little beyond its breadcrumb
    and headings. Chrome that no markup tells apart (a footer without a telling name) counts."""
    offsets = walk.offsets()
    half = offsets[-1] // 2
    spans = [(offsets[a], offsets[b]) for a, b in walk.controls]
    for region in walk.regions:
        kind = region.kind
        if region.end < 0 or kind == "heading":
            continue
        start, end = offsets[region.start], offsets[region.end]
        if kind != "item":
            if (
                end - start > 20 * FOOTER_CANDIDATE_MAX
                or (kind == "footer-weak" and start < half)
                or (kind == "header" and end > half)
            ):
                continue  # a page wrapper, or a "bottom" block that is part of the content
            if end - start > FOOTER_CANDIDATE_MAX and (
                len(normalise_space(text[start:end])) > FOOTER_CANDIDATE_MAX
            ):
                continue
        spans.append((start, end))
    spans.sort()
    count = 0
    at = 0
    for start, end in spans:
        if start > at:
            count += _solid(text[at:start])
        at = max(at, end)
    return count + _solid(text[at:])


def _solid(text: str) -> int:
    """Characters of `text` that are not whitespace (split and join run in C: four times
    faster than summing the regex's whitespace runs)."""
    return len("".join(text.split()))


def _region_text(walk: Walk, region: Region) -> str:
    return normalise_space(walk.text(region.start, region.end)) if region.end >= 0 else ""


def footer_text(walk: Walk, total: str, script_texts: list[str]) -> str:
    """Outermost footer-like elements (a <footer>, id/class with foot/copyright/bq/banquan,
    or bottom when it sits in the second half of the page or names the owner), plus markup
    written by scripts that carries identifiers; else the end of the visible text.

    When that is too long, the parts that name the owner or carry identifiers come first:
    footers often open with a long list of links to other governments' sites."""
    offsets = walk.offsets()
    half = len(walk.pieces) // 2
    chosen: list[str] = []
    covered_until = -1
    for region in walk.regions:
        if region.kind not in ("footer", "footer-weak") or region.start < covered_until:
            continue
        if offsets[region.end] - offsets[region.start] > 20 * FOOTER_CANDIDATE_MAX:
            continue  # a wrapper whatever its whitespace: look at its inner candidates
        text = _region_text(walk, region)
        if not text or len(text) > FOOTER_CANDIDATE_MAX:
            continue  # empty, or a wrapper: its inner candidates are considered next
        weak = region.kind == "footer-weak" and region.start < half
        if weak and not _FOOTER_WORDS.search(text):
            continue  # a "bottom" block in the first half: part of the content
        chosen.append(text)
        covered_until = region.end
    chosen += [text for text in script_texts if text]
    if not any(_FOOTER_WORDS.search(text) for text in chosen):
        chosen = [normalise_space(total[-FOOTER_FALLBACK:])]
    if sum(len(text) + 1 for text in chosen) > FOOTER_TEXT_MAX:
        chosen.sort(key=lambda text: _FOOTER_WORDS.search(text) is None)  # stable
    return " ".join(chosen)[:FOOTER_TEXT_MAX]


def header_text(walk: Walk, meta: dict[str, str]) -> str:
    """Site name area: meta SiteName, logo image labels, then header-like elements near the top
    (the first quarter of the page, at least its first 3000 characters)."""
    offsets = walk.offsets()
    limit = max(3000, offsets[-1] // 4)
    parts: list[str] = []
    sitename = meta.get("sitename", "")
    if sitename:
        parts.append(sitename)
    for index, label in walk.header_images:
        if offsets[index] <= limit and label not in parts:
            parts.append(label)
    covered_until = -1
    for region in walk.regions:
        if region.kind != "header" or region.start < covered_until:
            continue
        if offsets[region.start] > limit or sum(len(p) for p in parts) >= HEADER_TEXT_MAX:
            break
        end = region.end if region.end >= 0 else len(walk.pieces)
        # Enough pieces for the first 500 characters; a header wrapping the page is cut short.
        stop = region.start
        while stop < end and offsets[stop] - offsets[region.start] < 4 * HEADER_TEXT_MAX:
            stop += 1
        text = normalise_space(walk.text(region.start, stop))
        if text:
            parts.append(text[:HEADER_TEXT_MAX])
        covered_until = end
    return " | ".join(parts)[:HEADER_TEXT_MAX]


def says_not_found(title: str, walk: Walk, text: str) -> bool:
    if _NOT_FOUND.search(title) or _BARE_404.match(title):
        return True
    if len(text) >= NOT_FOUND_SHORT_PAGE:
        return False
    if _NOT_FOUND.search(text[:NOT_FOUND_HEAD]):
        return True
    headings = (_region_text(walk, r) for r in walk.regions if r.kind == "heading")
    return any(_BARE_404.match(heading) for heading in headings)


def text_digest(text: str) -> str:
    # The text without its digits; joining the runs of non-digits is twice as fast as
    # deleting the runs of digits with re.sub.
    folded = normalise_space("".join(_NON_DIGITS.findall(text)))
    return hashlib.sha1(folded.encode("utf-8", errors="replace")).hexdigest()[:16]
