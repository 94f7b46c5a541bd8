"""An article's publication time and source, and placeholder pages, from the visible text.

Article templates show an info bar near the title: "发布时间：2026-11-01 09:30 来源：市政府办",
"日期：2024-09-27 15:28", "( 2024-05-11)", "2024年05月10日06:58 | 来源：人民网", a label on one
line and its value on the next. We read the visible text line by line (block elements end a
line), skipping the footer and the page's list items (their dates are the items', not the
page's), and pick, in order of trust:

1. a date after a strong label (发布时间, 发布日期, 时间发布, ...), anywhere;
2. a date after a weak label (时间, 日期) or a line holding only a date, in the info zone:
   around the 来源 line, or between the title (the <h1>, meta ArticleTitle, the start of
   <title>) and the first paragraph of text; weak labels must start a word, so 开始时间,
   留言时间, 成文日期 are not labels, and a date alone under such a label is its value;
3. a weak-labelled date on a short line anywhere;
4. else the meta PubDate (publishdate, firstpublishedtime, ...): "meta".

Header "today" widgets (今天是…星期六) and CMS stamps (页面生成时间) never match (crawler.dates),
and a date inside a sentence is no date line, so the dates in a regulation's body never count.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from crawler.dates import find_date_matches, parse_meta_date
from crawler.facts import ListBlock
from crawler.identifiers import normalise_space
from crawler.visible import FOOTER_CANDIDATE_MAX, Walk

# Meta names of a publication time, in order of preference. `others` (页面生成时间) is not one.
PUBDATE_META = (
    "pubdate", "publishdate", "firstpublishedtime", "published", "publishtime",
    "publish_time", "releasedate", "article:published_time", "dc.date",
)  # fmt: skip
SOURCE_META = ("contentsource", "source", "copyfrom")

_COLON = r"\s{0,3}[:：﹕]?\s{0,3}"
_STRONG = re.compile(
    r"(?:(?:发布|發布|發佈|发表|發表|发稿|發稿|刊发|录入|錄入|上传|上傳|添加|创建)\s{0,2}"
    r"(?:时间|時間|日期)|时间发布|時間發布|发布于|發布於)" + _COLON
)
# Weak labels must start a word (开始时间, 成文日期 are other labels): checked in Python, since
# a leading look-behind makes the regex engine try every position of the page.
_WEAK = re.compile(r"(?:时\s{0,2}间|時\s{0,2}間|日\s{0,2}期|发布|發布)" + _COLON)
_SOURCE_CORE = re.compile(r"(?:来|來)\s{0,3}源\s{0,3}[:：﹕]")
_SOURCE_PREFIXES = ("信息", "文章", "稿件", "新闻", "新聞", "内容", "內容", "资料", "消息")
_SOURCE = re.compile(
    r"(?:信息|文章|稿件|新闻|新聞|内容|內容|资料|消息)?(?:来|來)\s{0,3}源\s{0,3}[:：﹕]"
)
# Where a source value ends: the next label, a bracket, a bar, a wide gap.
_SOURCE_END = re.compile(
    r"\s{2,}|[|｜【】\[\]]|(?:发布|發布)?\s{0,2}(?:时间|時間|日期)\s{0,2}[:：]"
    r"|(?:作\s{0,2}者|编\s{0,2}辑|編\s{0,2}輯|责任编辑|責任編輯|责编|浏览(?:次数|量)?"
    r"|瀏覽(?:次數|量)?|点击(?:数|率|量)?|點擊(?:數|率|量)?|阅读(?:数|量|次数)?|访问(?:量|次数)?"
    r"|字\s{0,2}号|字\s{0,2}體|字\s{0,2}体|发布机构|發布機構|撰稿|摄影|审核|校对|供稿)\s{0,2}[:：]"
    r"|分享到|打印|【"
)
_VALUE_STRIP = " \t\u3000\xa0:：﹕,，;；、-—–·|｜"
_LABEL_START = re.compile(r"^\S{1,8}\s{0,2}[:：﹕]")
_NOT_VALUE = re.compile(r"^(?:分享|打印|关闭|字号|字体|微信|微博|【|\[|扫一扫|收藏|返回)")
# What may surround a date that stands alone on its line.
_BULLETS = " \t\u3000\xa0•·●◆■▪►▶-—|｜[]【】()（）<>"
_INFO_AFTER = re.compile(
    r"^[\s|｜/]*(?:(?:信息|文章)?(?:来|來)\s{0,2}源|作\s{0,2}者|浏览|瀏覽|点击|點擊|编辑|編輯|阅读|閱讀"
    r"|访问|訪問|字号|字體|字体|发布机构|發布機構|责任编辑|【|$)"
)
_NOT_DATE_LINE = re.compile(r"今天|今日|星期|礼拜")
_PLACEHOLDER = re.compile(
    r"暂无(?:相关)?(?:信息|数据|内容|记录|文章|资料|公开信息|政策|公告|新闻|动态)"
    r"|(?:正在|页面|栏目|该栏目|本栏目|网站)(?:正在)?(?:建设|维护|更新)中|^[^\S\n]*\W{0,3}建设中"
    r"|本栏目暂无|此栏目暂无|栏目维护|内容(?:正在)?更新中",
    re.MULTILINE,
)
_PLACEHOLDER_HINTS = ("暂无", "建设中", "维护中", "更新中", "栏目维护")
PLACEHOLDER_LINE_MAX = 30
SOURCE_LINE_MAX = 200
SOURCE_LABEL_AT_MAX = 60
NEXT_VALUE_MAX = 25
# The info zone, in characters: around the 来源 line, after the title line.
ZONE_AROUND_SOURCE = 160
ZONE_AFTER_TITLE = 240
SHORT_LINE = 40
PARAGRAPH_MIN = 60
_TIME_LABEL_END = re.compile(r"(?:时\s{0,2}间|時\s{0,2}間|日\s{0,2}期)\s{0,3}[:：﹕]$")
_TITLE_PARTS = re.compile(r"\s*(?:_|\||｜|--|—|－|-\s|\s-)\s*")


@dataclass(frozen=True, slots=True)
class ArticleFacts:
    published: str = ""
    published_from: str = ""  # "visible" | "meta" | ""
    source: str = ""
    placeholder: bool = False
    date_line: bool = False  # a visible publication date line (not only meta)


class PageText:
    """The visible text with its lines found on demand (no per-line work: pages have
    thousands of lines and we look at a handful), and the spans to ignore: the footer (a
    footer-like element of reasonable size) and the page's list items."""

    __slots__ = ("control_ends", "control_starts", "ends", "piece_starts", "starts", "text")

    def __init__(self, walk: Walk, text: str | None = None) -> None:
        self.text = walk.text() if text is None else text  # the walk's text, when at hand
        offsets = walk.offsets()
        # Where elements begin and end in the text (every piece starts at one), and the
        # spans of links and controls (in document order, so sorted and disjoint).
        self.piece_starts = offsets
        self.control_starts = [offsets[start] for start, _ in walk.controls]
        self.control_ends = [offsets[end] for _, end in walk.controls]
        spans: list[tuple[int, int]] = []
        for region in walk.regions:
            if region.end < 0:
                continue
            start, end = offsets[region.start], offsets[region.end]
            if region.kind == "item" or (region.kind == "footer" and self._footer(start, end)):
                spans.append((start, end))
        spans.sort()
        self.starts = [start for start, _ in spans]
        self.ends: list[int] = []
        reach = -1
        for _, end in spans:
            reach = max(reach, end)
            self.ends.append(reach)  # the furthest end of the spans starting up to here

    def _footer(self, start: int, end: int) -> bool:
        """A footer-like element the size of a footer (a wrapper named "foot" is not one)."""
        if end - start > 20 * FOOTER_CANDIDATE_MAX:
            return False
        return len(normalise_space(self.text[start:end])) <= FOOTER_CANDIDATE_MAX

    def value_end(self, start: int, end: int) -> int:
        """Where a value that begins at `start` (its first visible character) ends, at most at
        `end`: at the end of the link it is the text of, else where the next link or control
        begins, or where another element's text begins after a space (a value is one run of
        text; 打印, 关闭, 分享 follow it as elements of their own, whatever the spacing)."""
        index = bisect.bisect_right(self.control_starts, start) - 1
        if index >= 0 and self.control_ends[index] > start:  # the value is a link's text
            return min(end, self.control_ends[index])
        if index + 1 < len(self.control_starts):
            end = min(end, max(start + 1, self.control_starts[index + 1]))
        text = self.text
        offsets = self.piece_starts
        at = bisect.bisect_right(offsets, start)
        while at < len(offsets) and offsets[at] < end:
            boundary = offsets[at]
            if (text[boundary - 1].isspace() or text[boundary].isspace()) and (
                text[boundary:end].strip()
            ):
                return boundary
            at += 1
        return end

    def excluded(self, position: int) -> bool:
        index = bisect.bisect_right(self.starts, position) - 1
        return index >= 0 and self.ends[index] > position

    def line(self, position: int) -> tuple[int, int]:
        """(start, end) of the line holding `position`, surrounding whitespace excluded."""
        text = self.text
        start = text.rfind("\n", 0, position) + 1
        end = text.find("\n", position)
        if end < 0:
            end = len(text)
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        return start, end

    def next_line(self, end: int) -> tuple[int, int] | None:
        """The next non-empty line after position `end` (None at the end or in a span)."""
        match = _NON_BLANK.search(self.text, end)
        if match is None or self.excluded(match.start()):
            return None
        return self.line(match.start())

    def previous_line(self, start: int) -> tuple[int, int] | None:
        text = self.text
        at = start - 1
        while at >= 0 and text[at].isspace():
            at -= 1
        return self.line(at) if at >= 0 else None


