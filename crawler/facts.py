"""Plain values extracted from one page.

`crawler.extract.extract(url, html)` produces a `PageFacts`; the pipeline stores it as JSON
(`to_dict`) and `store.snapshot` rebuilds it (`from_dict`) for the checks, which therefore
never see HTML, Scrapy or the ORM. Bump `FACTS_VERSION` when the meaning of a field changes so
that old crawls can be re-extracted from their stored bodies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

FACTS_VERSION = 1

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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["_version"] = FACTS_VERSION
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PageFacts:
        data = dict(data)
        data.pop("_version", None)
        known = set(cls.__dataclass_fields__)
        kwargs: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        for name in ("icp", "police", "police_recordcodes", "site_codes", "jiucuo"):
            if name in kwargs:
                kwargs[name] = tuple(kwargs[name])
        if "links" in kwargs:
            kwargs["links"] = tuple(Link(**link) for link in kwargs["links"])
        if "conac" in kwargs:
            kwargs["conac"] = tuple(ConacBadge(**badge) for badge in kwargs["conac"])
        return cls(**kwargs)
