"""Plain values extracted from one page.

`crawler.extract.extract(url, html)` produces a `PageFacts`; the pipeline stores it as JSON
(`to_dict`) and `checks.snapshot` rebuilds it (`from_dict`) for the checks, which therefore
never see HTML, Scrapy or the ORM. Bump `FACTS_VERSION` when the meaning of a field changes so
that old crawls can be re-extracted from their stored bodies.
"""

from __future__ import annotations

import copy
import operator
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

FACTS_VERSION = 4
# The key of a stylesheet's stored facts (its hiding rules; crawler.spam.stylesheet_facts):
# checks.snapshot gives those to SiteSnapshot.stylesheets instead of a page's facts.
STYLESHEET_KEY = "_stylesheet"

# Link kinds, named after the markup that carries them; "attachment" is an <a>/<area> whose
# target is a document (.pdf, .doc, .xls, ...), which is verified but never parsed.
LINK_KINDS = ("a", "area", "frame", "iframe", "img", "script", "link", "attachment")


@dataclass(frozen=True, slots=True)
class Link:
    url: str  # absolute, fragment removed
    kind: str  # one of LINK_KINDS
    text: str = ""  # anchor text, or alt/title for images; whitespace normalised


@dataclass(frozen=True, slots=True)
class ConacBadge:
    form: str  # "link" (bszs.conac.cn/sitename...) or "script" (dcs.conac.cn/js/...)
    url: str
    badge_id: str = ""  # the 32-hex id of a sitename link, "" for scripts
    blue: bool = False  # a 事业单位 (blue) badge rather than a 党政机关 (red) one


@dataclass(frozen=True, slots=True)
class ListItem:
    """One entry of a list of items (a column page's list, a home-page block)."""

    title: str
    url: str  # absolute
    # The item's date as shown, normalised: "2026-11-01", "2026-11-01T09:30", or "--11-01"
    # when the page shows no year ([11-01]; resolved against --as-of by the checks); "" none.
    date: str = ""


@dataclass(frozen=True, slots=True)
class ListBlock:
    heading: str  # the block's own title (e.g. 通知公告), "" when it has none
    items: tuple[ListItem, ...] = ()
    more_url: str = ""  # the block's 更多 link (usually the column page), "" none


@dataclass(frozen=True, slots=True)
class ArchiveLabel:
    """A visible 已归档 label (hidden stamps, attribute-only or navigation-link mentions are
    not labels and give no ArchiveLabel at all)."""

    text: str  # the label's block text, whitespace-normalised, <= 200 chars
    time: str = ""  # archive time next to it, normalised like ListItem.date; "" none


# -- issue 12: ads, message lists, service guides (crawler.extras) --------------------------


@dataclass(frozen=True, slots=True)
class Message:
    """One message of a 领导信箱/咨询/建言 list, as its row or entry shows it."""

    title: str
    url: str  # absolute; "" when the entry has no link of its own
    asked: str  # 提问/来信时间, normalised like ListItem.date; "" none
    answered: str = ""  # 回复/答复时间, normalised like ListItem.date; "" none shown
    status: str = ""  # 状态 as shown (已回复, 办理中, ...), "" none


# -- end of issue 12 group ---------------------------------------------------------------------
# -- spam and hijack signals (content.spam-injected, content.malicious-embed; crawler.spam) --


@dataclass(frozen=True, slots=True)
class SpamBlock:
    """A block of a page that may carry injected spam: hidden, outside the document, written
    by a script, or linking off-site. Only recorded, never judged (the check does that)."""

    selector: str  # CSS selector of the element ("before-html"/"after-html" outside it)
    hidden: str = ""  # why it is hidden (crawler.spam.hiding_reason, "style:" from <style>)
    placement: str = ""  # "before-html" | "after-html" | "before-header" | "script" | ""
    text: str = ""  # its text, whitespace-normalised, <= 300 chars
    links: tuple[Link, ...] = ()  # its links to non-government hosts other than the page's
    snippet: str = ""  # its HTML, <= 400 chars (raw: escape it when showing it)
    fingerprint: str = ""  # skeleton path | linked hosts, for off-site link blocks
    # ".class" / "#id" of the element and its ancestors (off-site link blocks), to which the
    # check applies the rules of the site's own stylesheets.
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NamedText:
    """A small block at the top two levels of the body, with a class or id, text and no link:
    what a rule of the site's own stylesheets (known only when the checks run) may hide."""

    selector: str
    names: tuple[str, ...]  # ".class" / "#id" of the element and its ancestors below <body>
    text: str  # whitespace-normalised, <= 200 chars