_NON_BLANK = re.compile(r"\S")


def read_article(
    page: PageText, title: str, meta: dict[str, str], headings: list[str]
) -> ArticleFacts:
    source, source_line = _source(page)
    if not source:
        source = next((meta[name] for name in SOURCE_META if meta.get(name)), "")
    zones: list[tuple[int, int]] = []
    if source_line is not None:
        zones.append((source_line[0] - ZONE_AROUND_SOURCE, source_line[1] + ZONE_AROUND_SOURCE))
    for end in _title_ends(page, title, meta, headings):
        zones.append((end, _info_end(page, end)))
    published = _visible_date(page, zones)
    placeholder = _placeholder(page)
    if published:
        return ArticleFacts(published, "visible", source, placeholder, True)
    for name in PUBDATE_META:
        value = parse_meta_date(meta.get(name, ""))
        if value:
            return ArticleFacts(value, "meta", source, placeholder, False)
    return ArticleFacts("", "", source, placeholder, False)


def _info_end(page: PageText, start: int) -> int:
    """Where the info bar after a title ends: at most ZONE_AFTER_TITLE characters on, and
    before the first line that reads like a paragraph (long, or a sentence: a date line below
    the body is the document's signature, not the publication time)."""
    limit = min(len(page.text), start + ZONE_AFTER_TITLE)
    at = start
    while at < limit:
        line = page.next_line(at)
        if line is None or line[0] >= limit:
            break
        if line[1] - line[0] > PARAGRAPH_MIN or "。" in page.text[line[0] : line[1]]:
            return line[0]
        at = line[1]
    return limit


