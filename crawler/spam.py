"""Signals of injected spam (暗链) and hijacked pages (挂马) in one parsed page.

What `content.spam-injected` and `content.malicious-embed` judge, extracted once per page:

- hidden blocks: the outermost elements hidden by an inline style, a `<style>` block rule on a
  simple `.class` / `#id` selector (at any depth, with or without links; rules inside @media
  blocks other than screen/all are not read, nor are rules whose name the page never uses
  outside its <style> blocks), the `hidden` attribute, or a `<marquee>` scrolled out of
  sight, each with why (`HiddenReason`), its text, its off-site links and a snippet;
- named blocks: small linkless blocks with a class or id at the top two levels of the body,
  with their text and the names of their ancestors: the site's own stylesheets are fetched in
  the crawl, so whether their rules hide such a block is decided by the check;
- off-site link blocks: where the page links to a host other than its own that is not a
  government host (.gov.cn), the enclosing block near the top of the body, with a fingerprint
  (its position in the skeleton and the hosts it links to) that the check compares with the
  site's other pages of the same template; blocks before the page's header are marked;
- markup standing outside the document (before `<html>`, after `</html>`) and markup written by
  inline scripts (`document.write(...)`) that carries links;
- runs of many different, mostly empty tags sharing one random id (the "寄生虫" signature of
  seed 001: `<meter id="l5pbh">`, `<output id="l5pbh">`, ...), with the text that follows;
- hidden iframes and script redirects (`location.href = ...`, `<meta http-equiv=refresh>`).

Nothing here judges words: the spam lexicon is the check's (it is a setting), so the facts keep
the text and the links and the check decides. Thresholds that decide (how far off-screen, how
small a font) are the check's too: a reason carries its measured value. The extraction only
records; it stays cheap by asking lxml (C) for the few elements that can matter (styled,
`hidden`, marquee, iframe, ids, inline scripts) instead of walking the tree in Python.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from lxml import etree

from crawler.facts import (
    STYLESHEET_KEY,
    EmbedFrame,
    IdRun,
    Link,
    NamedText,
    SpamBlock,
    SpamFacts,
    make_link,
)
from crawler.identifiers import normalise_space
from crawler.links import Anchor, Resolver

TEXT_MAX = 300  # characters of a block's text kept
SNIPPET_MAX = 400  # characters of a block's HTML kept
LINKS_MAX = 20  # off-site links kept per block
BLOCKS_MAX = 20  # blocks kept per page (hidden and off-site each)
SKELETON_MAX = 60  # skeleton paths kept per page
NAMED_MAX = 12  # linkless named blocks kept per page (crawler.facts.NamedText)
NAMED_TEXT_MAX = 200  # characters of their text kept
NAMED_CHILDREN_MAX = 8  # child elements of a named block: more is a layout container
# Recorded at these floors; the check applies its own (higher) thresholds from the settings.
ID_RUN_FLOOR = 5  # elements sharing one id
ID_RUN_TAGS_FLOOR = 3  # distinct tag names among them
OFFSET_FLOOR = 100.0  # px: an element further left/up than -this is recorded as off-screen
STYLESHEET_MAX = 2 * 1024 * 1024  # bytes of a stylesheet read
STYLESHEET_RULES_MAX = 500  # hiding rules kept per stylesheet

_GOV_SUFFIXES = (".gov.cn", ".gov")


def is_gov_host(host: str) -> bool:
    host = host.lower().rstrip(".")
    return host == "gov.cn" or host.endswith(_GOV_SUFFIXES)


@lru_cache(maxsize=16384)
def host_of(url: str) -> str:
    """The URL's host name, lower case ("" when none), as urlsplit(url).hostname gives it;
    the common "scheme://host[:port]/..." form is cut by hand (urlsplit costs ten times
    more, and every link of every page asks)."""
    start = url.find("://")
    if 0 < start <= 8 and url[:start].isalpha() and url[:start].isascii():
        start += 3
        end = len(url)
        for sep in "/?#":
            at = url.find(sep, start, end)
            if at >= 0:
                end = at
        netloc = url[start:end]
        if (netloc.isprintable() and not any(ch in netloc for ch in "@[]\\% ")
                and netloc.count(":") <= 1):
            return netloc.partition(":")[0].lower()
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""


# -- CSS ------------------------------------------------------------------------------------

_COLOURS = {
    "white": "#ffffff", "black": "#000000", "red": "#ff0000", "green": "#008000",
    "blue": "#0000ff", "yellow": "#ffff00", "gray": "#808080", "grey": "#808080",
    "silver": "#c0c0c0", "transparent": "transparent",
}  # fmt: skip
_RGB = re.compile(r"rgba?\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)")
_LENGTH = re.compile(r"^(-?\d*\.?\d+)\s*(px|pt|em|rem|%)?$")


def _colour(value: str) -> str:
    value = value.strip().split()[0] if value.strip() else ""
    value = value.replace("!important", "")
    if value.startswith("#"):
        hexa = value[1:]
        if len(hexa) == 3:
            hexa = "".join(ch * 2 for ch in hexa)
        return "#" + hexa.lower()
    match = _RGB.match(value)
    if match:
        return "#" + "".join(f"{int(v):02x}" for v in match.groups())
    return _COLOURS.get(value, value)


def _px(value: str) -> float | None:
    match = _LENGTH.match(value.replace("!important", "").strip())
    if match is None:
        return None
    number = float(match.group(1))
    unit = match.group(2) or "px"
    if unit in ("em", "rem"):
        return number * 16
    if unit == "pt":
        return number * 4 / 3
    if unit == "%":
        return None
    return number


def declarations(style: str) -> dict[str, str]:
    props: dict[str, str] = {}
    for part in style.split(";"):
        name, sep, value = part.partition(":")
        if sep:
            props[name.strip().lower()] = value.strip().lower()
    return props


_MAY_HIDE = re.compile(r"none|hidden|:\s*-\d|font-size\s*:\s*[0-2](?![\d.])|background")


@lru_cache(maxsize=4096)
def hiding_reason(style: str) -> str:
    """Why a style hides its element's content, as "kind" or "kind:value"; "" when it does
    not. Kinds: display-none, visibility-hidden, offscreen:<px>, zero-size, font-size:<px>,
    same-colour, text-indent:<px>. The check decides which values hide (its settings).
    Memoised, and most styles are dismissed by one regex search: pages repeat their styles
    and few of them hide anything."""
    lowered = style.lower()
    if _MAY_HIDE.search(lowered) is None:
        return ""
    props = declarations(lowered)
    if not props:
        return ""
    display = props.get("display", "")
    if display.startswith("none"):
        return "display-none"
    if props.get("visibility", "").startswith("hidden"):
        return "visibility-hidden"
    if props.get("position", "").startswith(("absolute", "fixed")):
        for side in ("left", "top", "right", "bottom"):
            value = _px(props.get(side, ""))
            if value is not None and value <= -OFFSET_FLOOR:
                return f"offscreen:{value:g}"
    indent = _px(props.get("text-indent", ""))
    if indent is not None and indent <= -OFFSET_FLOOR:
        return f"text-indent:{indent:g}"
    if props.get("overflow", "").startswith("hidden"):
        for side in ("width", "height"):
            value = _px(props.get(side, ""))
            if value is not None and value <= 1:
                return "zero-size"
    size = _px(props.get("font-size", ""))
    if size is not None and size <= 2:
        return f"font-size:{size:g}"
    colour = props.get("color")
    background = props.get("background-color") or props.get("background")
    if colour and background and _colour(colour) == _colour(background):
        return "same-colour"
    return ""


_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^[a-z0-9]*([#.])([A-Za-z_][\w-]*)$")
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_CSS_TOKEN = re.compile(r"[{}@;]")
_SCREEN_MEDIA = re.compile(r"media\s+(?:only\s+)?(?:screen|all)\s*$", re.IGNORECASE)


def _top_level(css: str) -> str:
    """The CSS without its at-rule blocks (@media, @supports, @keyframes ...) but `@media
    screen` / `@media all`: a rule that hides an element only when printing or on a narrow
    screen does not hide it on the page as served (a site's print style hides its header,
    footer and menus, its phone layout its desktop menus)."""
    if "@" not in css:
        return css
    out: list[str] = []
    at = 0  # start of the text kept
    depth = 0  # brace depth
    skipping = False  # inside an at-rule (its prelude or its block)
    for match in _CSS_TOKEN.finditer(css):
        char = match.group()
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
            if skipping and depth == 0:
                skipping, at = False, match.end()
        elif char == "@" and depth == 0 and not skipping:
            end = min((i for i in (css.find("{", match.end()), css.find(";", match.end()))
                       if i >= 0), default=len(css))
            if _SCREEN_MEDIA.match(css, match.end(), end):
                continue  # applies to the page on screen: its rules are read as they are
            out.append(css[at:match.start()])
            skipping = True
        elif char == ";" and depth == 0 and skipping:  # @import/@charset: no block
            skipping, at = False, match.end()
    if not skipping:
        out.append(css[at:])
    return "".join(out)


@lru_cache(maxsize=256)
def stylesheet_rules(css: str) -> dict[str, str]:
    """Hiding rules of a stylesheet on simple selectors, outside at-rule blocks:
    {".class" or "#id": reason}."""
    rules: dict[str, str] = {}
    if "{" not in css:
        return rules
    css = _top_level(_CSS_COMMENT.sub("", css))
    for selectors, body in _RULE.findall(css):
        reason = hiding_reason(body)
        if not reason:
            continue
        for selector in selectors.split(","):
            match = _SIMPLE_SELECTOR.match(selector.strip())
            if match:
                rules.setdefault(match.group(1) + match.group(2), reason)
    return rules


def stylesheet_facts(body: bytes, charset: str | None = None) -> dict[str, Any]:
    """What is stored of one of the site's own stylesheets: its hiding rules (see
    crawler.facts.STYLESHEET_KEY)."""
    try:
        css = body[:STYLESHEET_MAX].decode(charset or "utf-8", errors="replace")
    except LookupError:
        css = body[:STYLESHEET_MAX].decode("utf-8", errors="replace")
    return {STYLESHEET_KEY: dict(list(stylesheet_rules(css).items())[:STYLESHEET_RULES_MAX])}


# -- the page -------------------------------------------------------------------------------

_REDIRECT = re.compile(
    r"""location(?:\s*\.\s*href)?\s*=\s*["']([^"']+)["']"""
    r"""|location\s*\.\s*(?:replace|assign)\s*\(\s*["']([^"']+)["']""",
)  # JavaScript is case-sensitive
_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.IGNORECASE)
_DOC_START = re.compile(r"<(?:!doctype|html)[\s>]", re.IGNORECASE)
_DOC_END = re.compile(r"</html\s*>", re.IGNORECASE)
_HEADER_NAME = re.compile(r"head|top|logo|banner", re.IGNORECASE)
_BLANK = re.compile(r"^(?:\s|<!--.*?-->|<\?xml[^>]*>)*$", re.DOTALL)


def selector_of(el: etree._Element, depth: int = 4) -> str:
    """A CSS selector naming the element: its path from the nearest id (or 4 levels)."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None and len(parts) < depth:
        tag = node.tag if isinstance(node.tag, str) else "node"
        ident = (node.get("id") or "").strip()
        if ident and " " not in ident:
            parts.append(f"{tag}#{ident}")
            break
        classes = (node.get("class") or "").split()
        part = tag + "".join(f".{c}" for c in classes[:2])
        if tag in ("body", "html"):
            parts.append(tag)
            break
        parent = node.getparent()
        if parent is not None and not classes:
            part += f":nth-child({parent.index(node) + 1})"
        parts.append(part)
        node = parent
    return " > ".join(reversed(parts))


def _snippet(el: etree._Element) -> str:
    """The element's HTML, cut at SNIPPET_MAX characters without serialising the rest."""
    out: list[str] = []
    _serialise(el, out, [SNIPPET_MAX])
    return "".join(out)[:SNIPPET_MAX]


def _serialise(el: etree._Element, out: list[str], budget: list[int]) -> None:
    if budget[0] <= 0:
        return
    if not isinstance(el.tag, str):  # a comment or processing instruction
        return
    if len(el) == 0:
        try:
            piece = str(etree.tostring(el, encoding="unicode", method="html", with_tail=False))
        except (ValueError, TypeError):
            piece = ""
        out.append(piece[: budget[0]])
        budget[0] -= len(piece)
        return
    attrs = "".join(f' {k}="{_attr(str(v))}"' for k, v in el.attrib.items())
    piece = f"<{el.tag}{attrs}>{_escape(el.text or '')}"
    out.append(piece)
    budget[0] -= len(piece)
    for child in el:
        _serialise(child, out, budget)
        if budget[0] <= 0:
            return
        if child.tail:
            out.append(_escape(child.tail))
            budget[0] -= len(child.tail)
    out.append(f"</{el.tag}>")
    budget[0] -= len(el.tag) + 3


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attr(value: str) -> str:
    return _escape(value).replace('"', "&quot;")


def _text(el: etree._Element) -> str:
    pieces: list[str] = []
    size = 0
    for piece in el.itertext("*", with_tail=True):
        pieces.append(piece)
        size += len(piece)
        if size > TEXT_MAX * 3:
            break
    return normalise_space("".join(pieces))[:TEXT_MAX]


def _offsite_links(el: etree._Element, resolve: Resolver, page_host: str) -> tuple[Link, ...]:
    links: list[Link] = []
    for a in el.iter("a", "area"):
        url = resolve(a.get("href"))
        if url is None:
            continue
        host = host_of(url)
        if not host or host == page_host or is_gov_host(host):
            continue
        text = normalise_space("".join(a.itertext()) or a.get("title") or "")[:80]
        links.append(make_link(url, "a", text))
        if len(links) >= LINKS_MAX:
            break
    return tuple(links)


def _block(el: etree._Element, resolve: Resolver, page_host: str, *, hidden: str = "",
           placement: str = "", fingerprint: str = "") -> SpamBlock | None:
    text = _text(el)
    links = _offsite_links(el, resolve, page_host)
    if not text and not links:
        return None
    # A long hidden block (a tab pane full of content) keeps no snippet: serialising it would
    # cost more than everything else here, and its text says what it is.
    snippet = _snippet(el) if links or len(text) < TEXT_MAX else ""
    return SpamBlock(selector=selector_of(el), hidden=hidden, placement=placement, text=text,
                     links=links, snippet=snippet, fingerprint=fingerprint)


def _rule_reason(el: etree._Element, rules: dict[str, str]) -> str:
    ident = el.get("id")
    if ident:
        reason = rules.get("#" + ident.strip(), "")
        if reason:
            return reason
    classes = el.get("class")
    if classes:
        for cls in classes.split():
            reason = rules.get("." + cls, "")
            if reason:
                return reason
    return ""


_NOT_BLOCKS = frozenset({"script", "style", "input", "template", "noscript", "option"})
_STYLED = etree.XPath("//*[@style or @hidden] | //marquee")


_RULE_KEYS_MAX = 40  # <style> hiding rules applied per page (a hostile page may have many)


@lru_cache(maxsize=512)
def _rule_xpath(keys: tuple[str, ...]) -> etree.XPath:
    """The elements of the body that a rule on one of `keys` (".class" / "#id", names as
    _SIMPLE_SELECTOR matched them: no quotes) may apply to: `contains(@class, name)` is a
    cheap substring test, so the caller checks the class tokens (_rule_reason)."""
    tests = [f"@id='{key[1:]}'" if key[0] == "#" else f"contains(@class,'{key[1:]}')"
             for key in keys]
    return etree.XPath("//body//*[" + " or ".join(tests) + "]")


_CLASSES = etree.XPath("//body//@class")
_IDS = etree.XPath("//body//@id")


def _style_rules(root: etree._Element, used_only: bool) -> dict[str, str]:
    """The hiding rules of the page's <style> blocks; with `used_only`, only those on a
    class or id some element of the body has (one pass over the attribute values, so that
    the tree is searched only for names in use: most rules style other pages' elements)."""
    rules: dict[str, str] = {}
    for style_el in root.iter("style"):
        if style_el.text:
            for key, reason in stylesheet_rules(style_el.text).items():
                rules.setdefault(key, reason)
    if not rules or not used_only:
        return rules
    used: set[str] = set()
    if any(key[0] == "." for key in rules):
        for value in _CLASSES(root):
            used.update("." + name for name in value.split())
    if any(key[0] == "#" for key in rules):
        used.update("#" + str(value).strip() for value in _IDS(root))
    return {key: reason for key, reason in rules.items() if key in used}


def _hidden_roots(root: etree._Element, used_only: bool = True
                  ) -> dict[etree._Element, str]:
    """The outermost hidden elements and why: inline styles, `hidden`, marquees, and the
    rules of the page's <style> blocks on a class or id (`used_only`: see _style_rules)."""
    found: dict[etree._Element, str] = {}
    for el in _STYLED(root):
        style = el.get("style")
        reason = hiding_reason(style) if style else ""  # memoised: usually a dict lookup
        if not reason:
            if el.get("hidden") is not None:
                reason = "hidden-attr"
            elif el.tag == "marquee":
                reason = _marquee_reason(el)
            if not reason:
                continue
        tag = el.tag
        if tag in _NOT_BLOCKS:
            continue
        if len(el) == 0 and tag not in ("iframe", "frame") and not (el.text or "").strip():
            continue  # an empty hidden element hides nothing
        found[el] = reason
    rules = _style_rules(root, used_only)
    if rules:
        for el in _rule_xpath(tuple(sorted(rules)[:_RULE_KEYS_MAX]))(root):
            if el.tag not in _NOT_BLOCKS and el not in found:
                reason = _rule_reason(el, rules)
                if reason:
                    found[el] = "style:" + reason
    # Keep the outermost: a hidden element inside a hidden element adds nothing.
    outer: dict[etree._Element, str] = {}
    for el, reason in found.items():
        parent = el.getparent()
        while parent is not None and parent not in found:
            parent = parent.getparent()
        if parent is None:
            outer[el] = reason
    return outer


def _marquee_reason(el: etree._Element) -> str:
    for attr in ("height", "width"):
        value = _px((el.get(attr) or "").strip())
        if value is not None and value <= 2:
            return "marquee-away"
    amount = _px((el.get("scrollamount") or "").strip())
    if amount is not None and amount >= 1000:
        return "marquee-away"
    return ""


def _frame_reason(el: etree._Element, hidden: dict[etree._Element, str]) -> str:
    for attr in ("width", "height"):
        value = _px((el.get(attr) or "").strip())
        if value is not None and value <= 1:
            return "zero-size"
    style = el.get("style")
    if style:
        props = declarations(style)
        for side in ("width", "height"):
            value = _px(props.get(side, ""))
            if value is not None and value <= 1:
                return "zero-size"
    node: etree._Element | None = el
    while node is not None:
        reason = hidden.get(node)
        if reason:
            return reason
        node = node.getparent()
    return ""


_FOLLOWING_TEXT = "following::text()[not(parent::script) and not(parent::style)][position() <= 40]"


_WITH_ID = etree.XPath("//body//*[@id = $id]")


def _id_runs(root: etree._Element) -> list[IdRun]:
    counts = Counter(_IDS(root))
    runs: list[IdRun] = []
    for ident, count in counts.most_common(5):
        if count < ID_RUN_FLOOR:
            break
        members = [el for el in _WITH_ID(root, id=ident)]
        tags = sorted({el.tag for el in members if isinstance(el.tag, str)})
        if len(tags) < ID_RUN_TAGS_FLOOR:
            continue
        empty = sum(1 for el in members if not (el.text or "").strip())
        after: list[str] = []
        size = 0
        # From the first member on: the run's own tags hold no text, and what they wrap (a
        # <noframes> swallows the rest of the page as text) or what follows them is the spam.
        for piece in members[0].xpath(_FOLLOWING_TEXT):
            after.append(str(piece))
            size += len(piece)
            if size > TEXT_MAX:
                break
        runs.append(IdRun(
            id=str(ident)[:40], count=count, tags=tuple(tags[:20]), empty=empty,
            selector=selector_of(members[0]),
            text_after=normalise_space("".join(after))[:TEXT_MAX],
            snippet=_snippet(members[0])[:SNIPPET_MAX],
        ))
    return runs


def _skeleton(body: etree._Element) -> tuple[list[str], dict[etree._Element, str], int]:
    """Paths of the body's children and grandchildren (tag#id.class), each element's path,
    and the index of the first body child that holds the header (-1: none found)."""
    paths: list[str] = []
    path_of: dict[etree._Element, str] = {}
    header_index = -1
    for index, child in enumerate(body):
        if not isinstance(child.tag, str):
            continue
        top = _name(child)
        path_of[child] = top
        if len(paths) < SKELETON_MAX:
            paths.append(top)
        if header_index < 0 and (child.tag == "header" or _HEADER_NAME.search(
                (child.get("id") or "") + " " + (child.get("class") or ""))):
            header_index = index
        for grandchild in child:
            if not isinstance(grandchild.tag, str):
                continue
            path = f"{top}>{_name(grandchild)}"
            path_of[grandchild] = path
            if len(paths) < SKELETON_MAX and path not in paths:
                paths.append(path)
            if header_index < 0 and (grandchild.tag == "header" or _HEADER_NAME.search(
                    (grandchild.get("id") or "") + " " + (grandchild.get("class") or ""))):
                header_index = index
    return paths, path_of, header_index


def _name(el: etree._Element) -> str:
    ident = (el.get("id") or "").strip()
    classes = (el.get("class") or "").split()
    return f"{el.tag}{'#' + ident if ident else ''}{'.' + classes[0] if classes else ''}"


def _names(el: etree._Element, body: etree._Element) -> tuple[str, ...]:
    """".class" and "#id" of the element and its ancestors below <body>: a stylesheet rule on
    any of them hides the block."""
    names: list[str] = []
    node: etree._Element | None = el
    while node is not None and node is not body:
        ident = (node.get("id") or "").strip()
        if ident:
            names.append("#" + ident)
        names.extend("." + cls for cls in (node.get("class") or "").split())
        node = node.getparent()
    return tuple(dict.fromkeys(names))[:20]


_INLINE = frozenset({"a", "span", "font", "b", "strong", "em", "i", "u", "img", "small", "br"})


def _offsite_blocks(body: etree._Element, anchors: list[Anchor],
                    path_of: dict[etree._Element, str], header_index: int,
                    hidden: dict[etree._Element, str]) -> list[SpamBlock]:
    """The blocks (a body child or grandchild) that link off-site to non-government hosts."""
    holders: dict[etree._Element, list[Link]] = {}
    for a, url, text in anchors:
        node: etree._Element | None = a
        holder = None
        while node is not None and node is not body:
            if node in path_of:
                holder = node
                if node.getparent() is not body and node.tag not in _INLINE:
                    break  # a grandchild block: the finer block
            node = node.getparent()
        if holder is None:
            continue
        links = holders.get(holder)
        if links is None:
            if len(holders) >= BLOCKS_MAX:
                continue
            links = holders[holder] = []
        if len(links) < LINKS_MAX:
            links.append(make_link(url, "a", text[:80]))
    blocks: list[SpamBlock] = []
    children = list(body)
    for holder, links in holders.items():
        top = holder if holder.getparent() is body else holder.getparent()
        placement = ""
        if header_index >= 0 and top is not None and children.index(top) < header_index:
            placement = "before-header"
        fingerprint = path_of[holder] + "|" + ",".join(sorted({host_of(x.url) for x in links}))
        reason = ""
        up: etree._Element | None = holder
        while up is not None:
            reason = hidden.get(up, "")
            if reason:
                break
            up = up.getparent()
        blocks.append(SpamBlock(selector=selector_of(holder), hidden=reason,
                                placement=placement, text=_text(holder), links=tuple(links),
                                snippet=_snippet(holder), fingerprint=fingerprint,
                                names=_names(holder, body)))
    return blocks


def _named_blocks(body: etree._Element, path_of: dict[etree._Element, str],
                  hidden: dict[etree._Element, str]) -> list[NamedText]:
    """Small linkless blocks with a class or id at the top two levels of the body (where
    injected text goes: right after <body>, or into a header or footer include), for the
    check to apply the site's own stylesheets' hiding rules to. Blocks with links are the
    off-site blocks' business (or link on-site); blocks already hidden are recorded as such."""
    named: list[NamedText] = []
    for el in path_of:
        if (el.tag in _NOT_BLOCKS or len(el) > NAMED_CHILDREN_MAX
                or not (el.get("class") or el.get("id")) or el in hidden
                or el.getparent() in hidden or el.find(".//a") is not None):
            continue
        text = _text(el)
        if len(text) < 4:
            continue
        named.append(NamedText(selector_of(el), _names(el, body), text[:NAMED_TEXT_MAX]))
        if len(named) >= NAMED_MAX:
            break
    return named


def _outside(html: str, resolve: Resolver, page_host: str) -> list[SpamBlock]:
    """Markup before <html>/<!DOCTYPE> and after </html>."""
    blocks: list[SpamBlock] = []
    start = _DOC_START.search(html, 0, 4096 * 4)
    if start is not None and start.start() > 0:
        head = html[: start.start()]
        if not _BLANK.match(head):
            block = _fragment_block(head, resolve, page_host, "before-html")
            if block is not None:
                blocks.append(block)
    at = max(html.rfind("</html"), html.rfind("</HTML"), html.rfind("</Html"))
    end = _DOC_END.match(html, at) if at >= 0 else None
    if end is not None:
        tail = html[end.end():]
        if tail.strip() and not _BLANK.match(tail):
            block = _fragment_block(tail, resolve, page_host, "after-html")
            if block is not None:
                blocks.append(block)
    return blocks


def _fragment_block(markup: str, resolve: Resolver, page_host: str,
                    placement: str) -> SpamBlock | None:
    markup = markup[:20000]
    try:
        root = etree.fromstring(
            ("<html><body>" + markup + "</body></html>").encode("utf-8", "replace"),
            parser=etree.HTMLParser(encoding="utf-8"),
        )
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    body = next(root.iter("body"), root)
    block = _block(body, resolve, page_host, placement=placement)
    if block is None:
        return None
    snippet = markup.strip()[:SNIPPET_MAX]
    return SpamBlock(selector=placement, hidden=block.hidden, placement=placement,
                     text=block.text, links=block.links, snippet=snippet)


def _script_blocks(root: etree._Element, written: list[tuple[etree._Element, list[str]]],
                   resolve: Resolver, page_host: str) -> tuple[list[SpamBlock], list[str]]:
    """Links written by inline scripts (`written`: each script's markup, from
    crawler.jsstrings), and the targets scripts and meta refreshes send visitors to."""
    blocks: list[SpamBlock] = []
    redirects: list[str] = []
    for el in root.iter("script"):
        code = el.text
        if code and "location" in code and not el.get("src"):
            for match in _REDIRECT.finditer(code):
                url = resolve(match.group(1) or match.group(2))
                if url is not None and url not in redirects:
                    redirects.append(url)
    for el, markups in written:
        for markup in markups:
            if "href" not in markup and "HREF" not in markup:
                continue
            try:
                fragment = etree.fromstring(
                    ("<html><body>" + markup + "</body></html>").encode("utf-8", "replace"),
                    parser=etree.HTMLParser(encoding="utf-8"),
                )
            except (etree.ParserError, etree.XMLSyntaxError, ValueError):
                continue
            if fragment is None:
                continue
            body = next(fragment.iter("body"), fragment)
            links = _offsite_links(body, resolve, page_host)
            if not links:
                continue
            inner = _hidden_roots(fragment, used_only=False)
            reason = next(iter(inner.values()), "")
            blocks.append(SpamBlock(
                selector=selector_of(el), hidden=reason, placement="script",
                text=_text(body), links=links, snippet=markup.strip()[:SNIPPET_MAX],
            ))
            if len(blocks) >= BLOCKS_MAX:
                break
    for el in root.iter("meta"):
        if (el.get("http-equiv") or "").strip().lower() == "refresh":
            refresh = _REFRESH_URL.search(el.get("content") or "")
            url = resolve(refresh.group(1).strip()) if refresh else None
            if url is not None and url not in redirects:
                redirects.append(url)
    return blocks, redirects


def find_spam(root: etree._Element, html: str, url: str, resolve: Resolver,
              anchors: list[Anchor], written: list[tuple[etree._Element, list[str]]]
              ) -> SpamFacts:
    """The spam and hijack signals of a parsed page (`html` is the raw text it came from,
    `anchors` its <a> elements as crawler.links.find_links listed them, `written` the markup
    of its inline scripts as crawler.jsstrings.script_markup read it)."""
    page_host = host_of(url)
    offsite_anchors = [
        anchor for anchor in anchors
        if (host := host_of(anchor[1])) and host != page_host and not is_gov_host(host)
    ]
    hidden = _hidden_roots(root)
    # The off-site links of each hidden element, found from the links upwards.
    hidden_links: dict[etree._Element, list[Link]] = {}
    for a, link_url, text in offsite_anchors:
        node: etree._Element | None = a
        while node is not None:
            if node in hidden:
                links = hidden_links.setdefault(node, [])
                if len(links) < LINKS_MAX:
                    links.append(make_link(link_url, "a", text[:80]))
                break
            node = node.getparent()
    hidden_blocks: list[SpamBlock] = []
    for el, reason in hidden.items():
        if el.tag in ("iframe", "frame"):
            continue
        text = _text(el)
        found = tuple(hidden_links.get(el, ()))
        if not found and len(text) < 2:
            continue
        # Only a block that links off-site keeps a snippet: serialising every hidden menu
        # and tab pane would cost more than everything else here, and its text says enough.
        hidden_blocks.append(SpamBlock(
            selector=selector_of(el), hidden=reason, text=text, links=found,
            snippet=_snippet(el) if found else "",
        ))
        if len(hidden_blocks) >= BLOCKS_MAX:
            break
    frames: list[EmbedFrame] = []
    for el in root.iter("iframe", "frame"):
        reason = _frame_reason(el, hidden)
        src = resolve(el.get("src"))
        if reason and src is not None:
            frames.append(EmbedFrame(url=src, selector=selector_of(el), hidden=reason,
                                     snippet=_snippet(el)[:SNIPPET_MAX]))
    body = next(root.iter("body"), None)
    skeleton: list[str] = []
    offsite: list[SpamBlock] = []
    named: list[NamedText] = []
    if body is not None:
        skeleton, path_of, header_index = _skeleton(body)
        offsite = _offsite_blocks(body, offsite_anchors, path_of, header_index, hidden)
        named = _named_blocks(body, path_of, hidden)
    scripted, redirects = _script_blocks(root, written, resolve, page_host)
    return SpamFacts(
        hidden=tuple(hidden_blocks),
        offsite=tuple(offsite[:BLOCKS_MAX]),
        outside=tuple(_outside(html, resolve, page_host)),
        scripted=tuple(scripted),
        id_runs=tuple(_id_runs(root)),
        frames=tuple(frames[:BLOCKS_MAX]),
        redirects=tuple(redirects[:BLOCKS_MAX]),
        skeleton=tuple(skeleton),
        named=tuple(named),
    )