@dataclass(frozen=True, slots=True)
class IdRun:
    """Many different, mostly empty tags sharing one id (the "寄生虫" hijack signature)."""

    id: str
    count: int  # elements with this id
    tags: tuple[str, ...]  # distinct tag names, sorted
    empty: int  # how many of them hold no text of their own
    selector: str = ""
    text_after: str = ""  # the text that follows the run, <= 300 chars
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class EmbedFrame:
    """A hidden (or zero-size) iframe/frame."""

    url: str
    selector: str
    hidden: str  # "zero-size" or a hiding reason
    snippet: str = ""


@dataclass(frozen=True, slots=True)
class SpamFacts:
    hidden: tuple[SpamBlock, ...] = ()  # outermost hidden elements with text or links
    offsite: tuple[SpamBlock, ...] = ()  # body blocks linking to non-government hosts
    outside: tuple[SpamBlock, ...] = ()  # markup before <html> / after </html>
    scripted: tuple[SpamBlock, ...] = ()  # markup with off-site links written by scripts
    id_runs: tuple[IdRun, ...] = ()
    frames: tuple[EmbedFrame, ...] = ()
    redirects: tuple[str, ...] = ()  # where inline scripts / meta refresh send visitors
    skeleton: tuple[str, ...] = ()  # body children and grandchildren (tag#id.class paths)
    named: tuple[NamedText, ...] = ()  # linkless named blocks, for the site's stylesheets

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SpamFacts:
        def blocks(raw: Any) -> tuple[SpamBlock, ...]:
            return tuple(
                SpamBlock(**{**b, "links": tuple(Link(**x) for x in b.get("links", ())),
                             "names": tuple(b.get("names", ()))})
                for b in raw or ()
            )

        return cls(
            hidden=blocks(data.get("hidden")),
            offsite=blocks(data.get("offsite")),
            outside=blocks(data.get("outside")),
            scripted=blocks(data.get("scripted")),
            id_runs=tuple(IdRun(**{**r, "tags": tuple(r.get("tags", ()))})
                          for r in data.get("id_runs") or ()),
            frames=tuple(EmbedFrame(**f) for f in data.get("frames") or ()),
            redirects=tuple(data.get("redirects") or ()),
            skeleton=tuple(data.get("skeleton") or ()),
            named=tuple(NamedText(n["selector"], tuple(n.get("names", ())), n.get("text", ""))
                        for n in data.get("named") or ()),
        )


# -- content text (FACTS_VERSION 4, issue 12: text checks; see crawler.textscan) --


@dataclass(frozen=True, slots=True)
class PersonalNumber:
    """A personal number in the visible text, stored masked (never whole)."""

    kind: str  # "id" (居民身份证号), "mobile", "bank" (Luhn-valid card number)
    masked: str  # e.g. 430***********1234, 138****5678
    before: str = ""  # up to 16 characters before it (numbers in it masked too)


@dataclass(frozen=True, slots=True)
class TraditionalChar:
    """A traditional character outside quoted titles and language-switch labels."""

    char: str
    simplified: str  # what OpenCC t2s makes of it
    context: str  # up to 10 characters either side


# -- end of content text --