def _starts_word(text: str, at: int) -> bool:
    """No letter before `at` (开始时间, 图文来源), or the end of a date or time (13时44分来源)."""
    if at == 0:
        return True
    before = text[at - 1]
    if before.isdigit() or before in "分秒日号":
        return True
    return not (before.isalnum() or before == "_")


def _placeholder(page: PageText) -> bool:
    if not any(word in page.text for word in _PLACEHOLDER_HINTS):
        return False
    for match in _PLACEHOLDER.finditer(page.text):
        start, end = page.line(match.start())
        if end - start <= PLACEHOLDER_LINE_MAX and not page.excluded(start):
            return True
    return False


# ---------------------------------------------------------------------------------------------
# 来源


def _source(page: PageText) -> tuple[str, tuple[int, int] | None]:
    """(value as displayed, line span) of the first 来源 line; ("", None) without one."""
    text = page.text
    if "源" not in text:
        return "", None
    for match in _SOURCE_CORE.finditer(text):
        at = match.start()
        if text[max(0, at - 2) : at] in _SOURCE_PREFIXES:
            at -= 2
        if not _starts_word(text, at):
            continue  # 图文来源
        start, end = page.line(at)
        if end - start > SOURCE_LINE_MAX or at - start > SOURCE_LABEL_AT_MAX:
            continue
        if page.excluded(at):
            continue
        rest = text[match.end() : end]
        if rest.strip():
            return _source_value(page, match.end(), end), (start, end)
        # The value on the next line (label and value in separate blocks).
        following = page.next_line(end)
        if following is None:
            return "", (start, end)
        value = text[following[0] : following[1]]
        again = _SOURCE.match(value)
        if again is not None:  # "来源：" then "来源：省文化和旅游厅"
            return _source_value(page, following[0] + again.end(), following[1]), (
                start,
                following[1],
            )
        if len(value) > NEXT_VALUE_MAX or _LABEL_START.match(value) or _NOT_VALUE.match(value):
            return "", (start, end)
        if any(mark in value for mark in "。，；！？"):
            return "", (start, end)  # a sentence of the body, not a source
        if find_date_matches(value):
            return "", (start, end)
        return _source_value(page, following[0], following[1]), (start, following[1])
    return "", None


