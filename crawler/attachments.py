"""The text of an attachment (bytes -> text), for content.privacy-leak.

Pure and defensive: the format is told by the bytes (the URL's extension and the served type
lie often), every reader is capped, and any failure gives empty text with a one-line reason,
never an exception: attachments are hostile input like pages.

Formats read, with well-kept libraries where a library is needed:
- PDF (pypdf): the text layer of the first MAX_PDF_PAGES pages (scanned images have none);
- DOCX (python-docx): paragraphs and table cells;
- XLSX (openpyxl, read-only): cell values of the first MAX_ROWS rows of each sheet;
- XLS, the BIFF format of Excel 97-2003 (xlrd): cell values likewise;
- RTF, which many government ".doc" downloads really are: a small reader of its text
  (\\uN and \\'hh escapes in the document's code page, control words and destinations
  dropped);
- SpreadsheetML 2003 (XML served as .xls): the cells' Data elements;
- DOC, the binary format of Word 97-2003: olefile (well kept, pure Python) opens the OLE2
  container, and `doc_text` reads the text through the document's piece table as [MS-DOC]
  2.4.1 describes it (a few dozen lines: no maintained pure-Python .doc text reader exists;
  antiword/textract need programs outside Python). Encrypted documents and Word 6/95 files
  are reported as not read, with the reason.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

from crawler.facts import PersonalNumber
from crawler.textscan import personal_numbers

# Characters of text kept per attachment (a 公示 table of thousands of rows fits).
MAX_TEXT = 500_000
MAX_PDF_PAGES = 100
MAX_ROWS = 20_000
# Uncompressed size allowed inside a DOCX/XLSX (zip bombs).
MAX_UNZIPPED = 100 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class AttachmentText:
    format: str  # pdf | docx | xlsx | xls | rtf | xml-xls | doc | unknown
    text: str = ""
    error: str = ""  # why nothing (or not all) was read, "" when read


def sniff(body: bytes) -> str:
    head = body[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    start = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"{\\rtf"):
        return "rtf"
    if start.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in (
        body[:4096]
    ):
        return "xml-xls"
    return "unknown"


def read_text(body: bytes) -> AttachmentText:
    """The text of an attachment's bytes; never raises."""
    kind = sniff(body)
    try:
        if kind == "pdf":
            return _pdf(body)
        if kind == "zip":
            return _office_zip(body)
        if kind == "ole":
            return _ole(body)
        if kind == "rtf":
            return AttachmentText("rtf", rtf_text(body)[:MAX_TEXT])
        if kind == "xml-xls":
            return _spreadsheet_xml(body)
    except Exception as exc:  # hostile bytes: any library error is "not read", never a crash
        return AttachmentText(kind, "", f"{type(exc).__name__}: {' '.join(str(exc).split())}"[
            :200])
    return AttachmentText("unknown", "", "不是可读取的附件格式")


def _pdf(body: bytes) -> AttachmentText:
    import pypdf  # imported on first use: most crawls read few attachments

    reader = pypdf.PdfReader(io.BytesIO(body), strict=False)
    if reader.is_encrypted:
        try:
            reader.decrypt("")
        except Exception:
            return AttachmentText("pdf", "", "PDF 已加密")
    parts: list[str] = []
    size = 0
    for number, page in enumerate(reader.pages):
        if number >= MAX_PDF_PAGES or size >= MAX_TEXT:
            break
        text = page.extract_text() or ""
        parts.append(text)
        size += len(text)
    return AttachmentText("pdf", "\n".join(parts)[:MAX_TEXT])


def _office_zip(body: bytes) -> AttachmentText:
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = set(archive.namelist())
        if sum(info.file_size for info in archive.infolist()) > MAX_UNZIPPED:
            return AttachmentText("zip", "", "压缩包解压后过大")
    if "word/document.xml" in names:
        return _docx(body)
    if "xl/workbook.xml" in names:
        return _xlsx(body)
    return AttachmentText("zip", "", "不是 Word 或 Excel 文档")


def _docx(body: bytes) -> AttachmentText:
    import docx

    document = docx.Document(io.BytesIO(body))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" ".join(cell.text for cell in row.cells))
    return AttachmentText("docx", "\n".join(parts)[:MAX_TEXT])


def _xlsx(body: bytes) -> AttachmentText:
    import openpyxl

    book = openpyxl.load_workbook(io.BytesIO(body), read_only=True, data_only=True)
    try:
        lines = []
        for sheet in book.worksheets:
            for number, row in enumerate(sheet.iter_rows(values_only=True)):
                if number >= MAX_ROWS:
                    break
                lines.append(" ".join(_cell(v) for v in row if v is not None))
        return AttachmentText("xlsx", "\n".join(lines)[:MAX_TEXT])
    finally:
        book.close()


