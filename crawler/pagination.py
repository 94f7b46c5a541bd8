"""下一页 / 尾页 of a paginated list page.

Links first: 下一页, 下页, 后页, next, and a bare ">" when it sits in a pager (an element named
page/fenye, or next to page-number links); 尾页, 末页, 最后一页, and ">>" in a pager. A link to
the page itself is no next page (the last page's 下一页 often points back to itself).

TRS sites write their pager from a script: createPageHTML(5, 0, "index", "html") means five
pages, this is page 0, named index.html, index_1.html ... index_4.html. The newer signature
createPageHTML('page_div', 5, 1, 'index', 'html', 68) has the element id first and the record
count last; the page count and index are the first two numbers, the name and extension the two
strings after them. Numbers held in variables (var countPage = 5) are read when the script
assigns them a constant. Best effort: anything else gives no pagination.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from lxml import etree

from crawler.dom import name_of
from crawler.links import Anchor

_NEXT = re.compile(
    r"^(?:下一页|下页|下一頁|下頁|后一页|後一頁|后页|後頁|next(?:\s*page)?)\s*[>»›＞]*$",
    re.IGNORECASE,
)
_LAST = re.compile(
    r"^(?:尾页|尾頁|末页|末頁|最后一页|最後一頁|最末页|last(?:\s*page)?)\s*[>»›＞|]*$",
    re.IGNORECASE,
)
_PREVIOUS = re.compile(
    r"^[<«‹＜]*\s*(?:上一页|上页|上一頁|上頁|前一页|前页|prev(?:ious)?(?:\s*page)?)\s*$",
    re.IGNORECASE,
)
_ARROW_NEXT = frozenset({">", "›", "＞", "→"})
_ARROW_LAST = frozenset({">>", "»", ">|", "›|", "＞＞"})
_PAGER_NAME = re.compile(r"pag|fenye|\bfy\b|\bpg\b", re.IGNORECASE)
_CALL = re.compile(r"createPageHTML\s*\(([^()]*)\)")
_ASSIGN = re.compile(r"\b(?:var|let|const)?\s*([A-Za-z_$][\w$]*)\s*=\s*(\d+)\s*[;,\n]")
_ARG_STRING = re.compile(r"""^\s*(?:"([^"]*)"|'([^']*)')\s*$""")


def _in_pager(el: etree._Element) -> bool:
    node = el.getparent()
    for _ in range(3):
        if node is None:
            return False
        if _PAGER_NAME.search(name_of(node)):
            return True
        digits = sum(1 for a in node.iter("a") if "".join(a.itertext()).strip().isdigit())
        if digits >= 2:
            return True
        node = node.getparent()
    return False


@dataclass(frozen=True, slots=True)
class Pages:
    next_page: str = ""  # 下一页, "" none
    last_page: str = ""  # 尾页, "" none
    pager: bool = False  # the page has a pager at all (the last page has only 上一页)


def find_pages(root: etree._Element, anchors: list[Anchor], page_url: str) -> Pages:
    next_page = last_page = ""
    pager = False
    own = page_url.split("#", 1)[0]
    for el, url, text in anchors:
        label = text.strip()
        if not label or len(label) > 12:
            continue
        if _PREVIOUS.match(label) or _NEXT.match(label) or _LAST.match(label):
            pager = True
        if url == own:
            continue
        if not next_page and (_NEXT.match(label) or (label in _ARROW_NEXT and _in_pager(el))):
            next_page = url
        elif not last_page and (_LAST.match(label) or (label in _ARROW_LAST and _in_pager(el))):
            last_page = url
    if not next_page or not last_page:
        script_next, script_last, scripted = _script_pages(root, own)
        next_page = next_page or script_next
        last_page = last_page or script_last
        pager = pager or scripted
    return Pages(next_page, last_page, pager or bool(next_page or last_page))


def _script_pages(root: etree._Element, page_url: str) -> tuple[str, str, bool]:
    for script in root.iter("script"):
        code = script.text or ""
        if "createPageHTML" not in code:
            continue
        variables = {name: int(value) for name, value in _ASSIGN.findall(code)}
        for call in _CALL.finditer(code):
            pages = _pages_of(call.group(1), variables)
            if pages is None:
                continue
            count, current, name, ext = pages
            next_page = last_page = ""
            if current + 1 < count:
                next_page = urljoin(page_url, f"{name}_{current + 1}.{ext}")
            if count > 1 and current < count - 1:
                last_page = urljoin(page_url, f"{name}_{count - 1}.{ext}")
            return next_page, last_page, True
    return "", "", False


def _pages_of(args: str, variables: dict[str, int]) -> tuple[int, int, str, str] | None:
    numbers: list[int] = []
    strings: list[str] = []
    for raw in args.split(","):
        arg = raw.strip()
        quoted = _ARG_STRING.match(arg)
        if quoted is not None:
            if len(numbers) >= 2:
                strings.append(quoted.group(1) if quoted.group(1) is not None else quoted.group(2))
        elif arg.isdigit():
            numbers.append(int(arg))
        elif arg in variables:
            numbers.append(variables[arg])
        elif len(numbers) < 2:
            return None  # a page count we cannot read
    if len(numbers) < 2 or len(strings) < 2:
        return None
    name, ext = strings[0], strings[1]
    if not re.fullmatch(r"[\w\-]+", name) or not re.fullmatch(r"[A-Za-z0-9]+", ext):
        return None
    return numbers[0], numbers[1], name, ext
