"""Dates as government pages show them -> one normalised string.

The checks compare dates across pages and with --as-of, so every form a page displays must
come out the same: "2026-11-01", "2026-11-01T09:30" (local time, Asia/Shanghai, no offset,
seconds dropped: no rule is finer than a minute), or "--11-01" when the page shows no year
([11-01] in a list; the checks resolve the year against --as-of).

Accepted: 2026-11-01, 2026-1-1, 2026/11/01, 2026.11.01, 2026年11月1日 (spaces anywhere),
each with an optional time (09:30, 09:30:00, 13时44分, glued as in 2024年05月10日06:58, or
ISO T09:30:00+08:00). Without a year only bracketed forms ([11-01], (11-01), （11月1日）) are read
anywhere; a bare 11-01 / 11月01日 only when it is all the text there is (a list's date cell),
since in running text it is as likely a score, a range or a phone number.

Not dates: header "today" widgets (今天是2026年11月21日 星期六), CMS generation stamps
(页面生成时间 ...), copyright years (© 1997-2024: no day, so never matched). The widget and the
stamp are recognised by the words around the date, which is cheap and never hides a list date
in practice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

__all__ = ["DateMatch", "find_date_matches", "find_dates", "parse_date", "parse_meta_date"]

_Y = r"(?P<y>(?:19[4-9]|20\d)\d)"
_TIME = (
    r"(?:\s{0,3}(?:T|\s)?\s{0,3}(?P<H>[01]?\d|2[0-3])\s{0,2}[:：时時]\s{0,2}(?P<M>[0-5]\d)"
    r"(?:\s{0,2}分)?(?:\s{0,2}[:：]\s{0,2}[0-5]\d(?:\.\d+)?(?:\s{0,2}秒)?)?(?!\d))?"
)
# 2026-11-01 / 2026/11/01 / 2026.11.01 (one separator throughout), or 2026年11月1日.
_FULL = re.compile(
    rf"(?<![\d.\-/]){_Y}\s{{0,2}}(?:"
    r"(?P<sep>[-/.])\s{0,2}(?P<m>1[0-2]|0?[1-9])\s{0,2}(?P=sep)\s{0,2}(?P<d>3[01]|[12]\d|0?[1-9])"
    r"(?!\d)"
    r"|年\s{0,2}(?P<m2>1[0-2]|0?[1-9])\s{0,2}月\s{0,2}(?P<d2>3[01]|[12]\d|0?[1-9])"
    r"(?:\s{0,2}日|(?!\d))"
    rf"){_TIME}"
)
# [11-01], (11-01), （11月1日）, 【11.01】: no year shown.
_BRACKETED = re.compile(
    r"[\[(（【〔]\s{0,2}(?P<m>1[0-2]|0?[1-9])\s{0,2}(?:[-/.]|月)\s{0,2}(?P<d>3[01]|[12]\d|0?[1-9])"
    r"\s{0,2}日?\s{0,2}[\])）】〕]"
)
# A date cell holding only 11-01, 11/01 or 11月01日.
_BARE = re.compile(
    r"\s*(?P<m>1[0-2]|0?[1-9])\s{0,2}"
    r"(?:[-/]\s{0,2}(?P<d>3[01]|[12]\d|0?[1-9])|月\s{0,2}(?P<d2>3[01]|[12]\d|0?[1-9])\s{0,2}日)\s*"
)
# The words that make a date a "today" widget or a generation stamp rather than content.
_NOT_BEFORE = re.compile(
    r"(?:今天|今日|当前时间|当前日期|现在时间|现在是|生成时间|生成日期|生成于|today|publishdate)"
    r"\s*(?:是|为|：|:)?\s*$",
    re.IGNORECASE,
)
_NOT_AFTER = re.compile(r"^\s{0,3}[(（]?\s{0,2}(?:星期|周[一二三四五六日天]|礼拜)")
_PUBLISHED_BEFORE = re.compile(
    r"(?:发布|發布|发表|發表|发稿)\S{0,3}\s{0,2}[:：]?\s{0,3}$|(?:发布|發布)(?:时间|日期|時間)\s{0,2}[:：]\s{0,3}$"
)
_CONTEXT = 16
_DIGIT = re.compile(r"\d")
# 2007-08-20-23:59:59 (中国政府网's firstpublishedtime)
_META_DASHED_TIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})-(\d{1,2}:\d{2})")


@dataclass(frozen=True, slots=True)
class DateMatch:
    value: str  # normalised
    start: int
    end: int


def _normal(y: int | None, m: int, d: int, hour: str | None, minute: str | None) -> str:
    if y is None:
        try:
            date(2024, m, d)  # a leap year: 02-29 exists
        except ValueError:
            return ""
        return f"--{m:02d}-{d:02d}"
    try:
        date(y, m, d)
    except ValueError:
        return ""
    if hour is not None and minute is not None:
        return f"{y:04d}-{m:02d}-{d:02d}T{int(hour):02d}:{int(minute):02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def _excluded(text: str, start: int, end: int) -> bool:
    """A today widget or a generation stamp. A weekday after the date marks the widget too,
    unless a publication label precedes the date (发布日期：2023年5月8日 星期一)."""
    if _NOT_BEFORE.search(text, max(0, start - _CONTEXT), start) is not None:
        return True
    if _NOT_AFTER.match(text[end : end + _CONTEXT]) is None:
        return False
    return _PUBLISHED_BEFORE.search(text, max(0, start - _CONTEXT), start) is None


# Short texts (date fields, link texts, headings) repeat across a site's pages; their results
# are memoised. Long texts (article zones) rarely repeat.
_MEMO_TEXT_MAX = 100


def find_date_matches(text: str) -> list[DateMatch]:
    """Every date in `text` with its span, in order (see the module docstring)."""
    if len(text) <= _MEMO_TEXT_MAX:
        return list(_short_date_matches(text))
    return _date_matches(text)


@lru_cache(maxsize=8192)
def _short_date_matches(text: str) -> tuple[DateMatch, ...]:
    return tuple(_date_matches(text))


def _date_matches(text: str) -> list[DateMatch]:
    found: list[DateMatch] = []
    if _DIGIT.search(text) is None:
        return found
    for match in _FULL.finditer(text):
        if _excluded(text, match.start(), match.end()):
            continue
        month = match.group("m") or match.group("m2")
        day = match.group("d") or match.group("d2")
        value = _normal(
            int(match.group("y")), int(month), int(day), match.group("H"), match.group("M")
        )
        if value:
            found.append(DateMatch(value, match.start(), match.end()))
    taken = [(m.start, m.end) for m in found]
    for match in _BRACKETED.finditer(text):
        if any(s < match.end() and match.start() < e for s, e in taken):
            continue
        if _excluded(text, match.start(), match.end()):
            continue
        value = _normal(None, int(match.group("m")), int(match.group("d")), None, None)
        if value:
            found.append(DateMatch(value, match.start(), match.end()))
    if not found:
        bare = _BARE.fullmatch(text)
        if bare is not None:
            day = bare.group("d") or bare.group("d2")
            value = _normal(None, int(bare.group("m")), int(day), None, None)
            if value:
                found.append(DateMatch(value, bare.start("m"), bare.end(0)))
    found.sort(key=lambda m: m.start)
    return found


def find_dates(text: str) -> list[str]:
    """The normalised dates in `text`, in order of appearance."""
    return [match.value for match in find_date_matches(text)]


def parse_date(text: str) -> str:
    """The first date in `text`, normalised; "" when there is none."""
    matches = find_date_matches(text)
    return matches[0].value if matches else ""


def parse_meta_date(text: str) -> str:
    """A <meta> date value (2024-09-27 15:28:00, 2024.09.30 09:24:36 GMT+08:00,
    2024-05-11T09:30:00+08:00): the first date, without the widget/stamp exclusions, which
    are about visible text."""
    match = _FULL.search(_META_DASHED_TIME.sub(r"\1 \2", text))
    if match is None:
        return ""
    month = match.group("m") or match.group("m2")
    day = match.group("d") or match.group("d2")
    return _normal(int(match.group("y")), int(month), int(day), match.group("H"), match.group("M"))