def _cell(value: object) -> str:
    # A number stored as a float (an ID or card number typed into Excel) reads as its digits.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _ole(body: bytes) -> AttachmentText:
    import olefile
    import xlrd

    with olefile.OleFileIO(body) as ole:
        if ole.exists("WordDocument"):
            return doc_text(ole)
    try:
        book = xlrd.open_workbook(file_contents=body, on_demand=True)
    except xlrd.XLRDError:
        return AttachmentText("ole", "", "不是 Word 或 Excel 文档")
    lines = []
    for index in range(book.nsheets):
        sheet = book.sheet_by_index(index)
        for number in range(min(sheet.nrows, MAX_ROWS)):
            lines.append(" ".join(_cell(v) for v in sheet.row_values(number) if v != ""))
    return AttachmentText("xls", "\n".join(lines)[:MAX_TEXT])


def _spreadsheet_xml(body: bytes) -> AttachmentText:
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    root = etree.fromstring(body, parser=parser)
    lines = []
    for row in root.iter("{urn:schemas-microsoft-com:office:spreadsheet}Row"):
        cells = [
            "".join(data.itertext())
            for data in row.iter("{urn:schemas-microsoft-com:office:spreadsheet}Data")
        ]
        lines.append(" ".join(cells))
        if len(lines) >= MAX_ROWS:
            break
    return AttachmentText("xml-xls", "\n".join(lines)[:MAX_TEXT])


# -- DOC (Word 97-2003) ---------------------------------------------------------------------------

MAX_PIECES = 100_000  # pieces of a piece table read (a document has a few to a few thousand)
_DOC_MAGIC = 0xA5EC
_FIELD_CODE = re.compile(r"\x13[^\x13\x14\x15]*\x14?")  # a field's instructions, not its result
_DOC_BREAKS = str.maketrans({"\r": "\n", "\x0b": "\n", "\x0c": "\n", "\x07": "\t",
                             "\x1e": "-", "\x1f": ""})
