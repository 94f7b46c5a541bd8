"""Small questions about one element, shared by lists, navigation and archive labels.

Everything here is cheap (XPath string functions run in C) because it is asked of many
elements per page.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from crawler.visible import is_hidden

# Never rendered as content: what the visible-text walk skips, plus form controls whose text
# is a choice rather than content.
SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "head", "title", "xml", "textarea", "select",
     "option", "object"}
)  # fmt: skip
_FOOTER = re.compile(r"foot|copyright|banquan|\bbq\b|fooer", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^A-Za-z0-9]+")

_TEXT_LENGTH = etree.XPath("string-length(normalize-space())")
_TEXT = etree.XPath("normalize-space()")
# XPath's whitespace, which normalize-space() folds (not Unicode's: U+3000 stays).
_XPATH_SPACE = re.compile(r"[ \t\n\r]+")


def name_of(el: etree._Element) -> str:
    """`id class` of an element (the strings CMS templates name their regions with)."""
    return f"{el.get('id') or ''} {el.get('class') or ''}"


def name_tokens(name: str) -> list[str]:
    """headerNav main-nav_1 -> [header, nav, main, nav, 1]."""
    return [token for token in _SPLIT.split(_CAMEL.sub(" ", name).lower()) if token]


def is_footer_like(el: etree._Element) -> bool:
    return el.tag == "footer" or _footer_name(name_of(el))


@lru_cache(maxsize=4096)
def _footer_name(name: str) -> bool:
    # memoised: asked of every ancestor of every date and list, with few distinct names
    return _FOOTER.search(name) is not None


def _normalize_space(text: str) -> str:
    """XPath normalize-space() of a string."""
    return _XPATH_SPACE.sub(" ", text).strip(" ")


def text_length(el: etree._Element) -> int:
    """Length of the element's text with whitespace runs folded (scripts included)."""
    if not len(el):  # only text inside: cheaper in Python than an XPath evaluation
        return len(_normalize_space(el.text or ""))
    return int(_TEXT_LENGTH(el))


def text_of(el: etree._Element) -> str:
    """XPath normalize-space() of the element (see text_length)."""
    if not len(el):
        return _normalize_space(el.text or "")
    return str(_TEXT(el))


def ancestors(el: etree._Element) -> list[etree._Element]:
    """el, its parent, ... up to the root."""
    chain: list[etree._Element] = []
    node: etree._Element | None = el
    while node is not None:
        chain.append(node)
        node = node.getparent()
    return chain


def never_shown(chain: list[etree._Element]) -> bool:
    """The chain (from `ancestors`) passes through a script, style, template, ... element."""
    return any(node.tag in SKIP_TAGS for node in chain)


def hidden_inline(chain: list[etree._Element]) -> bool:
    return any(is_hidden(node) for node in chain)


def previous_element(el: etree._Element) -> etree._Element | None:
    """The previous sibling that is an element (comments skipped)."""
    node = el.getprevious()
    while node is not None and not isinstance(node.tag, str):
        node = node.getprevious()
    return node


def next_element(el: etree._Element) -> etree._Element | None:
    node = el.getnext()
    while node is not None and not isinstance(node.tag, str):
        node = node.getnext()
    return node
