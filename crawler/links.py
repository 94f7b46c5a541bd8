"""Links, 党政机关 badges and 我为政府网站找错 entries of a parsed page.

Every URL is made absolute (against <base href> when present), loses its fragment and must be
http(s); javascript:, mailto:, tel:, data: and about: targets are no links to check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

from lxml import etree

from crawler.facts import ConacBadge, Link, make_link
from crawler.identifiers import normalise_space
from crawler.visible import ANCHOR_TEXT_MAX, is_hidden, label_of

ATTACHMENT_EXTENSIONS = (
    ".pdf", ".doc", ".docx", ".xls", ".xlsx", ".ppt", ".pptx", ".wps", ".zip", ".rar", ".7z",
    ".txt", ".csv", ".ofd", ".et", ".dps",
)  # fmt: skip
_LINK_RELS = frozenset({"stylesheet", "icon", "preload"})

_CONAC_ID = re.compile(r"[0-9A-Fa-f]{32}")
_JIUCUO_CALL = re.compile(r"""Link\(\s*\\?['"]([^'"\\]*)\\?['"]""")
_URL_STRIP = re.compile(r"[\t\n\r]")
_SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:")


def clean_href(value: str | None) -> str | None:
    if value is None:
        return None
    value = _URL_STRIP.sub("", value).strip(" \t\n\r\f\v\u3000\xa0")
    if not value or value.startswith("#"):
        return None
    if value.lower().startswith(_SKIP_SCHEMES):
        return None
    return value


class Resolver:
    """href -> absolute http(s) URL without fragment, or None; memoised, since templates
    repeat the same targets and urljoin dominates the cost of extraction."""

    __slots__ = ("base", "memo", "origin")

    def __init__(self, base: str) -> None:
        self.base = base
        self.memo: dict[str, str | None] = {}
        # scheme://host of the base, for the common root-relative href ("/zwgk/index.html").
        self.origin = ""
        try:
            parts = urlsplit(base)
        except ValueError:
            return
        if parts.scheme.lower() in ("http", "https") and parts.netloc:
            self.origin = f"{parts.scheme}://{parts.netloc}"

    def __call__(self, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return self.memo[value]
        except KeyError:
            pass
        # Most hrefs resolve the same way on every page of a site (absolute ones, root-relative
        # ones): those results are shared between pages, keyed by what they depend on.
        resolved = _SHARED.get(("", value), _MISSING)
        if resolved is _MISSING and self.origin:
            resolved = _SHARED.get((self.origin, value), _MISSING)
        if resolved is _MISSING:
            resolved, depends = self._resolve(value)
            if depends is not None:
                if len(_SHARED) >= _SHARED_MAX:
                    _SHARED.clear()
                _SHARED[(depends, value)] = resolved
        self.memo[value] = resolved
        return resolved

    def _resolve(self, value: str) -> tuple[str | None, str | None]:
        """(the URL, what it depends on besides `value`: "" nothing, else the origin; None:
        the whole base URL)."""
        href = clean_href(value)
        if href is None:
            return None, ""
        depends: str | None = ""
        if href[:8].lower().startswith(("http://", "https://")):
            absolute = href.split("#", 1)[0]  # already absolute: only drop the fragment
        elif (
            self.origin
            and href.startswith("/")
            and not href.startswith("//")
            and "/." not in href
            and "\\" not in href
        ):
            absolute = self.origin + href.split("#", 1)[0]
            depends = self.origin
        else:
            depends = None
            try:
                absolute = urldefrag(urljoin(self.base, href)).url
            except ValueError:  # e.g. a broken IPv6 literal
                return None, None
            if not absolute[:8].lower().startswith(("http://", "https://")):
                return None, None
        return (absolute if _has_host(absolute) else None), depends  # "http://", "http:///x"


# Resolutions shared between pages: (depends, href) -> URL (see Resolver.__call__).
_SHARED: dict[tuple[str, str], str | None] = {}
_SHARED_MAX = 50000
_MISSING = "\x00missing"  # no URL looks like this


def _has_host(url: str) -> bool:
    start = url.find("//") + 2
    end = len(url)
    for stop in "/?#":
        index = url.find(stop, start)
        if index != -1:
            end = min(end, index)
    return end > start


def host_path(url: str) -> tuple[str, str]:
    try:
        parts = urlsplit(url)
        return (parts.hostname or "").lower(), parts.path
    except ValueError:
        return "", ""


@lru_cache(maxsize=16384)
def _is_attachment(url: str) -> bool:
    # memoised: a site's pages link the same URLs
    path = url.split("?", 1)[0]
    scheme_end = path.find("//")
    slash = path.find("/", scheme_end + 2) if scheme_end >= 0 else -1
    return slash >= 0 and path[slash:].lower().endswith(ATTACHMENT_EXTENSIONS)


_STRING = etree.XPath("string()")


def text_content(el: etree._Element) -> str:
    """XPath string(): all descendant text. Most anchors hold just their text, and reading it
    costs a tenth of an XPath evaluation (no children: `.text` is all of it)."""
    if not len(el):
        return el.text or ""
    return str(_STRING(el))


def _anchor_text(el: etree._Element) -> str:
    text = normalise_space(text_content(el))
    if not text:
        text = normalise_space(el.get("title") or "")
    if not text:
        for img in el.iter("img"):
            text = normalise_space(img.get("alt") or img.get("title") or "")
            if text:
                break
    return text[:ANCHOR_TEXT_MAX]


def query_value(url: str, name: str) -> str | None:
    try:
        values = parse_qs(urlsplit(url).query).get(name)
    except ValueError:
        return None
    return values[0].strip() if values else None


def _conac_link(el: etree._Element, url: str) -> ConacBadge | None:
    if "conac" not in url.lower():
        return None
    host, path = host_path(url)
    if host != "bszs.conac.cn" or not path.lower().startswith("/sitename"):
        return None
    badge_id = query_value(url, "id") or ""
    if not _CONAC_ID.fullmatch(badge_id):
        return None
    return ConacBadge(form="link", url=url, badge_id=badge_id, blue=_conac_blue(el))


def _conac_blue(el: etree._Element) -> bool:
    """A 事业单位 badge: the badge image is the blue one (blue.png; the red 党政机关 one is
    red.png). Only the image file name tells: titles and alt texts such as "全国党政机关事业
    单位" name the register, not the colour, and a badge without a telling image is taken for
    the red one, the badge every 党政机关 site shows."""
    for img in el.iter("img"):
        src = (img.get("src") or "").lower()
        name = src.split("?", 1)[0].rsplit("/", 1)[-1]
        if "blue" in name:
            return True
        if "red" in name:
            return False
    return False


def _conac_script(url: str) -> ConacBadge | None:
    if "conac" not in url.lower():
        return None
    host, path = host_path(url)
    if host == "dcs.conac.cn" and path.startswith("/js/"):
        return ConacBadge(form="script", url=url)
    return None


def _hidden_in_tree(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        if is_hidden(node):
            return True
        node = node.getparent()
    return False


def _jiucuo_link(url: str) -> str | None:
    """site_code of a link to the national 我为政府网站找错 page, "" without one."""
    if "jiucuo" not in url.lower():
        return None
    host, path = host_path(url)
    if not path.lower().endswith("/exposure/jiucuo.html"):
        return None
    if host != "zfwzgl.www.gov.cn" and not host.replace(".", "").isdigit():
        return None  # an IP literal is the platform's former address, still in templates
    return query_value(url, "site_code") or ""


def _jiucuo_script(el: etree._Element) -> str | None:
    src = (el.get("src") or "").lower()
    if el.get("id") != "_jiucuo_" and not src.endswith("/jiucuo.js") and src != "jiucuo.js":
        return None
    return (el.get("sitecode") or el.get("site_code") or "").strip()


def _jiucuo_image(el: etree._Element) -> str | None:
    """The rendered entry: <span id="_span_jiucuo"><img onclick="Link('code')">."""
    onclick = el.get("onclick") or ""
    match = _JIUCUO_CALL.search(onclick)
    if match is None:
        return None
    parent = el.getparent()
    in_span = parent is not None and parent.get("id") == "_span_jiucuo"
    if in_span or "jiucuo" in (el.get("src") or "").lower():
        return match.group(1).strip()
    return None


@dataclass(slots=True)
class Marks:
    """Badges and 找错 entries, de-duplicated in document order."""

    conac: dict[tuple[str, str], ConacBadge] = field(default_factory=dict)
    jiucuo: list[str] = field(default_factory=list)

    def add_conac(self, badge: ConacBadge | None) -> None:
        if badge is not None:
            self.conac.setdefault((badge.form, badge.url), badge)

    def add_jiucuo(self, code: str | None) -> None:
        if code is not None and code not in self.jiucuo:
            self.jiucuo.append(code)


def scan_marks(elements: Iterable[etree._Element], resolve: Resolver, marks: Marks) -> None:
    for el in elements:
        tag = el.tag
        if tag in ("a", "area"):
            url = resolve(el.get("href"))
            if url is None:
                continue
            marks.add_conac(_conac_link(el, url))
            code = _jiucuo_link(url)
            if code is not None and not _hidden_in_tree(el):
                marks.add_jiucuo(code)
        elif tag == "script":
            url = resolve(el.get("src"))
            if url is not None:
                marks.add_conac(_conac_script(url))
            marks.add_jiucuo(_jiucuo_script(el))
        elif tag == "img":
            marks.add_jiucuo(_jiucuo_image(el))


MARK_TAGS = ("a", "area", "script", "img")


# An <a> of the page with its absolute URL and anchor text: what lists and navigation read.
Anchor = tuple[etree._Element, str, str]


def find_links(
    root: etree._Element, resolve: Resolver, anchors: list[Anchor] | None = None
) -> list[Link]:
    """Links in document order, de-duplicated by (url, kind). When `anchors` is given, every
    <a> with a usable href is also appended to it (element, url, text), duplicates included,
    so that lists and navigation reuse the anchor texts computed here."""
    found: dict[tuple[str, str], int] = {}
    links: list[Link] = []

    def add(url: str | None, kind: str, text: str) -> None:
        if url is None:
            return
        key = (url, kind)
        index = found.get(key)
        if index is None:
            found[key] = len(links)
            links.append(make_link(url, kind, text))
        elif text and not links[index].text:
            # The first anchor text that says something (an icon link often comes first).
            links[index] = make_link(url, kind, text)

    for el in root.iter("a", "area", "frame", "iframe", "img", "script", "link"):
        tag = el.tag
        if tag in ("a", "area"):
            url = resolve(el.get("href"))
            if url is not None:
                kind = "attachment" if _is_attachment(url) else tag
                text = _anchor_text(el) if tag == "a" else label_of(el)
                add(url, kind, text)
                if anchors is not None and tag == "a":
                    anchors.append((el, url, text))
        elif tag in ("frame", "iframe", "script"):
            add(resolve(el.get("src")), tag, normalise_space(el.get("title") or ""))
        elif tag == "img":
            alt = normalise_space(el.get("alt") or "")
            add(resolve(el.get("src")), "img", alt[:ANCHOR_TEXT_MAX])
        elif tag == "link":
            rels = set((el.get("rel") or "").lower().split())
            if rels & _LINK_RELS:
                add(resolve(el.get("href")), "link", "")
    return links