@dataclass(frozen=True, slots=True)
class PageFacts:
    url: str
    title: str = ""
    # The site name as the page header shows it (logo alt/title, header text, meta SiteName).
    header_text: str = ""
    footer_text: str = ""
    # Identifiers as displayed (whitespace normalised), in document order, de-duplicated.
    icp: tuple[str, ...] = ()
    police: tuple[str, ...] = ()
    police_recordcodes: tuple[str, ...] = ()  # recordcode= of beian.gov.cn links
    site_codes: tuple[str, ...] = ()  # the values next to 网站标识码 / 网站识别码
    conac: tuple[ConacBadge, ...] = ()
    jiucuo: tuple[str, ...] = ()  # site_code of each 我为政府网站找错 entry ("" if none given)
    # <meta name=...> values; keys lower-cased (sitename, siteidcode, pubdate, ...).
    meta: dict[str, str] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    # True when the visible text says the page does not exist (页面不存在, 404, 找不到).
    says_not_found: bool = False
    # Length of the visible text, and a short digest of it, used to compare a page with the
    # host's answer to a URL that cannot exist (soft-404 detection).
    text_length: int = 0
    text_digest: str = ""
    # -- timeliness (FACTS_VERSION 2) --
    # Links in navigation areas (menus, 栏目 link blocks, sub-column lists), in page order.
    nav: tuple[Link, ...] = ()
    lists: tuple[ListBlock, ...] = ()
    next_page: str = ""  # the 下一页 link of a paginated list, "" none
    last_page: str = ""  # the 尾页 link, "" none
    # An article's publication time, normalised like ListItem.date (visible 发布时间/日期
    # line first, else the PubDate meta); header "today" widgets and CMS generation stamps
    # are not publication times.
    published: str = ""
    published_from: str = ""  # "visible" | "meta" | ""
    source: str = ""  # 来源 as displayed (value only, e.g. "永州市政务公开办"), "" none
    # The page shows a placeholder instead of content (暂无信息, 暂无数据, 正在建设中, 栏目维护中).
    placeholder: bool = False
    archive: ArchiveLabel | None = None
    # "article" (a single piece of content with a title and body), "list" (a column/list
    # page), or "other" (home, navigation, forms, ...); the extractor's best judgement.
    page_kind: str = "other"
    # -- single-page columns (FACTS_VERSION 3) --
    # Characters (whitespace excluded) of the page's own text: visible text outside the
    # header, footer, list items, links and form controls (crawler.visible.content_length).
    # A single-page column (联系我们: address, phones, paragraphs) has plenty; an empty list
    # page little. 0 in facts stored before version 3.
    content_length: int = 0
    # -- issue 12: ads, message lists, service guides (crawler.extras) --
    # Visible ad labels (广告, 推广, 广告位招租 ...) with their block's text: "label|context".
    ad_labels: tuple[str, ...] = ()
    # Messages of a consultation list (tables or entries with 提问时间/回复时间/状态).
    messages: tuple[Message, ...] = ()
    # A 办事指南 page of one 事项 (its title or a heading names the item before 办事指南),
    # and the element labels it shows (headings, table headers, definition terms,
    # "标签：" prefixes), whitespace removed.
    guide: bool = False
    guide_labels: tuple[str, ...] = ()
    # -- end of issue 12 group --
    # -- spam and hijack signals (crawler.spam) --
    spam: SpamFacts | None = None  # None: not extracted (an old crawl, or not HTML)
    # -- content text (FACTS_VERSION 4, issue 12: text checks; see crawler.textscan) --
    # The visible text, whitespace folded within lines (block boundaries are line breaks),
    # personal numbers masked, at most
    # crawler.textscan.TEXT_MAX characters: what the lexicon checks match their lists against.
    text: str = ""
    personal: tuple[PersonalNumber, ...] = ()
    traditional: tuple[TraditionalChar, ...] = ()  # the first 20
    traditional_count: int = 0  # all of them
    cjk_count: int = 0  # CJK characters of the text; counted only when traditional_count > 0
    # -- end of content text --

    def to_dict(self) -> dict[str, Any]:
        """`dataclasses.asdict(self)` plus "_version": the same dict (same keys in the same
        order, tuples kept as tuples), written out field by field because every crawled page
        is converted and generic recursion cost as much as a tenth of its extraction."""
        data: dict[str, Any] = {
            "url": self.url,
            "title": self.title,
            "header_text": self.header_text,
            "footer_text": self.footer_text,
            "icp": _strings(self.icp),
            "police": _strings(self.police),
            "police_recordcodes": _strings(self.police_recordcodes),
            "site_codes": _strings(self.site_codes),
            "conac": _badges(self.conac),
            "jiucuo": _strings(self.jiucuo),
            "meta": _meta(self.meta),
            "links": _links(self.links),
            "says_not_found": self.says_not_found,
            "text_length": self.text_length,
            "text_digest": self.text_digest,
            "nav": _links(self.nav),
            "lists": _blocks(self.lists),
            "next_page": self.next_page,
            "last_page": self.last_page,
            "published": self.published,
            "published_from": self.published_from,
            "source": self.source,
            "placeholder": self.placeholder,
            "archive": _archive(self.archive),
            "page_kind": self.page_kind,
            "content_length": self.content_length,
            # -- issue 12 group --
            "ad_labels": _strings(self.ad_labels),
            "messages": _messages(self.messages),
            "guide": self.guide,
            "guide_labels": _strings(self.guide_labels),
            "spam": None if self.spam is None else _plain(self.spam),
            # -- content text --
            "text": self.text,
            "personal": _badges(self.personal),
            "traditional": _badges(self.traditional),
            "traditional_count": self.traditional_count,
            "cjk_count": self.cjk_count,
            # -- end of content text --
        }
        if len(data) != len(_PAGE_FACTS_FIELDS) or any(
            type(data[name]) not in _SCALARS for name in _SCALAR_FIELDS
        ):
            data = _plain(self)  # a field this converter does not know, or an odd value
        data["_version"] = FACTS_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any], shared: dict[Any, Any] | None = None) -> PageFacts:
        """The facts `to_dict` stored (keys it does not know, such as `_version`, are ignored).

        `shared`: a dict the caller passes to every call of a batch (one site's pages), in
        which equal links, list items and list blocks are built once and shared. WHY: a
        site's pages repeat the same navigation, header and footer links (the benchmark
        world's 446 k links are 15 k distinct ones), so rebuilding a snapshot this way builds
        a fraction of the objects and holds a fraction of the memory. The values are frozen,
        so sharing them is safe.
        """
        memo: dict[Any, Any] = {} if shared is None else shared
        known = cls.__dataclass_fields__
        kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        for name in ("icp", "police", "police_recordcodes", "site_codes", "jiucuo"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name])
        if "links" in kwargs:
            kwargs["links"] = _shared(Link, kwargs["links"], memo)
        if "conac" in kwargs:
            kwargs["conac"] = tuple(ConacBadge(**badge) for badge in kwargs["conac"])
        if "nav" in kwargs:
            kwargs["nav"] = _shared(Link, kwargs["nav"], memo)
        if "lists" in kwargs:
            kwargs["lists"] = _list_blocks(kwargs["lists"], memo)
        if kwargs.get("archive") is not None:
            kwargs["archive"] = ArchiveLabel(**kwargs["archive"])
        # -- issue 12 group --
        for name in ("ad_labels", "guide_labels"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name])
        if "messages" in kwargs:
            kwargs["messages"] = tuple(Message(**message) for message in kwargs["messages"])
        if kwargs.get("spam") is not None:
            kwargs["spam"] = SpamFacts.from_dict(kwargs["spam"])
        # -- content text --
        if "personal" in kwargs:
            kwargs["personal"] = tuple(PersonalNumber(**n) for n in kwargs["personal"])
        if "traditional" in kwargs:
            kwargs["traditional"] = tuple(TraditionalChar(**t) for t in kwargs["traditional"])
        # -- end of content text --
        return cls(**kwargs)