def _source_value(page: PageText, begin: int, end: int) -> str:
    """The 来源 value in `page.text[begin:end]` (what follows the label on its line): up to
    the next label or separator (`_SOURCE_END`), and to where its element ends
    (`PageText.value_end`); brackets are stripped only when unbalanced."""
    text = page.text
    while begin < end and text[begin].isspace():
        begin += 1
    if begin >= end:
        return ""
    value = text[begin : page.value_end(begin, end)]
    cut = _SOURCE_END.search(value)
    if cut is not None:
        value = value[: cut.start()]
    value = _strip_value(value)
    while True:  # a template that repeats its own label: 来源： 来源：省文化和旅游厅
        again = _SOURCE.match(value)
        if again is None:
            break
        value = _strip_value(value[again.end() :])
    return normalise_space(value)


_OPENING = "(（"
_CLOSING = ")）"


def _strip_value(value: str) -> str:
    """`value` without separators and spaces at its ends, nor a bracket there that does not
    pair within it, nor a pair of brackets around all of it: （市农业农村局） and （市农业农村局
    give 市农业农村局, 市农业农村局（市乡村振兴局） stays whole."""
    while True:
        value = value.strip(_VALUE_STRIP)
        if not value or (value[0] not in _OPENING and value[-1] not in _CLOSING):
            return value
        last = len(value) - 1
        partner: dict[int, int] = {}  # opening index -> closing index
        stack: list[int] = []
        unpaired_last = False
        for at, ch in enumerate(value):
            if ch in _OPENING:
                stack.append(at)
            elif ch in _CLOSING:
                if stack:
                    partner[stack.pop()] = at
                elif at == last:
                    unpaired_last = True
        if value[0] in _OPENING and 0 not in partner:
            value = value[1:]
        elif unpaired_last:
            value = value[:-1]
        elif partner.get(0) == last:
            value = value[1:-1]
        else:
            return value


# ---------------------------------------------------------------------------------------------
# 发布时间


def _title_ends(page: PageText, title: str, meta: dict[str, str], headings: list[str]) -> list[int]:
    """Where the article's title line ends (the <h1>, meta ArticleTitle, or the first part of
    <title> shown as a line of its own)."""
    wanted = [normalise_space(h) for h in headings if len(h) >= 6]
    if meta.get("articletitle"):
        wanted.append(normalise_space(meta["articletitle"]))
    first = _TITLE_PARTS.split(title, maxsplit=1)[0].strip()
    if len(first) >= 6:
        wanted.append(first)
    ends: list[int] = []
    text = page.text
    for value in dict.fromkeys(wanted):
        at = text.find(value)
        tries = 0
        while at >= 0 and tries < 5:
            start, end = page.line(at)
            if normalise_space(text[start:end]) == value and not page.excluded(start):
                ends.append(end)
                break
            at = text.find(value, at + 1)
            tries += 1
    return ends


def _labelled(page: PageText, match: re.Match[str]) -> str:
    """The date right after a label (or alone at the start of the next line)."""
    text = page.text
    start, end = page.line(match.start())
    rest = text[match.end() : end]
    if rest.strip(_BULLETS):
        # Dates of the whole line, so that the label is the date's context (a weekday after a
        # labelled date does not make it a "today" widget).
        offset = match.end() - start
        dates = [d for d in find_date_matches(text[start:end]) if d.start >= offset]
        if dates and not rest[: dates[0].start - offset].strip(_BULLETS):
            return _with_time(page, dates[0].value, start + dates[0].end, end)
        return ""
    following = page.next_line(end)
    if following is None:
        return ""
    return _date_only_with_time(page, *following)


def _date_only_with_time(page: PageText, start: int, end: int) -> str:
    """`_date_only` of the line `page.text[start:end]`, with a time from the next line."""
    line = page.text[start:end]
    value = _date_only(line)
    if not value:
        return ""
    return _with_time(page, value, start + find_date_matches(line)[0].end, end)


# A time alone at the start of a line: "15:30:00", "15时30分".
_TIME_ALONE = re.compile(
    r"(?P<H>[01]?\d|2[0-3])\s{0,2}[:：时時]\s{0,2}(?P<M>[0-5]\d)(?:\s{0,2}分)?"
    r"(?:\s{0,2}[:：]\s{0,2}[0-5]\d(?:\.\d+)?(?:\s{0,2}秒)?)?(?!\d)"
)