_DOC_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def doc_text(ole: Any) -> AttachmentText:
    """The text of a Word 97-2003 document in an opened OLE2 file (olefile.OleFileIO), read
    through its piece table ([MS-DOC] 2.4.1 Retrieving Text): the FIB names the table stream
    and where its Clx is; the Clx's PlcPcd maps character positions to pieces, each either
    UTF-16LE or "compressed" 8-bit (cp1252) text in the WordDocument stream. Field
    instructions are dropped (their results kept); paragraph, cell and page marks become
    line breaks and tabs. Bounded by MAX_PIECES and MAX_TEXT; malformed input raises, which
    read_text turns into "not read"."""
    word = ole.openstream("WordDocument").read()
    if len(word) < 0x200 or int.from_bytes(word[0:2], "little") != _DOC_MAGIC:
        return AttachmentText("doc", "", "不是 Word 97-2003 文档（可能是 Word 6/95）")
    flags = int.from_bytes(word[0x0A:0x0C], "little")
    if flags & 0x0100:  # fEncrypted
        return AttachmentText("doc", "", "Word 文档已加密")
    table_name = "1Table" if flags & 0x0200 else "0Table"  # fWhichTblStm
    csw = int.from_bytes(word[32:34], "little")
    lw_at = 34 + csw * 2
    cslw = int.from_bytes(word[lw_at:lw_at + 2], "little")
    fc_lcb_at = lw_at + 2 + cslw * 4 + 2  # after cbRgFcLcb
    clx_at = fc_lcb_at + 33 * 8  # fcClx: entry 33 of FibRgFcLcb97
    fc_clx = int.from_bytes(word[clx_at:clx_at + 4], "little")
    lcb_clx = int.from_bytes(word[clx_at + 4:clx_at + 8], "little")
    if not ole.exists(table_name) or lcb_clx == 0:
        return AttachmentText("doc", "", "Word 文档缺少文本索引（piece table）")
    table = ole.openstream(table_name).read()
    clx = table[fc_clx:fc_clx + lcb_clx]
    at = 0
    while at < len(clx) and clx[at] == 0x01:  # Prc: property modifiers, skipped
        at += 3 + int.from_bytes(clx[at + 1:at + 3], "little")
    if at >= len(clx) or clx[at] != 0x02:
        return AttachmentText("doc", "", "Word 文档的文本索引（piece table）无效")
    size = int.from_bytes(clx[at + 1:at + 5], "little")
    plc = clx[at + 5:at + 5 + size]
    pieces = min((len(plc) - 4) // 12, MAX_PIECES)
    parts: list[str] = []
    total = 0
    for index in range(pieces):
        start = int.from_bytes(plc[index * 4:index * 4 + 4], "little")
        end = int.from_bytes(plc[index * 4 + 4:index * 4 + 8], "little")
        pcd = (pieces + 1) * 4 + index * 8
        fc = int.from_bytes(plc[pcd + 2:pcd + 6], "little")
        count = max(0, min(end - start, MAX_TEXT - total))
        if fc & 0x40000000:  # fCompressed: 8-bit characters at fc / 2
            offset = (fc & 0x3FFFFFFF) // 2
            parts.append(word[offset:offset + count].decode("cp1252", errors="replace"))
        else:
            offset = fc & 0x3FFFFFFF
            parts.append(word[offset:offset + 2 * count].decode("utf-16-le", errors="replace"))
        total += count
        if total >= MAX_TEXT:
            break
    text = _FIELD_CODE.sub("", "".join(parts)).replace("\x14", "").replace("\x15", "")
    text = _DOC_CONTROL.sub("", text.translate(_DOC_BREAKS))
    return AttachmentText("doc", text[:MAX_TEXT])


# -- RTF ---------------------------------------------------------------------------------------

_RTF_TOKEN = re.compile(
    rb"\\u(-?\d+)\??|\\'([0-9a-fA-F]{2})|\\([a-zA-Z]+)(-?\d+)? ?|\\([^a-zA-Z])|([{}])|([^\\{}]+)"
)
# Destinations whose content is not document text.
_RTF_SKIP = frozenset({
    b"fonttbl", b"colortbl", b"stylesheet", b"info", b"pict", b"header", b"footer",
    b"object", b"datastore", b"themedata", b"listtable", b"listoverridetable", b"generator",
    b"xmlnstbl", b"rsidtbl", b"latentstyles",
})
_RTF_BREAKS = frozenset({b"par", b"line", b"row", b"sect", b"page"})


def rtf_text(body: bytes) -> str:
    """The text of an RTF document (enough for searching it; formatting is dropped)."""
    codepage = "cp936"
    match = re.search(rb"\\ansicpg(\d+)", body[:2048])
    if match:
        codepage = f"cp{int(match.group(1))}"
    out: list[str] = []
    pending = bytearray()  # \'hh bytes of a multi-byte character
    depth = 0
    skip_depth = 0  # the depth of the group being skipped, 0 none
    star = False

    def flush() -> None:
        if pending:
            out.append(bytes(pending).decode(codepage, errors="replace"))
            pending.clear()

    for token in _RTF_TOKEN.finditer(body):
        uni, hexa, word, _arg, symbol, brace, text = token.groups()
        if brace == b"{":
            flush()
            depth += 1
            continue
        if brace == b"}":
            flush()
            if skip_depth and depth <= skip_depth:
                skip_depth = 0
            depth -= 1
            continue
        if symbol == b"*":
            star = True
            continue
        skipping = skip_depth != 0
        if word is not None:
            flush()
            if (star or word in _RTF_SKIP) and not skipping:
                skip_depth = depth
            star = False
            if not skipping and word in _RTF_BREAKS:
                out.append("\n")
            elif not skipping and word == b"tab":
                out.append("\t")
            continue
        star = False
        if skipping:
            continue
        if uni is not None:
            flush()
            code = int(uni)
            out.append(chr(code + 65536 if code < 0 else code))
        elif hexa is not None:
            pending.append(int(hexa, 16))
        elif symbol is not None:
            flush()
            out.append(symbol.decode("latin-1") if symbol not in (b"\r", b"\n") else "")
        elif text is not None:
            flush()
            out.append(text.replace(b"\r", b"").replace(b"\n", b"").decode("latin-1"))
    flush()
    return "".join(out)


@dataclass(frozen=True, slots=True)
class AttachmentFacts:
    format: str
    text_chars: int
    personal: tuple[PersonalNumber, ...]  # masked
    error: str = ""


def read_attachment(body: bytes) -> AttachmentFacts:
    """What the checks need of an attachment: its format, how much text it has, and the
    personal numbers in it (masked, as crawler.textscan finds them in pages). Never raises."""
    read = read_text(body)
    folded = "\n".join(filter(None, (" ".join(line.split()) for line in read.text.splitlines())))
    _, personal = personal_numbers(folded)
    return AttachmentFacts(read.format, len(folded), personal, read.error)