_T = TypeVar("_T")
# For _shared: each shared class's number of fields, and a getter of their values from a dict.
_GETTERS: dict[type, tuple[int, operator.itemgetter[Any]]] = {
    cls: (len(cls.__dataclass_fields__), operator.itemgetter(*cls.__dataclass_fields__))
    for cls in (Link, ListItem)
}


def _shared(cls: type[_T], raw: list[dict[str, Any]], memo: dict[Any, Any]) -> tuple[_T, ...]:
    """`tuple(cls(**values) for values in raw)`, reusing the instance equal values gave earlier
    in `memo` (see `PageFacts.from_dict`)."""
    count, values_of = _GETTERS[cls]
    known: dict[Any, _T] = memo.setdefault(cls, {})
    out = []
    for values in raw:
        # Keyed by the field values when the dict holds exactly the fields (always, for what
        # to_dict wrote); anything else (a default left out, an unknown key) is left to cls()
        # to fill in or reject.
        try:
            key = values_of(values) if len(values) == count else None
        except KeyError:  # an unknown key in place of a field
            key = None
        found = None if key is None else known.get(key)
        if found is None:
            found = cls(**values)
            if key is not None:
                known[key] = found
        out.append(found)
    return tuple(out)


def _list_blocks(raw: list[dict[str, Any]], memo: dict[Any, Any]) -> tuple[ListBlock, ...]:
    known: dict[tuple[str, tuple[ListItem, ...], str], ListBlock] = memo.setdefault(ListBlock, {})
    out = []
    for block in raw:
        key = (block["heading"], _shared(ListItem, block.get("items", ()), memo),
               block.get("more_url", ""))
        found = known.get(key)
        if found is None:
            found = known[key] = ListBlock(heading=key[0], items=key[1], more_url=key[2])
        out.append(found)
    return tuple(out)


