"""Facts of a page's visible text for the content checks: personal numbers, traditional
characters, and the text itself (issue 12, text checks).

Pure and cheap, called once per page by crawler.extract on the visible text:
- personal numbers (居民身份证号 with a valid ISO 7064 MOD 11-2 check digit and a real birth
  date, mobile numbers, Luhn-valid bank card numbers) are found by three regular expressions
  and stored MASKED, never whole, with the few characters before them (the checks decide from
  that context whether a bank number is labelled 卡号/账号, or a mobile number is a published
  联系电话); the stored text carries the same masks, so the database never holds the numbers;
- traditional characters are found with OpenCC (t2s): one C-level conversion of the whole text,
  compared with the text (equal: nothing to do, the common case), then only where they differ,
  outside quoted titles (《》「」“”『』) and language-switch labels (繁體/簡體/English);
- the text itself, capped at TEXT_MAX characters, is what the lexicon checks
  (content.serious-errors, content.typos, content.banned-words) match their configurable lists
  against, so that a list changed in the settings applies to stored crawls without re-crawling.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import opencc

from crawler.facts import PersonalNumber, TraditionalChar

# Visible text kept per page for the lexicon checks (characters, after whitespace folding).
# Government articles run 1-10 k characters; a page beyond this is an archive dump whose tail
# the checks do not read.
TEXT_MAX = 30_000
# Characters of context stored before a personal number (masked like the number itself).
BEFORE_CHARS = 16
# Traditional characters stored per page (each with its context); the count covers them all.
TRADITIONAL_MAX = 20
TRADITIONAL_CONTEXT = 10  # characters either side of a stored traditional character

_CONVERTER = opencc.OpenCC("t2s")

# -- personal numbers ----------------------------------------------------------------------

# Each pattern starts with a character class (which the regex engine scans for quickly) and
# looks behind it for the boundary: a pattern that starts with the look-behind is tried at
# every position, several times slower.
_ID = re.compile(
    r"[1-9](?<![0-9A-Za-z].)\d{5}(?:19|20)\d{2}[01]\d[0-3]\d\d{3}[\dXx](?![0-9A-Za-z])"
)
# Mobile numbers: 1[3-9] and 9 more digits, optionally grouped 3-4-4 by a space or hyphen.
_MOBILE = re.compile(r"1(?<![0-9A-Za-z].)[3-9]\d(?:[- ]?\d{4}){2}(?![0-9A-Za-z\-])")
# Bank cards: 16-19 digits, optionally grouped by fours with single spaces.
_BANK = re.compile(
    r"\d(?<![0-9A-Za-z].)(?:\d{15,18}|\d{3}(?: \d{4}){3}(?: \d{1,3})?)(?![0-9A-Za-z])"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def valid_id(number: str) -> bool:
    """An 18-character 居民身份证号: ISO 7064 MOD 11-2 check character and a calendar birth
    date (year 1900-2099)."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12 and 1 <= day <= _DAYS[month - 1]):
        return False
    if month == 2 and day == 29 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
        return False
    total = sum(int(ch) * w for ch, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == number[17].upper()


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def mask(kind: str, digits: str) -> str:
    """The number as findings show it: 430***********1234, 138****5678, 6222***********0123."""
    keep = 4 if kind == "bank" else 3
    return digits[:keep] + "*" * (len(digits) - keep - 4) + digits[-4:]


def _personal_spans(text: str) -> list[tuple[int, int, str, str]]:
    """(start, end, kind, digits) of every valid personal number, in text order."""
    spans: list[tuple[int, int, str, str]] = []
    taken: list[tuple[int, int]] = []
    for match in _ID.finditer(text):
        if valid_id(match.group()):
            spans.append((match.start(), match.end(), "id", match.group().upper()))
            taken.append(match.span())
    for match in _BANK.finditer(text):
        digits = match.group().replace(" ", "")
        if 16 <= len(digits) <= 19 and luhn(digits) and not _overlaps(match.span(), taken):
            spans.append((match.start(), match.end(), "bank", digits))
            taken.append(match.span())
    for match in _MOBILE.finditer(text):
        if not _overlaps(match.span(), taken):
            digits = match.group().replace(" ", "").replace("-", "")
            spans.append((match.start(), match.end(), "mobile", digits))
    spans.sort()
    return spans


def _overlaps(span: tuple[int, int], taken: list[tuple[int, int]]) -> bool:
    return any(span[0] < end and start < span[1] for start, end in taken)


def personal_numbers(text: str) -> tuple[str, tuple[PersonalNumber, ...]]:
    """The text with every personal number masked, and the numbers found (masked)."""
    if not _has_long_digits(text):
        return text, ()
    spans = _personal_spans(text)
    if not spans:
        return text, ()
    parts: list[str] = []
    found: list[PersonalNumber] = []
    at = 0
    for start, end, kind, digits in spans:
        parts.append(text[at:start])
        masked = mask(kind, digits)
        before = "".join(parts)[-BEFORE_CHARS:]
        parts.append(masked)
        found.append(PersonalNumber(kind=kind, masked=masked, before=before))
        at = end
    parts.append(text[at:])
    return "".join(parts), tuple(found)


# Cheap gate: every personal number holds 11 digits in a row, or grouped 3-4-4 / by fours
# (a simple pattern without look-arounds scans several times faster than the three above).
_LONG_DIGITS = re.compile(r"\d{3}[- ]?\d{4}[- ]?\d{4}")


def _has_long_digits(text: str) -> bool:
    return _LONG_DIGITS.search(text) is not None


# -- traditional characters ----------------------------------------------------------------

# Text a traditional character is expected in: quoted titles and quotations, and the labels of
# a language switch. Quotes longer than 80 characters are not titles (an unclosed quote).
_EXEMPT = re.compile(
    r"《[^《》]{0,80}》|「[^「」]{0,80}」|『[^『』]{0,80}』|“[^“”]{0,80}”"
    r"|(?:繁[體体]|[简簡][體体]|正[體体])(?:中文|版|字)?|繁[简簡](?:切换|切換|转换|轉換)?"
    r"|中文[繁简簡]體|[臺台]灣|香港|澳門|日本語"
)


def traditional_chars(text: str) -> tuple[tuple[TraditionalChar, ...], int]:
    """Traditional characters outside exempt spans (stored up to TRADITIONAL_MAX, each with
    its context), and how many there are in all."""
    if text.isascii():
        return (), 0
    try:
        simplified = _CONVERTER.convert(text)
    except UnicodeEncodeError:  # lone surrogates: "?" for each keeps the indexes
        text = text.encode("utf-8", "replace").decode("utf-8")
        simplified = _CONVERTER.convert(text)
    if simplified == text:
        return (), 0
    exempt = [m.span() for m in _EXEMPT.finditer(text)]
    hits: list[TraditionalChar] = []
    count = 0
    for index in _differences(text, simplified):
        if any(start <= index < end for start, end in exempt):
            continue
        count += 1
        if len(hits) < TRADITIONAL_MAX:
            context = text[max(0, index - TRADITIONAL_CONTEXT): index + TRADITIONAL_CONTEXT + 1]
            hits.append(TraditionalChar(char=text[index], simplified=_CONVERTER.convert(
                text[index]), context=context))
    return tuple(hits), count


_SEGMENT = re.compile(r"[^。！？；\n]+[。！？；\n]?")


def _differences(text: str, simplified: str) -> Iterator[int]:
    """Indexes of the characters t2s changes. The conversion keeps lengths for CJK text; where
    it does not (a phrase table entry of another length), compare sentence by sentence."""
    if len(simplified) == len(text):
        for i, (a, b) in enumerate(zip(text, simplified, strict=True)):
            if a != b:
                yield i
        return
    for match in _SEGMENT.finditer(text):
        segment = match.group()
        converted = _CONVERTER.convert(segment)
        if converted == segment or len(converted) != len(segment):
            continue
        for i, (a, b) in enumerate(zip(segment, converted, strict=True)):
            if a != b:
                yield match.start() + i


_CJK = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf]")


@dataclass(frozen=True, slots=True)
class TextFacts:
    text: str
    personal: tuple[PersonalNumber, ...]
    traditional: tuple[TraditionalChar, ...]
    traditional_count: int
    cjk_count: int


def scan_text(visible: str) -> TextFacts:
    """The content facts of a page's visible text (crawler.visible.walk_text): whitespace is
    folded within lines, and blank lines dropped, so that block boundaries stay line breaks
    (an evidence sentence then stops at its paragraph or table cell)."""
    folded = "\n".join(filter(None, (" ".join(line.split()) for line in visible.splitlines())))
    masked, personal = personal_numbers(folded)
    traditional, count = traditional_chars(masked)
    cjk = len(_CJK.findall(masked)) if count else 0
    return TextFacts(masked[:TEXT_MAX], personal, traditional, count, cjk)
