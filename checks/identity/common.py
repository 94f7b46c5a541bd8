"""Helpers the identity checks share: the home page's facts and identifier normalisation.

The footer identifiers are site-wide (one template), so they are read from the home page only
and reported once, at the home page. A home page that did not load has no facts; the identity
checks then say nothing (availability and links cover that), rather than report every
identifier missing.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from checks.base import SiteSnapshot
from crawler.facts import PageFacts
from crawler.identifiers import PROVINCES

# 川/蜀, 贵/黔, 云/滇, 甘/陇 are both in use for one province.
_PROVINCE_ALIASES = {"川": "蜀", "贵": "黔", "云": "滇", "甘": "陇"}
# Traditional forms of the characters an identifier is compared on (pages such as seed 001
# render the footer in traditional characters: 湘ICP備05009375號); NFKC does not fold these.
# Dashes NFKC leaves alone become "-" too (湘ICP备14002927号—5).
_SIMPLIFY = str.maketrans(
    "備號編遼滬蘇閩贛魯粵瓊貴雲陝隴寧晉—–", "备号编辽沪苏闽赣鲁粤琼贵云陕陇宁晋--"
)

# The strict form of checks.md, matched against the squeezed text (spaces, colons removed).
ICP_STRICT = re.compile(rf"[{PROVINCES}]ICP备\d{{6,10}}号(?:-\d{{1,3}})?", re.IGNORECASE)
# Lenient, as displayed on real pages: 晋ICP备05003854 (no 号), 粤ICP备案号：12345678号.
_ICP_CORE = re.compile(
    rf"([{PROVINCES}])ICP备(?:案(?:编?号)?)?(\d{{5,12}})号?(?:-(\d{{1,4}}))?", re.IGNORECASE
)

# First two digits of the 6-digit administrative division codes (GB/T 2260) of the provinces.
PROVINCE_CODES = frozenset(
    f"{n:02d}"
    for n in (
        *range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
        *range(61, 66),
    )
)  # fmt: skip
_SITE_CODE_SHAPE = re.compile(r"\d{10}|bm\d{8}")


def home_facts(site: SiteSnapshot) -> tuple[str, PageFacts] | None:
    """The home page's URL and facts, or None when the home page did not load."""
    if site.home is None or site.home.facts is None:
        return None
    return site.home.url, site.home.facts


def squeeze(text: str) -> str:
    """`text` in the form identifiers are compared in.

    Simplified (備→备, 號→号, 粵→粤), NFKC (full-width letters, digits, colons and hyphens
    to ASCII), without whitespace or colons.
    """
    text = unicodedata.normalize("NFKC", text.translate(_SIMPLIFY))
    return re.sub(r"[\s:\u200b\ufeff]+", "", text)


@dataclass(frozen=True, slots=True)
class IcpNumber:
    province: str  # canonical 简称 (蜀, 黔, 滇, 陇 for the pairs that have two)
    number: str
    suffix: str | None  # the website's sequence "-N", None when absent

    def matches(self, registered: IcpNumber) -> bool:
        """Same entity number; the suffix must agree only when the registry gives one."""
        return (
            self.province == registered.province
            and self.number == registered.number
            and (registered.suffix is None or registered.suffix == self.suffix)
        )

    def __str__(self) -> str:
        tail = f"-{self.suffix}" if self.suffix else ""
        return f"{self.province}ICP备{self.number}号{tail}"


def parse_icp(text: str) -> IcpNumber | None:
    """The ICP 备案编号 in `text`, tolerating spaces, labels (备案号：) and a missing 号."""
    match = _ICP_CORE.search(squeeze(text))
    if match is None:
        return None
    province, number, suffix = match.groups()
    return IcpNumber(_PROVINCE_ALIASES.get(province, province), number, suffix)


def icp_is_strict(text: str) -> bool:
    """Whether the displayed string has the full form of checks.md (with 号)."""
    return ICP_STRICT.search(squeeze(text)) is not None


def normalise_site_code(code: str) -> str:
    return squeeze(code).lower()


def site_code_shape_problem(code: str) -> str | None:
    """Why a 政府网站标识码 has the wrong shape, or None when it is well formed.

    Either `bm` + 8 digits (departments), or 10 digits starting with a 6-digit administrative
    division code, of which only the province part (first two digits) can be verified here.
    """
    value = normalise_site_code(code)
    if not _SITE_CODE_SHAPE.fullmatch(value):
        return f"标识码 {code} 格式错误（应为10位数字或 bm 加8位数字）"
    if value.isdigit() and value[:2] not in PROVINCE_CODES:
        return f"标识码 {code} 的前6位不是有效的行政区划代码"
    return None