_SCALARS = (str, int, float, bool, type(None))
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _plain(value: Any) -> Any:
    """`dataclasses.asdict`, same result, several times faster: the crawl pipeline converts
    every page's facts (hundreds of nested values) and asdict's generic recursion with
    deep copies was a tenth of the crawl process's CPU."""
    cls = type(value)
    if cls in _SCALARS:
        return value
    names = _FIELD_NAMES.get(cls)
    if names is None and hasattr(cls, "__dataclass_fields__"):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(value))
    if names is not None:
        return {name: _plain(getattr(value, name)) for name in names}
    if cls is tuple or cls is list:
        return cls(_plain(v) for v in value)
    if cls is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    return copy.deepcopy(value)


# Interned values: a site's pages repeat the same links (menus, footers, related sites) and
# list items, and building a frozen dataclass costs ten dictionary lookups. The values are
# immutable, so sharing one object between pages is the same as building a new one.
_INTERNED_MAX = 50000
_LINKS: dict[tuple[str, str, str], Link] = {}
_ITEMS: dict[tuple[str, str, str], ListItem] = {}


def make_link(url: str, kind: str, text: str = "") -> Link:
    """`Link(url, kind, text)`, interned."""
    key = (url, kind, text)
    link = _LINKS.get(key)
    if link is None:
        if len(_LINKS) >= _INTERNED_MAX:
            _LINKS.clear()
        link = _LINKS[key] = Link(url=url, kind=kind, text=text)
    return link


def make_item(title: str, url: str, date: str = "") -> ListItem:
    """`ListItem(title, url, date)`, interned."""
    key = (title, url, date)
    item = _ITEMS.get(key)
    if item is None:
        if len(_ITEMS) >= _INTERNED_MAX:
            _ITEMS.clear()
        item = _ITEMS[key] = ListItem(title, url, date)
    return item


# The converters of `PageFacts.to_dict`: exact types take the written-out path, anything else
# (a list where a tuple is declared, a subclass) goes through `_plain`, so that the result is
# always what `_plain(facts)` would give.
_PAGE_FACTS_FIELDS = tuple(f.name for f in fields(PageFacts))
_SCALAR_FIELDS = (
    "url", "title", "header_text", "footer_text", "says_not_found", "text_length",
    "text_digest", "next_page", "last_page", "published", "published_from", "source",
    "placeholder", "page_kind", "content_length", "guide",
    "text", "traditional_count", "cjk_count",  # content text
)  # fmt: skip


def _strings(values: Any) -> Any:
    if type(values) is tuple and all(type(value) is str for value in values):
        return values  # immutable: the same tuple is as good as a copy
    return _plain(values)


def _meta(meta: Any) -> Any:
    if type(meta) is dict and all(
        type(key) is str and type(value) is str for key, value in meta.items()
    ):
        return dict(meta)
    return _plain(meta)


def _link(link: Any) -> Any:
    if type(link) is Link and type(link.url) is str and type(link.kind) is str and (
        type(link.text) is str
    ):
        return {"url": link.url, "kind": link.kind, "text": link.text}
    return _plain(link)


def _links(links: Any) -> Any:
    if type(links) is tuple:
        return tuple([_link(link) for link in links])
    return _plain(links)


def _badges(badges: Any) -> Any:
    if type(badges) is tuple:
        return tuple([_plain(badge) for badge in badges])  # rare: at most a few per page
    return _plain(badges)


def _item(item: Any) -> Any:
    if type(item) is ListItem and type(item.title) is str and type(item.url) is str and (
        type(item.date) is str
    ):
        return {"title": item.title, "url": item.url, "date": item.date}
    return _plain(item)


def _blocks(blocks: Any) -> Any:
    if type(blocks) is not tuple:
        return _plain(blocks)
    converted = []
    for block in blocks:
        if type(block) is ListBlock and type(block.items) is tuple and (
            type(block.heading) is str and type(block.more_url) is str
        ):
            converted.append({
                "heading": block.heading,
                "items": tuple([_item(item) for item in block.items]),
                "more_url": block.more_url,
            })
        else:
            converted.append(_plain(block))
    return tuple(converted)


def _archive(archive: Any) -> Any:
    return None if archive is None else _plain(archive)


def _messages(messages: Any) -> Any:
    if type(messages) is tuple:
        return tuple([_plain(message) for message in messages])  # only on message lists
    return _plain(messages)