def _with_time(page: PageText, value: str, date_end: int, line_end: int) -> str:
    """`value` (a date) with the time that follows it on the next line when nothing else
    follows it on its own: Word-exported pages put "2024-03-11" and "15:30:00" in separate
    text runs, and a line break or a source newline between them splits the line."""
    if "T" in value or value.startswith("--") or page.text[date_end:line_end].strip(_BULLETS):
        return value
    following = page.next_line(line_end)
    if following is None:
        return value
    time = _TIME_ALONE.match(page.text, following[0], following[1])
    if time is None or not _INFO_AFTER.match(
        page.text[time.end() : following[1]].strip(_BULLETS + "：:")
    ):
        return value  # no time, or a time in a sentence (15:30 召开会议)
    return f"{value}T{int(time.group('H')):02d}:{time.group('M')}"


def _date_only(text: str) -> str:
    """The date of a line that holds only a date (and maybe the info bar after it)."""
    if _NOT_DATE_LINE.search(text):
        return ""
    dates = find_date_matches(text)
    if not dates:
        return ""
    first = dates[0]
    if text[: first.start].strip(_BULLETS):
        return ""
    if not _INFO_AFTER.match(text[first.end :].strip(_BULLETS + "：:")):
        return ""
    return first.value


def _visible_date(page: PageText, zones: list[tuple[int, int]]) -> str:
    text = page.text
    for match in _STRONG.finditer(text):
        if not page.excluded(match.start()):
            value = _labelled(page, match)
            if value:
                return value
    # In the info zone: a weak label, or a line holding only a date; first in the page.
    found: list[tuple[int, str]] = []
    short_weak: tuple[int, str] | None = None
    for match in _WEAK.finditer(text):
        at = match.start()
        if not _starts_word(text, at) or page.excluded(at):
            continue
        value = _labelled(page, match)
        if not value:
            continue
        if any(start <= at < end for start, end in zones):
            found.append((at, value))
            break
        start, end = page.line(at)
        if short_weak is None and end - start <= SHORT_LINE:
            short_weak = (at, value)
    for zone_start, zone_end in zones:
        for date in find_date_matches(text[max(0, zone_start) : zone_end]):
            at = max(0, zone_start) + date.start
            if page.excluded(at):
                continue
            start, end = page.line(at)
            value = _date_only_with_time(page, start, end)
            if not value:
                continue
            # A date alone under "开始时间：" is that label's value, not the page's date.
            previous = page.previous_line(start)
            if previous is not None and _TIME_LABEL_END.search(text, *previous):
                continue
            found.append((start, value))
            break
    if found:
        return min(found)[1]
    return short_weak[1] if short_weak is not None else ""


# ---------------------------------------------------------------------------------------------
# What kind of page


LIST_MAIN_MIN = 2  # entries of a column page's list, at least
LIST_MAIN_SHARE = 0.5  # of all list entries on the page (a home page spreads them over boxes)
LIST_BOXES_MAX = 2  # lists of 3+ entries on a column page: its own, and a sidebar or two
ARTICLE_TEXT_MIN = 100
LIST_TEXT_SHARE = 0.3  # of the visible text: below it, a page's lists are not what it is


def page_kind(
    article: ArticleFacts,
    blocks: tuple[ListBlock, ...],
    pager: bool,
    has_title: bool,
    text_length: int,
    meta: dict[str, str],
) -> str:
    """ "article", "list" or "other" (see PageFacts.page_kind).

    An article shows a publication date line (or is one by its ArticleTitle meta and has no
    pager); a list page has a pager under its list, or one list that holds most of the page's
    entries (a home page spreads its entries over many boxes)."""
    sizes = sorted((len(block.items) for block in blocks), reverse=True)
    main = sizes[0] if sizes else 0
    boxes = sum(1 for size in sizes if size >= LIST_MAIN_MIN)
    if has_title and (article.date_line or (meta.get("articletitle") and not pager)):
        return "article"
    if main and pager:
        return "list"
    # An article known by its meta PubDate only, with a few related links under its text.
    listed = sum(len(item.title) for block in blocks for item in block.items)
    meta_article = (
        article.published_from == "meta"
        and has_title
        and text_length >= ARTICLE_TEXT_MIN
        and listed < LIST_TEXT_SHARE * text_length
    )
    if (
        main >= LIST_MAIN_MIN
        and main >= LIST_MAIN_SHARE * sum(sizes)
        and boxes <= LIST_BOXES_MAX
        and not meta_article
    ):
        return "list"
    return "article" if meta_article else "other"
