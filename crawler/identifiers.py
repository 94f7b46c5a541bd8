"""Footer identifiers in visible text: ICP 备案号, 公安备案号, 政府网站标识码.

Pages write these in many ways (spaces and colons anywhere, full-width digits and letters,
traditional characters, a missing 号), and the checks compare what the page displays with the
registry. The patterns accept every variant directly (character classes rather than a folded
copy of the text, which would cost a full pass over every page) and we return the matched text
as displayed, whitespace-normalised. Site codes are returned as values (ASCII digits), since
only the code itself is ever compared.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# Province abbreviations of ICP and 公安 numbers (checks.md); 蜀/川, 黔/贵, 滇/云, 陇/甘 all occur.
PROVINCES = "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝蜀川黔贵滇云藏陕甘陇青宁新"
# Their traditional forms, for pages rendered in traditional characters (seed 001).
_PROVINCES_TRADITIONAL = "遼滬蘇閩贛魯粵瓊貴雲陝隴寧晉"

_PROV = f"[{PROVINCES}{_PROVINCES_TRADITIONAL}]"
_COLON = r"(?:\s*[:：﹕]\s*)?"
_DIGIT = r"\d"  # Unicode digits: full-width ０-９ included
_HYPHEN = "[-－—–]"
_ICP = "[IＩiｉ][CＣcｃ][PＰpｐ]"
_BEI = "[备備]"
_HAO = "[号號]"
_WANG = "[网網]"
_AN = "安"
_ZHENG = "[证證]"
_BIAN = "[编編]"
_BIAOSHI = "(?:[标標][识識]|[识識][别別])"
_MA = "[码碼]"
_JIGUAN = "[机機][关關]"

# 京ICP备05070218号, 湘ICP备14002927号-5, 晋ICP备05003854, 蜀ICP备：19007388号,
# 赣 ICP 备 17015617 号, 京ICP证000006号, 粤ICP备案号：12345678号, 湘ICP備05009375號,
# 浙ICP备12345678-1号 (the 号 after the suffix is shown as printed).
ICP_RE = re.compile(
    rf"{_PROV}\s*{_ICP}\s*(?:{_BEI}(?:案(?:{_BIAN}?{_HAO})?)?|{_ZHENG}){_COLON}"
    rf"\s*{_DIGIT}{{5,12}}(?!{_DIGIT})(?:\s*{_HAO})?"
    rf"(?:\s*{_HYPHEN}\s*{_DIGIT}{{1,4}}(?!{_DIGIT})(?:\s*{_HAO}(?![码碼]))?)?"
)

# 京公网安备11010202000001号, 浙公网安备 33010602009328号, 京 公网安备11010202000010,
# 公安机关备案号：36010802000157, 公网安备 11010202000001号 (no province).
POLICE_RE = re.compile(
    rf"(?:(?:{_PROV}\s*)?公{_WANG}{_AN}{_BEI}(?:{_BIAN}?{_HAO})?"
    rf"|公安(?:{_JIGUAN})?{_BEI}案(?:{_BIAN}?{_HAO})?)"
    rf"{_COLON}\s*{_DIGIT}{{10,16}}(?!{_DIGIT})(?:\s*{_HAO})?"
)

# 网站标识码：3300000020, 政府网站标识码 bm01000001, 网站识别码:1401000055, 網站標識碼:4311000024.
# (A leading 政府 is not part of the pattern: only the value is used, and a match that starts
# at 网站 can be looked for from each 站, see _site_code_matches.)
SITE_CODE_RE = re.compile(
    rf"{_WANG}站{_BIAOSHI}{_MA}(?:为)?{_COLON}\s*((?:[bBｂＢ][mMｍＭ])?{_DIGIT}{{6,12}})"
    r"(?![\da-zA-Z])"
)

# Cheap pre-filter for script-written markup.
_ANY_MARK = re.compile(
    rf"{_ICP}|公{_WANG}{_AN}{_BEI}|公安(?:{_JIGUAN})?{_BEI}案|{_WANG}站{_BIAOSHI}{_MA}"
)
_ASCII = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "ｂ": "b", "Ｂ": "B", "ｍ": "m", "Ｍ": "M",
    }
)  # fmt: skip


def normalise_space(text: str) -> str:
    """Runs of whitespace (including U+3000 and NBSP) become one space; ends stripped."""
    return " ".join(text.split())


def has_identifier_mark(text: str) -> bool:
    return _ANY_MARK.search(text) is not None


def _displayed(pattern: re.Pattern[str], text: str) -> list[str]:
    found: list[str] = []
    for match in pattern.finditer(text):
        shown = normalise_space(match.group(0))
        if shown not in found:
            found.append(shown)
    return found


def find_icp(text: str) -> list[str]:
    """Every ICP 备案/许可证 number, as displayed, in order of appearance."""
    return _displayed(ICP_RE, text)


def find_police(text: str) -> list[str]:
    """Every 公安机关备案号, as displayed, in order of appearance."""
    found: list[str] = []
    for match in _police_matches(text):
        shown = normalise_space(match.group(0))
        if shown not in found:
            found.append(shown)
    return found


def _site_code_matches(text: str) -> Iterator[re.Match[str]]:
    """`SITE_CODE_RE.finditer(text)`, same matches, faster: every match starts with 网站 or
    網站, so only the positions before a 站 (found by str.find, in C) are tried."""
    pos = 0
    while True:
        at = text.find("站", pos + 1)
        if at < 0:
            return
        match = SITE_CODE_RE.match(text, at - 1) if text[at - 1] in "网網" else None
        if match is None:
            pos = at
        else:
            yield match
            pos = match.end()


_PROVINCE_CHARS = frozenset(PROVINCES + _PROVINCES_TRADITIONAL)


def _police_matches(text: str) -> Iterator[re.Match[str]]:
    """`POLICE_RE.finditer(text)`, same matches, several times faster.

    WHY: the pattern starts with an optional part, so the regex engine tries it at every
    position of the page text. Every match holds a 公, and starts either at it or at a province
    abbreviation followed by whitespace and that 公; so only those positions are tried, in
    the same order as finditer would (\\s and str.isspace agree on what whitespace is)."""
    pos = 0
    while True:
        at = text.find("公", pos)
        if at < 0:
            return
        before = at - 1
        while before >= pos and text[before].isspace():
            before -= 1
        match = None
        if before >= pos and text[before] in _PROVINCE_CHARS:
            match = POLICE_RE.match(text, before)
        if match is None:
            match = POLICE_RE.match(text, at)
        if match is None:
            pos = at + 1
        else:
            yield match
            pos = match.end()


def find_site_codes(text: str) -> list[str]:
    """The values next to 网站标识码 / 网站识别码 (ASCII), in order of appearance.

    Values of the wrong shape (a 9-digit code) are returned too: judging the shape (10 digits,
    or bm + 8 digits) is the job of identity.site-code-mismatch.
    """
    found: list[str] = []
    for match in _site_code_matches(text):
        code = match.group(1).translate(_ASCII)
        if code not in found:
            found.append(code)
    return found
