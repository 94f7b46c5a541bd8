"""Bytes of a fetched page -> text.

Chinese government sites serve UTF-8, GBK/GB2312 (often undeclared, or declared only in a
<meta>), and the odd UTF-16 file saved by an office suite. A wrong guess silently turns every
footer identifier into mojibake and every check into a false finding, so the order below follows
what a browser does, with two deliberate deviations (both marked WHY below).
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels browsers and servers use that Python does not know, or that name a subset of what the
# page really uses: GB2312/GBK pages routinely contain GB18030-only characters (rare names of
# people and places), and Big5 pages HKSCS ones.
_ALIASES = {
    "gb2312": "gb18030",
    "gb_2312": "gb18030",
    "gb_2312-80": "gb18030",
    "csgb2312": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "windows-936": "gb18030",
    "big5": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "iso-8859-1": "windows-1252",
    "latin1": "windows-1252",
    "latin-1": "windows-1252",
    "us-ascii": "windows-1252",
    "ascii": "windows-1252",
}
# A charset a server sends by default rather than by knowledge (Apache's old default).
_WEAK_DECLARED = frozenset({"cp1252"})

_META_CHARSET = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")

_DETECT_SAMPLE = 256 * 1024
_SNIFF = 4096

# Byte values of text: printable ASCII, tab, LF, FF, CR, ESC (ISO-2022) and everything >= 0x80.
_TEXT_BYTES = bytes([9, 10, 12, 13, 27, *range(32, 127), *range(128, 256)])
_BINARY_MAGIC = (
    b"%PDF",
    b"PK\x03\x04",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"\xd0\xcf\x11\xe0",  # OLE2: .doc/.xls/.ppt
    b"\x7fELF",
)


def _codec_name(label: str | None) -> str | None:
    """Python codec name for an encoding label, or None when it is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _decode(body: bytes, codec: str) -> str | None:
    """Decode strictly; tolerate a handful of bad bytes (a truncated tail, one broken
    character), since rejecting the declared encoding for those would be worse."""
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = body.decode(codec, errors="replace")
    if text.count("\ufffd") <= max(4, len(body) // 2000):
        return text
    return None


def _sniff_meta(body: bytes) -> str | None:
    head = body[:_SNIFF]
    match = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    if match is None:
        return None
    codec = _codec_name(match.group(1).decode("ascii", "replace"))
    # A <meta> can only be read if the bytes are ASCII-compatible, so one that says UTF-16 is
    # wrong (browsers treat it as UTF-8).
    if codec is not None and codec.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return codec


def decode_html(body: bytes, declared_encoding: str | None = None) -> tuple[str, str]:
    """bytes -> (text, encoding used).

    Order: BOM (UTF-8, UTF-16LE/BE, UTF-32), the HTTP-declared encoding, <meta charset> /
    <meta http-equiv content-type> / <?xml encoding> in the first 4 KB, then detection, then
    UTF-8 with replacement. GB2312/GBK are decoded as GB18030 (their superset). Never raises.

    Deviations from that order, both WHY-driven:
    - an HTTP-declared ISO-8859-1/ASCII is a server default, not knowledge; it is used only
      when neither a <meta> nor UTF-8 nor detection gives an answer;
    - before statistical detection we try strict UTF-8, which is exact where detection guesses.
    """
    if not body:
        return "", "utf-8"
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(codec, errors="replace"), codec

    weak: str | None = None
    declared = _codec_name(declared_encoding)
    if declared is not None and declared in _WEAK_DECLARED:
        weak, declared = declared, None
    for label in (declared, _sniff_meta(body)):
        if label is None:
            continue
        decoded = _decode(body, label)
        if decoded is not None:
            return decoded, label
    decoded = _strict_utf8(body)
    if decoded is not None:
        return decoded, "utf-8"

    detected = _detect(body)
    if detected is not None:
        return body.decode(detected, errors="replace"), detected
    if weak is not None:
        return body.decode(weak, errors="replace"), weak
    return body.decode("utf-8", errors="replace"), "utf-8"


def _strict_utf8(body: bytes) -> str | None:
    """UTF-8 without a single error, except a character cut off at the end (a body truncated
    at the size limit): a guess, so no tolerance beyond that."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        return decoder.decode(body, final=False)
    except UnicodeDecodeError:
        return None


def _detect(body: bytes) -> str | None:
    try:
        best = charset_normalizer.from_bytes(body[:_DETECT_SAMPLE]).best()
    except Exception:
        return None
    if best is None or not best.encoding:
        return None
    codec = _codec_name(best.encoding)
    if codec is None or _decode(body, codec) is None:
        return None
    return codec


def looks_binary(body: bytes) -> bool:
    """True for bodies that are not text at all (images, archives, office files served as
    text/html): NUL bytes or a high share of control characters in the first 4 KB."""
    head = body[:_SNIFF]
    if not head:
        return False
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if head.startswith(_BINARY_MAGIC):
        return True
    if b"\x00" in head:
        return not _looks_utf16(head)
    controls = len(head.translate(None, _TEXT_BYTES))
    return controls > len(head) * 0.05


def _looks_utf16(head: bytes) -> bool:
    """UTF-16 text without a BOM: one of the two byte lanes is almost all NUL (ASCII markup)."""
    even, odd = head[0::2], head[1::2]
    for lane in (even, odd):
        if lane and lane.count(0) >= len(lane) * 0.6:
            other = odd if lane is even else even
            return other.count(0) <= len(other) * 0.05
    return False
